"""Follow-ups on the Zulip bot: replies that name the message they answer, the admin ``reload`` command,
reloaded settings reaching the dispatcher, the ``handled_messages`` prune and the start-up catch-up."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fakes.zulip import FakeZulip
from test_chat_zulip import Harness

from chatops.chat.zulip import Backoff, ZulipChat, answers
from chatops.wiring import zulip_bot


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
    bot = h.bot = zulip_bot(h.config, database, backoff=Backoff(0.02, 0.3))
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
    bot = h.bot = zulip_bot(h.config, database, backoff=Backoff(0.02, 0.3))
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


# -- the admin `reload` command, and reloads reaching the dispatcher ---------------------------------

SECRET = "zulip-secret-key-1234"


def _write_config(path, *, admins, max_length=200, extra=None):
    import yaml

    data = {
        "zulip": {"site": "https://chat.example.org", "email": "compass-bot@example.org",
                  "admins": admins, "shoutout_max_length": max_length, "shoutout_rate_limit": 50},
        "digests": [{"name": "weekly", "kind": "celebratory", "schedule": "weekly monday 09:00"}],
    }
    if extra:
        data["zulip"].update(extra)
    path.write_text(yaml.safe_dump(data), encoding="utf-8")


class ReloadDialog:
    """The real ``Runner`` and its ``Compass`` behind a dispatcher, as ``compass run`` wires them."""

    def __init__(self, tmp_path, database, monkeypatch):
        from chatops.chat.ports import StubChat
        from chatops.config import load_config
        from chatops.runner import Runner
        from chatops.wiring import chat_handler

        monkeypatch.setenv("ZULIP_API_KEY", SECRET)
        self.path = tmp_path / "compass.yaml"
        _write_config(self.path, admins=["ada@example.org"])
        self.runner = Runner(load_config(self.path), database=database)
        self.dispatcher = chat_handler(self.runner.config, database, compass=self.runner.compass, bot_id=99)
        self.stub = StubChat()
        self.next_id = 5000

    def say(self, text, who=("ann@example.org", "Ann Lee", 11)):
        from chatops.chat.ports import IncomingMessage

        self.next_id += 1
        email, name, uid = who
        message = IncomingMessage(sender_id=uid, sender_email=email, sender_name=name, stream="general",
                                  topic="ops", text=f"@**compass** {text}", message_id=self.next_id)
        before = len(self.stub.replies)
        self.dispatcher.handle(message, self.stub)
        (reply,) = self.stub.texts[before:]
        return reply


ADA = ("ada@example.org", "Ada Admin", 13)
ANN = ("ann@example.org", "Ann Lee", 11)


def test_reload_from_chat_is_for_admins_and_reaches_the_dispatcher(tmp_path, database, monkeypatch):
    d = ReloadDialog(tmp_path, database, monkeypatch)
    before = d.runner.config
    assert "admins only" in d.say("reload", ANN)
    assert d.runner.config is before
    assert "admins only" in d.say("pause weekly", ANN)
    # The file now makes Ann an admin and lowers the length limit.
    _write_config(d.path, admins=["ada@example.org", "ann@example.org"], max_length=20)
    reply = d.say("reload", ADA)
    assert reply.startswith("Configuration reloaded") and d.runner.config is not before
    assert d.runner.config.zulip.admins == ["ada@example.org", "ann@example.org"]
    # The dispatcher reads the runner's new configuration: Ann's admin command and the new limit apply.
    assert "admins only" not in d.say("pause weekly", ANN)
    long_text = "shoutout @**Ada Admin|13** for " + "a very long thank-you text"
    assert "20" in d.say(long_text, ANN)
    assert d.dispatcher.settings.max_length == 20


def test_reload_from_chat_answers_the_error_and_keeps_the_config(tmp_path, database, monkeypatch):
    d = ReloadDialog(tmp_path, database, monkeypatch)
    before = d.runner.config
    _write_config(d.path, admins=["ada@example.org"], max_length=5, extra={"api_key": 12345678})
    reply = d.say("reload", ADA)
    assert reply.startswith("The new configuration was not loaded") and "shoutout_max_length" in reply
    assert d.runner.config is before and d.dispatcher.settings.max_length == 200
    assert SECRET not in reply and "12345678" not in reply
    (d.path).write_text(f"zulip:\n  api_key: '{SECRET}\n  site: [", encoding="utf-8")  # YAML that does not parse
    reply = d.say("reload", ADA)
    assert reply.startswith("The new configuration was not loaded") and SECRET not in reply
    assert d.runner.config is before
    assert "takes no arguments" in d.say("reload now", ADA)


def test_redact_masks_secret_values_and_lines_about_secrets():
    from chatops.commands.reload import MASK, redact

    text = "config.yaml: zulip.api_key: 'abc123xyz': not valid\nzulip.site: 'x' is not a URL\n  api_key: hunter22"
    out = redact(text, ("s3cr3t-value",))
    assert "abc123xyz" not in out and "hunter22" not in out and MASK in out and "zulip.site: 'x'" in out
    assert redact("token s3cr3t-value leaked", ("s3cr3t-value",)).count(MASK) == 1


# -- list_shoutouts reads with Core; the values are what the ORM rows say -------------------------------


def test_list_shoutouts_matches_the_rows_inside_the_window(database):
    import datetime as dt

    from sqlmodel import col, select

    from chatops.storage.shoutouts import list_shoutouts, record_shoutout, retract_shoutout
    from chatops.storage.tables import ShoutoutRecipientRecord, ShoutoutRecord
    from digests.model import Recipient, Shoutout, Window

    start = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    with database.session() as session:
        for i in range(1200):  # more than one chunk of recipients
            record_shoutout(session=session, shoutout=Shoutout(
                giver=f"Giver {i % 7}", giver_id=i % 7 or None, text=f"thanks {i}",
                created_at=start + dt.timedelta(minutes=37 * i), stream="kudos" if i % 3 else None,
                topic=f"t{i % 5}" if i % 3 else None, message_id=10_000 + i if i % 4 else None,
                permalink=f"https://z/#narrow/near/{10_000 + i}" if i % 4 else None,
                recipients=tuple(Recipient(name=f"R{j}", kind="group" if j == 2 else "user", user_id=j or None)
                                 for j in range(i % 3 + (i % 11 != 0))),  # some have none
            ))
        retract_shoutout(session=session, shoutout_id=5, by="admin", at=start)
    window = Window(since=start + dt.timedelta(hours=3), until=start + dt.timedelta(days=20))
    with database.session() as session:
        found = list_shoutouts(session=session, window=window)
        rows = session.exec(select(ShoutoutRecord).where(
            col(ShoutoutRecord.retracted_at).is_(None), col(ShoutoutRecord.created_at) >= window.since,
            col(ShoutoutRecord.created_at) < window.until,
        ).order_by(col(ShoutoutRecord.created_at), col(ShoutoutRecord.id))).all()
        expected = []
        for row in rows:
            recs = session.exec(select(ShoutoutRecipientRecord).where(ShoutoutRecipientRecord.shoutout_id == row.id)
                                .order_by(col(ShoutoutRecipientRecord.id))).all()
            expected.append(Shoutout(
                id=row.id, giver=row.giver, giver_id=row.giver_id, text=row.text, created_at=row.created_at,
                stream=row.stream, topic=row.topic, message_id=row.message_id, permalink=row.permalink,
                recipients=tuple(Recipient(name=r.name, kind=r.kind, user_id=r.user_id) for r in recs),
            ))
        everything = list_shoutouts(session=session)
    assert len(expected) > 500 and found == expected and any(not s.recipients for s in found)
    assert all(s.created_at.tzinfo is not None for s in found)
    assert len(everything) == 1199 and 5 not in {s.id for s in everything}


# -- handled_messages is pruned by the runner's sweep --------------------------------------------------


def test_sweep_prunes_old_claims_and_stale_attempt_marks(database):
    import datetime as dt

    from sqlmodel import select

    from chatops.config import parse_config
    from chatops.runner import Runner
    from chatops.storage.shoutouts import claim_event
    from chatops.storage.tables import HandledMessageRecord

    now = dt.datetime(2026, 5, 1, 12, tzinfo=dt.UTC)
    ages = {  # event key -> age
        "message:1": dt.timedelta(days=45), "message:2": dt.timedelta(days=30, seconds=1),
        "message:3": dt.timedelta(days=29), "update:3:1700000000": dt.timedelta(days=31),
        "attempt:message:4": dt.timedelta(days=2), "attempt:message:5": dt.timedelta(hours=23, minutes=30),
        "message:6": dt.timedelta(days=2),
    }
    with database.session() as session:
        for key, age in ages.items():
            assert claim_event(session=session, event_key=key, at=now - age)

    def keys():
        with database.session() as session:
            return sorted(session.exec(select(HandledMessageRecord.event_key)).all())

    clock = [now]
    runner = Runner(parse_config({}), database=database, clock=lambda: clock[0])
    runner.sweep()
    assert keys() == ["attempt:message:5", "message:3", "message:6"]
    # Pruning runs at most hourly: a sweep a minute later leaves a newly stale claim for the next hour.
    clock[0] = now + dt.timedelta(minutes=59)  # attempt:message:5 is now over a day old
    runner.sweep()
    assert keys() == ["attempt:message:5", "message:3", "message:6"]
    clock[0] = now + dt.timedelta(hours=1, minutes=1)
    runner.sweep()
    assert keys() == ["message:3", "message:6"]


# -- start-up catch-up --------------------------------------------------------------------------------


def test_start_up_answers_what_was_sent_while_stopped_once(fake, database):
    h = Harness(fake, database)
    h.start()
    first = h.say(h.ann, f"@**compass** shoutout @**Bob Stone|{h.bob.user_id}** for the first thing", topic="a")
    h.reply_to(first)
    h.shoutouts(1)
    h.close()
    # While compass is stopped: two shout-outs in one topic by one person, a DM, and an unaddressed message.
    missed = [
        h.say(h.ann, f"@**compass** shoutout @**Bob Stone|{h.bob.user_id}** for the second thing", topic="a"),
        h.say(h.ann, f"@**compass** shoutout @**Bob Stone|{h.bob.user_id}** for the third thing", topic="a"),
    ]
    dm = fake.send(h.bob, "help", to=[h.bot_user])
    h.say(h.bob, "no mention here", topic="a")
    h.stop.clear()
    h.start()
    saved = h.shoutouts(3)
    assert sorted(s.message_id for s in saved) == sorted([first, *missed])
    fake.wait_for(lambda: len(h.replies()) >= 4, what="the missed messages answered")
    h.close()
    replies = h.replies()
    from chatops.chat.zulip import answers

    for mid in [first, *missed, dm]:
        assert sum(answers(m["content"], mid) for m in replies) == 1, f"message {mid} not answered exactly once"
    assert len(replies) == 4


def test_start_up_with_an_empty_database_does_not_answer_old_messages(fake, database):
    h = Harness(fake, database)
    h.say(h.ann, f"@**compass** shoutout @**Bob Stone|{h.bob.user_id}** from before compass existed")
    h.start()
    new = h.say(h.ann, f"@**compass** shoutout @**Bob Stone|{h.bob.user_id}** for now")
    h.reply_to(new)
    h.close()
    assert [s.message_id for s in h.shoutouts()] == [new] and len(h.replies()) == 1
