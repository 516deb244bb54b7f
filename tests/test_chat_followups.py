"""Follow-ups on the Zulip bot: replies that name the message they answer, the admin ``reload`` command,
reloaded settings reaching the dispatcher, the ``handled_messages`` prune and the start-up catch-up."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fakes.zulip import FakeZulip
from test_chat_zulip import Harness

from chatops.chat.zulip import Backoff, ZulipBot, ZulipChat, answers


@pytest.fixture
def fake() -> Iterator[FakeZulip]:
    with FakeZulip(heartbeat=0.3) as server:
        yield server
        assert server.problems == [], "requests or responses did not match zulip-openapi: " + "; ".join(server.problems)


def _incoming(h: Harness, message_id: int):
    raw = h.fake.messages[message_id]
    return h.bot._incoming(raw, ["mentioned"])


@pytest.mark.parametrize("where", ["same_topic", "direct"])
def test_find_reply_tells_two_messages_of_one_sender_apart(fake, database, where):
    h = Harness(fake, database)
    bot = h.bot = ZulipBot(h.config, database, backoff=Backoff(0.02, 0.3))
    bot.user_id = h.bot_user.user_id
    chat = ZulipChat(bot)
    if where == "direct":
        first = fake.send(h.ann, "shoutout @**Bob Stone** for one", to=[h.bot_user])
        second = fake.send(h.ann, "shoutout @**Bob Stone** for two", to=[h.bot_user])
    else:
        first = h.say(h.ann, "@**compass** shoutout @**Bob Stone** for one")
        second = h.say(h.ann, "@**compass** shoutout @**Bob Stone** for two")
    reply_id = chat.send_reply(_incoming(h, first), "Recorded shout-out #1")
    assert reply_id is not None
    content = fake.messages[reply_id]["content"]
    assert answers(content, first) and not answers(content, second)
    assert f"/near/{first})" in content and content.startswith(
        "Recorded" if where == "direct" else f"@_**Ann Lee|{h.ann.user_id}** Recorded"
    )
    # A replica taking over the second message must not take the first reply for its own.
    assert chat.find_reply(_incoming(h, second)) is None
    assert chat.find_reply(_incoming(h, first)) == reply_id
    second_reply = chat.send_reply(_incoming(h, second), "Recorded shout-out #2")
    assert chat.find_reply(_incoming(h, second)) == second_reply != reply_id


def test_a_long_reply_is_cut_but_keeps_its_link(fake, database):
    h = Harness(fake, database)
    bot = h.bot = ZulipBot(h.config, database, backoff=Backoff(0.02, 0.3))
    bot.user_id = h.bot_user.user_id
    bot.max_message_length = 300
    mid = h.say(h.ann, "@**compass** digest preview weekly")
    reply_id = ZulipChat(bot).send_reply(_incoming(h, mid), "x" * 1000)
    content = fake.messages[reply_id]["content"]
    assert len(content) <= 300 and "\u2026" in content and answers(content, mid)


def test_marker_is_recognised_only_at_the_end_and_for_its_own_id():
    from chatops.chat.zulip import without_marker

    reply = "Recorded #1 ([re your message](http://z/#narrow/channel/1-g/topic/t/near/12))"
    assert answers(reply, 12) and not answers(reply, 1) and not answers(reply, 112)
    assert not answers(reply + " and more", 12)
    assert without_marker(reply) == "Recorded #1"
