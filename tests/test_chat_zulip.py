"""The Zulip bot end to end against the fake Zulip server, with the real ``zulip`` client.

Each test starts ``ZulipBot.run`` in a thread against a fresh fake (real HTTP on 127.0.0.1) and a
fresh database (SQLite and PostgreSQL), sends messages as people, and asserts what crossed the wire
and what was stored.
"""

from __future__ import annotations

import functools
import re
import threading
import time
from collections.abc import Iterator

import pytest
from fakes.zulip import FakeZulip, User

from chatops.chat.zulip import Backoff, ZulipBot, without_marker
from chatops.config import parse_config
from chatops.storage.shoutouts import list_shoutouts
from chatops.wiring import zulip_bot
from digests.model import Recipient


class Harness:
    def __init__(self, fake: FakeZulip, database, **zulip_settings) -> None:
        self.fake = fake
        self.database = database
        self.bot_user = fake.add_user("compass", bot=True)
        self.ann = fake.add_user("Ann Lee")
        self.bob = fake.add_user("Bob Stone")
        self.admin = fake.add_user("Ada Admin")
        self.other_bot = fake.add_user("GitHub", bot=True)
        self.settings = {
            "site": fake.url, "email": self.bot_user.email, "api_key": self.bot_user.api_key,
            "admins": [self.admin.email], **zulip_settings,
        }
        self.config = parse_config({
            "zulip": self.settings,
            "digests": [{"name": "weekly", "kind": "celebratory", "schedule": "weekly monday 09:00"}],
        })
        self.stop = threading.Event()
        self.bot: ZulipBot | None = None
        self.thread: threading.Thread | None = None

    def start(self, **kwargs) -> ZulipBot:
        self.bot = zulip_bot(self.config, self.database, backoff=Backoff(0.02, 0.3), **kwargs)
        self.thread = threading.Thread(target=self.bot.run, args=(self.stop,), daemon=True)
        self.thread.start()
        self.fake.wait_for(lambda: any(q.user_id == self.bot_user.user_id for q in self.fake.queues.values()),
                           what="the bot to register an event queue")
        return self.bot

    def close(self) -> None:
        self.stop.set()
        if self.thread is not None:
            self.thread.join(timeout=30)
            assert not self.thread.is_alive(), "the bot did not stop within 30 s"

    def say(self, who: User, text: str, *, topic: str = "kudos", stream: str = "general") -> int:
        return self.fake.send(who, text, stream=stream, topic=topic)

    def replies(self) -> list[dict]:
        return self.fake.messages_by(self.bot_user)

    def reply_to(self, message_id: int, timeout: float = 30.0) -> str:
        """The bot's reply in the topic of ``message_id`` that follows it."""
        orig = self.fake.messages[message_id]

        def find():
            for m in self.fake.messages_by(self.bot_user):
                if m["id"] > message_id and m.get("subject") == orig.get("subject") and (
                    orig["type"] != "stream" or m["content"].startswith(f"@_**{orig['sender_full_name']}|")
                ):
                    return without_marker(m["content"])  # the link back is tested in test_chat_followups
            return None

        return self.fake.wait_for(find, timeout, what=f"a reply to message {message_id}")

    def shoutouts(self, count: int | None = None):
        """The stored shout-outs; with ``count``, once that many are there (PostgreSQL commits after replying)."""

        def read():
            with self.database.session() as session:
                return list_shoutouts(session=session)

        if count is None:
            return read()
        return self.fake.wait_for(lambda: (found := read()) and len(found) >= count and found, what=f"{count} shout-outs")


@pytest.fixture
def fake() -> Iterator[FakeZulip]:
    with FakeZulip(heartbeat=0.3) as server:
        yield server
        assert server.problems == [], "requests or responses did not match zulip-openapi: " + "; ".join(server.problems)


@pytest.fixture
def harness(fake, database) -> Iterator[Harness]:
    h = Harness(fake, database)
    try:
        yield h
    finally:
        h.close()


def test_shoutout_is_recorded_confirmed_and_celebrated(harness):
    harness.start()
    mid = harness.say(harness.ann, f"@**compass** shoutout @**Bob Stone|{harness.bob.user_id}** for fixing CI")
    reply = harness.reply_to(mid)
    (saved,) = harness.shoutouts(1)
    assert saved.giver == "Ann Lee" and saved.giver_id == harness.ann.user_id
    assert saved.recipients == (Recipient(name="Bob Stone", user_id=harness.bob.user_id),)
    assert (saved.text, saved.stream, saved.topic, saved.message_id) == ("fixing CI", "general", "kudos", mid)
    assert saved.permalink.endswith(f"/topic/kudos/near/{mid}")
    assert reply.startswith(f"@_**Ann Lee|{harness.ann.user_id}** Recorded shout-out #{saved.id} for @_**Bob Stone|")
    harness.fake.wait_for(lambda: harness.fake.reactions.get(mid), what="the :tada: reaction")
    assert harness.fake.reactions[mid] == [(harness.bot_user.user_id, "tada")]
    # The bot asked for raw Markdown.
    assert all(not q.apply_markdown for q in harness.fake.queues.values() if q.user_id == harness.bot_user.user_id)


def _burst(h: Harness, n: int, start: int = 0) -> list[int]:
    people = [h.ann, h.bob, h.admin]
    return [
        h.say(people[i % 3], f"@**compass** shoutout @**Jane Doe** for burst item {i}", topic=f"t{i}")  # nobody thanks themselves
        for i in range(start, start + n)
    ]


def _assert_each_once(h: Harness, ids: list[int]) -> None:
    saved = h.shoutouts(len(ids))
    assert sorted(s.message_id for s in saved) == sorted(ids), "a shout-out was lost or recorded twice"

    def replies_in(topic):
        return [m for m in h.replies() if m.get("subject") == topic]

    for mid in ids:
        topic: str = h.fake.messages[mid]["subject"]
        h.fake.wait_for(functools.partial(replies_in, topic), what=f"a reply in {topic}")
    h.fake.wait_for(lambda: len(h.replies()) >= len(ids), what="every reply")
    topics = [m["subject"] for m in h.replies()]
    assert len(topics) == len(set(topics)) == len(ids), "a reply was posted twice or not at all"


def test_duplicate_delivery_is_recorded_and_answered_once(harness):
    harness.fake.duplicate_deliveries = True  # every message event arrives twice in the queue
    harness.start()
    ids = _burst(harness, 6)
    _assert_each_once(harness, ids)
    with harness.database.session() as session:
        from sqlmodel import select

        from chatops.storage.tables import HandledMessageRecord

        keys = session.exec(select(HandledMessageRecord.event_key)).all()
    assert sorted(keys) == sorted(f"message:{i}" for i in ids)


def test_two_replicas_on_one_database_answer_each_message_once(fake, database):
    first, second = Harness(fake, database), None
    try:
        first.start()
        second = Harness.__new__(Harness)
        second.__dict__.update(first.__dict__)
        second.stop, second.thread, second.bot = threading.Event(), None, None
        second.bot = zulip_bot(first.config, database, backoff=Backoff(0.02, 0.3))
        second.thread = threading.Thread(target=second.bot.run, args=(second.stop,), daemon=True)
        second.thread.start()
        fake.wait_for(lambda: sum(q.user_id == first.bot_user.user_id for q in fake.queues.values()) == 2,
                      what="two event queues")
        ids = _burst(first, 12)
        _assert_each_once(first, ids)

        def keys():
            from sqlmodel import select

            from chatops.storage.tables import HandledMessageRecord

            with database.session() as session:
                return sorted(session.exec(select(HandledMessageRecord.event_key)).all())

        # Winners and losers alike clear their attempt marks: only the claims stay.
        fake.wait_for(lambda: keys() == sorted(f"message:{i}" for i in ids), what="only claims in handled_messages")
    finally:
        first.close()
        if second is not None:
            second.close()


def test_queue_expiry_in_a_burst_loses_nothing(harness):
    harness.start()
    ids = _burst(harness, 8)
    harness.fake.wait_for(lambda: len(harness.replies()) >= 3, what="the burst to be under way")
    harness.fake.expire_queues()
    ids += _burst(harness, 8, start=8)  # sent while the bot has no queue
    _assert_each_once(harness, ids)


def test_server_restart_in_a_burst_loses_nothing(harness):
    harness.start()
    ids = _burst(harness, 8)
    harness.fake.wait_for(lambda: len(harness.replies()) >= 2, what="the burst to be under way")
    harness.fake.restart(downtime=0.4)
    ids += _burst(harness, 8, start=8)
    _assert_each_once(harness, ids)


def test_errors_429_500_and_dropped_connections_are_retried(harness):
    harness.start()
    harness.fake.fail_next(2, status=500, path="/api/v1/messages")
    harness.fake.fail_next(1, status=429, path="/api/v1/messages", retry_after=0.2)
    harness.fake.drop_next(1, path="/api/v1/events")
    harness.fake.fail_next(1, status=502, path="/api/v1/events")
    ids = _burst(harness, 3)
    _assert_each_once(harness, ids)


def test_real_rate_limit_of_the_server_is_honoured(fake, database):
    fake.rate_limit, fake.rate_window = 12, 1.0
    h = Harness(fake, database)
    try:
        h.start()
        ids = _burst(h, 10)
        _assert_each_once(h, ids)
        assert any(status == 429 for status in fake.statuses), "the test never hit the server's rate limit"
    finally:
        h.close()


def test_edit_and_undo_are_reflected(harness):
    harness.start()
    mid = harness.say(harness.ann, f"@**compass** shoutout @**Bob Stone|{harness.bob.user_id}** for teh docs")
    (saved,) = harness.shoutouts(1)
    harness.fake.edit(mid, f"@**compass** shoutout @**Bob Stone|{harness.bob.user_id}** for the docs", editor=harness.ann)
    harness.fake.wait_for(lambda: harness.shoutouts()[0].text == "the docs", what="the edit to be applied")
    undo = harness.say(harness.bob, f"@**compass** undo {saved.id}", topic="undo")
    assert "Only the person who gave" in harness.reply_to(undo)
    undo = harness.say(harness.ann, f"@**compass** undo {saved.id}", topic="undo2")
    assert f"Took back shout-out #{saved.id}" in harness.reply_to(undo)
    harness.fake.wait_for(lambda: harness.shoutouts() == [], what="the shout-out to leave the listing")


def test_admin_gating(harness):
    from chatops.storage.state import is_paused

    harness.start()
    refused = harness.say(harness.ann, "@**compass** pause weekly", topic="admin1")
    assert harness.reply_to(refused).endswith("Sorry, `pause` is for compass admins only. Nothing was changed.")
    with harness.database.session() as session:
        assert not is_paused(session=session, digest="weekly")
    done = harness.say(harness.admin, "@**compass** pause weekly", topic="admin2")
    assert "Paused `weekly`" in harness.reply_to(done)

    def paused():
        with harness.database.session() as session:
            return is_paused(session=session, digest="weekly")

    harness.fake.wait_for(paused, what="the digest to be paused")  # PostgreSQL commits just after replying


def test_replies_never_ping_crowds(harness):
    harness.start()
    mid = harness.say(harness.ann, "@**compass** shoutout @**all** @*core* for @**everyone** and @**channel** @*team*")
    reply = harness.reply_to(mid)
    assert not re.search(r"@\*\*|@_?\*(?!\*)", reply.replace("@_**", "")), reply
    for (user_id, message_id), flags in harness.fake.flags.items():
        if harness.fake.messages[message_id]["sender_id"] == harness.bot_user.user_id:
            assert not {"mentioned", "stream_wildcard_mentioned"} & set(flags), (user_id, flags)


def test_rate_limit_and_length_are_answered(fake, database):
    h = Harness(fake, database, shoutout_rate_limit=2, shoutout_max_length=20)
    try:
        h.start()
        too_long = h.say(h.ann, f"@**compass** shoutout @**Bob Stone|{h.bob.user_id}** for " + "y" * 21, topic="long")
        assert "That shout-out is 21 characters long; the limit is 20." in h.reply_to(too_long)
        for i in range(2):
            h.reply_to(h.say(h.ann, f"@**compass** shoutout @**Bob Stone|{h.bob.user_id}** for #{i}", topic=f"ok{i}"))
        third = h.say(h.ann, f"@**compass** shoutout @**Bob Stone|{h.bob.user_id}** for more", topic="third")
        assert "which is the limit (2 an hour)" in h.reply_to(third)
        assert len(h.shoutouts()) == 2
    finally:
        h.close()


def test_direct_messages_bots_and_unaddressed_messages(harness):
    harness.start()
    harness.fake.send(harness.other_bot, "@**compass** shoutout @**Ann Lee** for nothing", stream="general", topic="bots")
    harness.say(harness.ann, "shoutout @**Bob Stone** without mentioning the bot", topic="quiet")
    harness.say(harness.ann, "@_**compass** a silent mention is not a request", topic="quiet")
    dm = harness.fake.send(harness.ann, "shoutuot @**Bob Stone** for typos", to=[harness.bot_user])
    reply = harness.fake.wait_for(
        lambda: [m for m in harness.replies() if m["type"] == "private"], what="a direct reply"
    )[0]
    assert without_marker(reply["content"]) == "I don't know `shoutuot`. Did you mean `shoutout`? Say `help` for everything I can do."
    assert {r["id"] for r in reply["display_recipient"]} == {harness.ann.user_id, harness.bot_user.user_id}
    assert reply["id"] > dm
    # Nothing else was answered or stored.
    assert len(harness.replies()) == 1 and harness.shoutouts() == []


def test_a_failing_database_is_retried_without_losing_the_message(harness):
    bot = harness.start()
    real = bot.handler.handle
    calls = []

    def flaky(message, chat):
        calls.append(message.message_id)
        if len(calls) == 1:
            raise ConnectionError("database restarting")
        return real(message, chat)

    bot.handler.handle = flaky
    mid = harness.say(harness.ann, f"@**compass** shoutout @**Bob Stone|{harness.bob.user_id}** for patience")
    assert "Recorded shout-out" in harness.reply_to(mid)
    assert calls == [mid, mid]
    assert [s.message_id for s in harness.shoutouts(1)] == [mid]


def test_busy_workers_hold_back_polling_until_they_catch_up(harness, monkeypatch):
    """A burst the workers cannot answer yet stays in Zulip's queue: no ``GET /events`` until they catch up."""
    import chatops.chat.zulip as adapter

    gate = threading.Event()
    real = adapter.ZulipChat.send_reply

    def slow_reply(self, message, text):
        assert gate.wait(20), "the test never opened the gate"
        return real(self, message, text)

    monkeypatch.setattr(adapter.ZulipChat, "send_reply", slow_reply)
    fake, bot_id = harness.fake, harness.bot_user.user_id
    harness.start(workers=1)  # holds back once more than BACKLOG_PER_WORKER items wait

    def polls() -> int:
        with fake.lock:
            return sum(1 for method, path, user in fake.requests if path == "/api/v1/events" and user == bot_id)

    ids = _burst(harness, 6)
    try:
        fake.wait_for(lambda: sum(1 for (user, mid) in fake.delivered_at if user == bot_id and mid in ids)
                      > adapter.BACKLOG_PER_WORKER, what="the bot to take part of the burst")
        time.sleep(0.1)  # let a poll under way come back
        before = polls()
        time.sleep(1.0)  # the fake answers an idle poll after 0.3 s: a bot that kept polling would show here
        assert polls() == before, "the bot polled for more events while its worker was stuck"
        assert len(harness.replies()) == 0
    finally:
        gate.set()
    _assert_each_once(harness, ids)
    fake.wait_for(lambda: polls() > before, what="polling to resume")


def test_polling_resumes_after_the_backlog_patience(harness, monkeypatch):
    import chatops.chat.zulip as adapter
    from chatops.chat import inbox

    gate = threading.Event()
    real = adapter.ZulipChat.send_reply

    def stuck_reply(self, message, text):
        gate.wait(20)
        return real(self, message, text)

    monkeypatch.setattr(adapter.ZulipChat, "send_reply", stuck_reply)
    monkeypatch.setattr(inbox, "BACKLOG_PATIENCE", 0.2)
    fake, bot_id = harness.fake, harness.bot_user.user_id
    harness.start(workers=1)
    try:
        ids = _burst(harness, 6)
        # Stuck workers do not keep the queue unpolled for long: the rest of the burst is fetched.
        fake.wait_for(lambda: all((bot_id, mid) in fake.delivered_at for mid in ids), 10, what="the whole burst fetched")
    finally:
        gate.set()
    _assert_each_once(harness, ids)


def test_a_long_events_batch_is_recorded_in_slices_as_it_is_read(database, monkeypatch):
    if database.dialect != "sqlite":
        pytest.skip("only SQLite records in the listener")
    import queue

    import chatops.chat.zulip as adapter

    config = parse_config({"zulip": {"site": "http://127.0.0.1:9", "email": "compass-bot@example.org", "api_key": "k"}})
    bot = zulip_bot(config, database, client_factory=lambda: None, workers=1)
    bot.user_id, bot._users_loaded_at = 1, time.monotonic()  # no user list to fetch
    bot.inbox._queues = [queue.Queue()]
    read, slices = [], []
    real = bot.handler.prepare_many
    monkeypatch.setattr(bot.handler, "prepare_many", lambda ms, chat: (slices.append((len(read), len(ms))), real(ms, chat))[1])
    for i in range(1, 121):
        read.append(i)
        bot._on_event({"type": "message", "id": i, "flags": ["mentioned"], "message": {
            "id": 500 + i, "sender_id": 10 + i % 7, "sender_email": f"p{i % 7}@example.org", "sender_full_name": f"P {i % 7}",
            "type": "stream", "display_recipient": "general", "stream_id": 1, "subject": f"t{i}", "timestamp": 1_770_000_000,
            "content": f"@**compass** shoutout @**Bob|12** for item {i}",
        }})
    bot._flush()
    # (events read when the slice was recorded, slice length): the first 50 went to the workers after 50 events.
    assert slices == [(adapter.BATCH, adapter.BATCH), (2 * adapter.BATCH, adapter.BATCH), (120, 120 - 2 * adapter.BATCH)]
    assert bot.inbox._queues[0].qsize() == 120
