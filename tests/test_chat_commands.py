"""The command layer as dialogs: messages in through the ``Dispatcher``, replies out through ``StubChat``.

Every reply passes ``safe_reply``; the checks shared by all commands (they answer empty input, their
usage is non-empty, non-admins are refused admin commands) run for each command.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import re
import threading
import time
from collections.abc import Iterator

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from chatops.chat.ports import IncomingMessage, MessageEdit, StubChat
from chatops.commands.base import Command
from chatops.commands.dispatcher import SORRY, Dispatcher
from chatops.commands.registry import COMMANDS
from chatops.config import ShoutoutPolicy, parse_config
from chatops.storage.shoutouts import get_shoutout, list_shoutouts
from chatops.storage.state import is_paused
from digests.mentions import for_zulip as safe_reply
from digests.model import Recipient

NOW = dt.datetime(2026, 3, 4, 15, 0, tzinfo=dt.UTC)  # a Wednesday
ANN = (11, "Ann Lee")
BOB = (12, "Bob Stone")
ADA = (13, "Ada Admin")


class Clock:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


class Chat:
    """A dialog with compass over the real dispatcher and database."""

    def __init__(self, database, *, rate_limit: int = 10, max_length: int = 200, digests=None) -> None:
        self.config = parse_config({
            "zulip": {
                "site": "https://chat.example.org", "email": "compass-bot@example.org", "api_key": "k",
                "admins": ["ada@example.org"], "shoutout_rate_limit": rate_limit, "shoutout_max_length": max_length,
                "command_budget": 100000,  # these dialogs test the commands; flooding is test_fault_chat's
            },
            "digests": [
                {"name": "weekly", "kind": "celebratory", "schedule": "weekly monday 09:00"},
                {"name": "monthly", "kind": "community", "schedule": "monthly first tuesday 17:00"},
            ],
        })
        self.clock = Clock(NOW)
        self.database = database
        self.dispatcher = Dispatcher(database=database, config=self.config, clock=self.clock, digests=digests, bot_id=99)
        self.stub = StubChat()
        self.next_id = 1000

    def message(self, text: str, who: tuple[int, str] = ANN, *, message_id: int | None = None, **kw) -> IncomingMessage:
        self.next_id += 1
        uid, name = who
        email = "ada@example.org" if who == ADA else f"{name.split()[0].lower()}@example.org"
        return IncomingMessage(
            sender_id=uid, sender_email=email, sender_name=name, stream=kw.pop("stream", "general"),
            topic=kw.pop("topic", "kudos"), text=text, message_id=message_id or self.next_id,
            timestamp=self.clock.now, permalink=f"https://chat.example.org/#narrow/near/{message_id or self.next_id}", **kw,
        )

    def say(self, text: str, who: tuple[int, str] = ANN, **kw) -> str:
        before = len(self.stub.replies)
        self.dispatcher.handle(self.message(text, who, **kw), self.stub)
        new = self.stub.texts[before:]
        assert len(new) == 1, f"expected one reply to {text!r}, got {new}"
        return new[0]

    def verify_dialog(self, dialog: list[tuple[str, str]], who: tuple[int, str] = ANN) -> None:
        for text, expected in dialog:
            reply = self.say(text, who)
            assert re.search(expected, reply), f"{text!r} -> {reply!r} does not match {expected!r}"

    def stored(self):
        with self.database.session() as session:
            return list_shoutouts(session=session)

    def close(self) -> None:
        """Close the dispatcher (it records the reply ids it still holds); the database is the caller's."""
        self.dispatcher.close()


@pytest.fixture
def chat(database) -> Iterator[Chat]:
    made = Chat(database)
    yield made
    made.close()


def test_shoutout_dialog(chat):
    chat.verify_dialog([
        ("@**compass** shoutout @**Bob Stone|12** for fixing CI",
         r"^Recorded shout-out #1 for @_\*\*Bob Stone\|12\*\*\. Thank you!"),
        ("@**compass|99** shoutout @**Jane Doe** @*docs team* and the infra folks for the release",
         r"^Recorded shout-out #2 for @_\*\*Jane Doe\*\*, the docs team group and the infra folks\."),
        ("shout out the docs team for the new tutorial", r"^Recorded shout-out #3 for the docs team\."),
        ("kudos to @**Bob Stone|12**: thanks for the review", r"^Recorded shout-out #4 for @_\*\*Bob Stone\|12\*\*"),
    ])
    first, second, third, fourth = chat.stored()
    assert (first.giver, first.giver_id, first.text, first.stream, first.topic) == ("Ann Lee", 11, "fixing CI", "general", "kudos")
    assert first.permalink == f"https://chat.example.org/#narrow/near/{first.message_id}"
    assert second.recipients == (
        Recipient(name="Jane Doe"), Recipient(name="docs team", kind="group"), Recipient(name="the infra folks", kind="text"),
    )
    assert second.text == "the release"
    assert third.recipients == (Recipient(name="the docs team", kind="text"),) and third.text == "the new tutorial"
    assert fourth.text == "thanks for the review"
    assert [e for _, e in chat.stub.reactions] == ["tada"] * 4


def test_shoutout_refusals_name_the_fix(chat):
    chat.verify_dialog([
        ("shoutout", r"^Who would you like to thank\? Try `shoutout @Jane Doe for fixing CI`"),
        ("shoutout @**Bob Stone|12**", r"^What would you like to thank @_\*\*Bob Stone\|12\*\* for\?"),
        ("shoutout @**Bob Stone|12** for " + "x" * 201, r"^That shout-out is 201 characters long; the limit is 200\. Could you make it shorter\?"),
    ])
    assert chat.stored() == []
    assert chat.stub.reactions == []


def test_rate_limit_is_kind_and_per_user_and_hourly(database):
    chat = Chat(database, rate_limit=2)
    for n in range(2):
        chat.say(f"shoutout @**Bob Stone|12** for thing {n}")  # different texts: a repeat is refused on its own
    refusal = chat.say("shoutout @**Bob Stone|12** for one more")
    assert refusal == (
        "Thank you for being so generous! You have given 2 shout-outs in the last hour, which is the limit "
        "(2 an hour). Please try this one again a little later."
    )
    assert chat.say("shoutout @**Ann Lee|11** for her turn", who=BOB).startswith("Recorded")
    chat.clock.now += dt.timedelta(minutes=61)
    assert chat.say("shoutout @**Bob Stone|12** for later").startswith("Recorded")
    assert len(chat.stored()) == 4


def test_wildcards_and_groups_in_user_text_never_reach_the_reply(chat):
    text = "shoutout @**all** @*everyone* @**channel|7** for pinging @**topic** and @_**stream** @all"
    reply = chat.say(text)
    assert not re.search(r"@_?\*\*(all|everyone|channel|stream|topic)", reply, re.IGNORECASE)
    assert not re.search(r"@_?\*[^*]", reply)
    # A crowd is no recipient (zulip.shoutout_policy.crowds): compass asks whom to thank, records nothing.
    assert reply.startswith("Whom would you like to thank?")
    assert chat.stored() == []
    # A community that allows it gets the crowd recorded as words, never as a mention.
    chat.dispatcher.settings = dataclasses.replace(chat.dispatcher.settings, policy=ShoutoutPolicy(crowds=True))
    reply = chat.say(text)
    assert not re.search(r"@_?\*\*(all|everyone|channel|stream|topic)", reply, re.IGNORECASE)
    assert not re.search(r"@_?\*[^*]", reply)
    assert reply.startswith("Recorded shout-out #1 for all, the everyone group and channel.")
    (saved,) = chat.stored()
    assert [r.kind for r in saved.recipients] == ["text", "group", "text"]


@given(st.text(alphabet=st.sampled_from(list("@*_| alleveryonchstrmtpgrouX\n")), max_size=60))
@example("@**all**")
@example("@_**Everyone**")
@example("@*team*")
@example("@***all***")
@example("@**Jane|3**")
def test_safe_reply_leaves_no_active_crowd_or_loud_mention(text):
    out = safe_reply(text)
    # Zulip's own mention patterns (zerver/lib/markdown): loud person/wildcard mentions, and group mentions.
    for match in re.finditer(r"@(_?)\*\*([^*]+)\*\*", out):
        name = match.group(2).split("|")[0].strip().lower()
        assert match.group(1) == "_", f"loud mention left in {out!r}"
        assert name not in {"all", "everyone", "channel", "stream", "topic"}, f"wildcard left in {out!r}"
    assert not re.search(r"@_?\*[^*]+\*", out.replace("@_**", "")), f"group mention left in {out!r}"


def test_listing_filters(chat):
    chat.say("shoutout @**Bob Stone|12** for the release")
    chat.clock.now -= dt.timedelta(days=10)
    chat.say("shoutout @**Ann Lee|11** for the docs", who=BOB)
    chat.clock.now = NOW
    chat.verify_dialog([
        ("shoutouts", r"(?s)^\*\*Recent shout-outs\*\* \(newest first\):\n- \[#1\].*the release\n- \[#2\].*the docs$"),
        ("shoutouts mine", r"(?s)^\*\*Shout-outs for you\*\*.*#2.*the docs$"),
        ("shoutouts given", r"(?s)^\*\*Shout-outs you gave\*\*.*#1.*the release$"),
        ("shoutouts @**Bob Stone|12**", r"(?s)^\*\*Shout-outs for @_\*\*Bob Stone\|12\*\*\*\*.*#1"),
        ("shoutouts this week", r"^\*\*Shout-outs this week\*\* \(newest first\):\n- \[#1\][^\n]*the release$"),
        ("shoutouts this month", r"^\*\*Shout-outs this month\*\* \(newest first\):\n- \[#1\][^\n]*the release$"),
        ("shoutouts since 2026-02-01", r"(?s)^\*\*Shout-outs since 2026-02-01\*\*.*#1.*#2"),
        ("shoutouts since 2026-13-01", r"^'since' needs a date like `2026-03-01` \(got 2026-13-01\)\."),
        ("shoutouts @**Nobody**", r"^Shout-outs for @_\*\*Nobody\*\*: none yet\."),
        ("shoutouts banana", r"^I can't list shout-outs for banana\. Usage: `shoutouts \[mine"),
    ])


def test_undo_by_giver_or_admin_only(chat):
    chat.say("shoutout @**Bob Stone|12** for the release")
    chat.say("shoutout @**Bob Stone|12** for the fix")
    chat.verify_dialog([("undo 1", r"^Only the person who gave shout-out #1, or an admin, can take it back\.$")], who=BOB)
    chat.verify_dialog([
        ("undo #1", r"^Took back shout-out #1; it will not appear in future digests\.$"),
        ("undo 1", r"^Shout-out #1 was already taken back\.$"),
        ("undo 42", r"^There is no shout-out #42\."),
        ("undo one", r"^I need a shout-out number, like `12` \(got one\)\."),
    ])
    chat.verify_dialog([("undo 2", r"^Took back shout-out #2")], who=ADA)
    assert chat.stored() == []
    with chat.database.session() as session:
        _, retracted_at = get_shoutout(session=session, shoutout_id=1)
    assert retracted_at == NOW


def test_edit_by_giver_only(chat):
    chat.say("shoutout @**Bob Stone|12** for teh release")
    chat.verify_dialog([("edit 1 for nothing", r"^Only the person who gave shout-out #1 can edit it\.$")], who=BOB)
    chat.verify_dialog([
        ("edit 1 for the release", r"^Updated shout-out #1 for @_\*\*Bob Stone\|12\*\*\.$"),
        ("edit 1 @**Cy Young|14** for the release notes", r"^Updated shout-out #1 for @_\*\*Cy Young\|14\*\*\.$"),
        ("edit 1", r"^What would you like to thank"),
    ])
    (saved,) = chat.stored()
    assert (saved.text, saved.recipients) == ("the release notes", (Recipient(name="Cy Young", user_id=14),))


def test_help_and_typos(chat):
    chat.verify_dialog([
        ("help", r"(?s)^Talk to me with `@compass COMMAND`.*- `shoutout @Name"),
        ("help undo", r"^`undo ID`: take back a shout-out you gave\.$"),
        ("help nope", r"^I don't know the command `nope`\."),
        ("shoutuot @**Bob** for x", r"^I don't know `shoutuot`\. Did you mean `shoutout`\?"),
        ("shotouts", r"Did you mean `shoutouts`\?"),
        ("@**compass** xyzzy", r"^I don't know `xyzzy`\. Say `help`"),
        ("@**compass**", r"^Hi Ann Lee! Say `help`"),
    ])
    assert "pause" not in chat.say("help")
    assert "pause NAME" in chat.say("help", who=ADA)
    assert chat.stored() == []


@pytest.mark.parametrize("command", [c for c in COMMANDS], ids=[c.name for c in COMMANDS])
def test_every_command_answers_empty_input_and_has_usage(chat, command: Command):
    assert command.usage.strip() and command.summary.strip()
    reply = chat.say(command.name, who=ADA)
    assert reply.strip()


@pytest.mark.parametrize("text", ["pause weekly", "resume weekly", "schedule", "digest post weekly", "digest preview weekly"])
def test_admin_commands_refuse_others_and_change_nothing(chat, text):
    reply = chat.say(text)
    assert reply == f"Sorry, `{text.split()[0]}` is for compass admins only. Nothing was changed."
    with chat.database.session() as session:
        assert not is_paused(session=session, digest="weekly")


def test_admin_pause_resume_and_schedule(chat):
    chat.verify_dialog([
        ("pause weekly", r"^Paused `weekly`: it will not post until `resume weekly`\.$"),
        ("pause weekly", r"^`weekly` was already paused\."),
        ("pause nope", r"^There is no digest named `nope`\. Digests: `weekly`, `monthly`\.$"),
        ("schedule", r"(?s)^\*\*Next runs:\*\*\n- `weekly` \(weekly monday 09:00\): 2026-03-09 09:00 UTC \(paused.*\n- `monthly` \(monthly first tuesday 17:00\): 2026-04-07 17:00 UTC$"),
        ("resume weekly", r"^Resumed `weekly`"),
    ], who=ADA)
    with chat.database.session() as session:
        assert not is_paused(session=session, digest="weekly")


class Digests:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str, dt.datetime]] = []

    def preview(self, name, now):
        self.calls.append(("preview", name, now))
        return "**Celebrations**\n- thanks @**all** for everything"

    def post(self, name, now):
        self.calls.append(("post", name, now))
        return f"{name}: zulip:general: published"


def test_admin_digest_preview_and_post_go_through_the_service(database):
    digests = Digests()
    chat = Chat(database, digests=digests)
    preview = chat.say("digest preview weekly", who=ADA)
    assert preview == "**Celebrations**\n- thanks all for everything"
    assert chat.say("digest post weekly", who=ADA) == "weekly: zulip:general: published"
    assert chat.say("digest post nope", who=ADA).startswith("There is no digest named `nope`.")
    assert digests.calls == [("preview", "weekly", NOW), ("post", "weekly", NOW)]


def test_a_mention_in_passing_is_not_answered(chat):
    assert chat.dispatcher.handle(chat.message("I think @**compass** could use a logo"), chat.stub) is None
    assert chat.dispatcher.handle(chat.message("thanks @**compass|99**!"), chat.stub) is None
    assert chat.stub.replies == []
    chat.verify_dialog([
        ("@**compass** could use a logo", r"^I don't know `could`\."),
        ("please @**compass** shoutout @**Bob Stone|12** for the logo", r"^Recorded shout-out #1 for @_\*\*Bob Stone"),
        ("shoutouts given, @**compass**", r"^\*\*Shout-outs you gave\*\*"),
    ])


def test_a_message_is_handled_once(chat):
    message = chat.message("shoutout @**Bob Stone|12** for the release", message_id=555)
    assert chat.dispatcher.handle(message, chat.stub) is not None
    assert chat.dispatcher.handle(message, chat.stub) is None
    assert len(chat.stored()) == 1 and len(chat.stub.replies) == 1


def test_bots_are_ignored(chat):
    assert chat.dispatcher.handle(chat.message("shoutout @**Bob** for x", is_bot=True), chat.stub) is None
    assert chat.dispatcher.handle(chat.message("shoutout @**Bob** for x", who=(99, "compass")), chat.stub) is None
    assert chat.stub.replies == [] and chat.stored() == []


def test_an_unexpected_failure_is_logged_and_answered_briefly(chat, monkeypatch, caplog):
    from chatops.commands import shoutout

    def boom(**kwargs):
        raise RuntimeError("db password is hunter2")

    monkeypatch.setattr(shoutout, "record_shoutout", boom)
    message = chat.message("shoutout @**Bob Stone|12** for x", message_id=777)
    with caplog.at_level(logging.ERROR, logger="chatops.commands.dispatcher"):
        chat.dispatcher.handle(message, chat.stub)
    assert chat.stub.texts == [SORRY]
    assert "hunter2" not in chat.stub.texts[0]
    assert any("Command \"shoutout\" failed on message 777" in r.getMessage() for r in caplog.records)
    assert chat.dispatcher.handle(message, chat.stub) is None  # the claim was kept


def test_edits_of_the_original_message_update_the_record(chat):
    message = chat.message("@**compass** shoutout @**Bob Stone|12** for teh release", message_id=900)
    chat.dispatcher.handle(message, chat.stub)
    at = NOW + dt.timedelta(minutes=1)
    assert chat.dispatcher.handle_edit(MessageEdit(900, 12, "@**compass** shoutout @**Bob Stone|12** for hacking", edited_at=at)) is False
    later = at + dt.timedelta(seconds=2)
    assert chat.dispatcher.handle_edit(MessageEdit(900, 11, "@**compass** shoutout @**Bob Stone|12** for the release", edited_at=later))
    assert chat.dispatcher.handle_edit(MessageEdit(900, 11, "never mind", edited_at=later + dt.timedelta(seconds=5))) is False
    (saved,) = chat.stored()
    assert saved.text == "the release"
    assert len(chat.stub.replies) == 1  # edits are quiet


class SharedChat(StubChat):
    """Two replicas' view of one chat: a reply either posted is visible to ``find_reply``."""

    def __init__(self, replies, *, die_after_reply: threading.Event | None = None, replied: threading.Event | None = None):
        super().__init__(replies=replies)
        self.die_after_reply = die_after_reply
        self.replied = replied

    def send_reply(self, message, text):
        reply_id = super().send_reply(message, text)
        if self.replied is not None:
            self.replied.set()
        if self.die_after_reply is not None:
            self.die_after_reply.wait(10)
            raise SystemExit("replica killed after replying")  # not an Exception: nothing catches it
        return reply_id

    def find_reply(self, message):
        for index, (m, _) in enumerate(self.replies):
            if m.message_id == message.message_id:
                return index + 1
        return None


def test_a_takeover_after_a_replica_dies_finds_its_reply_instead_of_posting_again(database, db_url):
    if not db_url.startswith("postgresql"):
        pytest.skip("replicas share PostgreSQL; SQLite serves one process")
    replies: list = []
    first, second = Chat(database), Chat(database)
    kill, replied = threading.Event(), threading.Event()
    message = first.message("shoutout @**Bob Stone|12** for the release", message_id=4242)
    dying = threading.Thread(
        target=lambda: pytest.raises(SystemExit, first.dispatcher.handle, message, SharedChat(replies, die_after_reply=kill, replied=replied))
    )
    dying.start()
    assert replied.wait(10)
    result: list = []
    taker = threading.Thread(target=lambda: result.append(second.dispatcher.handle(message, SharedChat(replies))))
    taker.start()
    time.sleep(0.3)  # the second replica is now waiting on the first one's claim
    assert result == []
    kill.set()  # the first replica dies: its transaction rolls back
    dying.join(10)
    taker.join(10)
    assert result and result[0] is not None and result[0].reply_id == 1
    assert len(replies) == 1, "the reply was posted twice"
    (saved,) = second.stored()
    assert saved.message_id == 4242


def test_a_takeover_of_a_batch_answers_only_what_the_dead_replica_did_not(database, db_url):
    if not db_url.startswith("postgresql"):
        pytest.skip("replicas share PostgreSQL; SQLite serves one process")
    replies: list = []
    first, second = Chat(database), Chat(database)
    kill, replied = threading.Event(), threading.Event()
    batch = [first.message(f"shoutout @**Bob Stone|12** for part {i}", message_id=5000 + i) for i in range(3)]
    dying = threading.Thread(target=lambda: pytest.raises(
        SystemExit, first.dispatcher.handle_many, batch, SharedChat(replies, die_after_reply=kill, replied=replied),
    ))
    dying.start()
    assert replied.wait(10)  # the first replica answered part 0, and holds the batch's claims
    result: list = []
    taker = threading.Thread(target=lambda: result.append(second.dispatcher.handle_many(batch, SharedChat(replies))))
    taker.start()
    time.sleep(0.3)
    assert result == []  # waiting on the first replica's claims
    kill.set()
    dying.join(10)
    taker.join(10)
    (outcomes,) = result
    assert [o.reply_id for o in outcomes] == [1, 2, 3]
    assert [m.message_id for m, _ in replies] == [5000, 5001, 5002], "a reply was posted twice or not at all"
    assert [s.message_id for s in second.stored()] == [5000, 5001, 5002]
    with database.session() as session:
        from sqlmodel import select

        from chatops.storage.tables import HandledMessageRecord

        rows = sorted(session.exec(select(HandledMessageRecord.event_key, HandledMessageRecord.reply_message_id)).all())
    assert rows == [("message:5000", 1), ("message:5001", 2), ("message:5002", 3)]


def test_a_replica_arriving_after_another_died_finds_its_reply(database, db_url):
    if not db_url.startswith("postgresql"):
        pytest.skip("replicas share PostgreSQL; SQLite serves one process")
    replies: list = []
    first, second = Chat(database), Chat(database)
    kill = threading.Event()
    kill.set()  # dies right after its reply went out, before committing
    message = first.message("shoutout @**Bob Stone|12** for the docs", message_id=4343)
    with pytest.raises(SystemExit):
        first.dispatcher.handle(message, SharedChat(replies, die_after_reply=kill))
    outcome = second.dispatcher.handle(message, SharedChat(replies))  # nobody is holding the claim any more
    assert outcome is not None and outcome.reply_id == 1
    assert len(replies) == 1, "the reply was posted twice"
    assert [s.message_id for s in second.stored()] == [4343]
    # A normal, uncontended message leaves no attempt mark behind.
    second.dispatcher.handle(second.message("shoutout @**Bob Stone|12** for more", message_id=4444), SharedChat(replies))
    with database.session() as session:
        from sqlmodel import select

        from chatops.storage.tables import HandledMessageRecord

        keys = sorted(session.exec(select(HandledMessageRecord.event_key)).all())
    assert keys == ["message:4343", "message:4444"]


@given(st.text(max_size=200))
@example("@**compass** shoutout @**")
@example("shoutout @*")
@example("edit #")
@example("@**compass|x** shoutout @**Bob|12|3** for")
def test_parsing_any_text_never_raises(text):
    from chatops.commands.mentions import parse_recipients, strip_bot_mention
    from chatops.commands.registry import split_command

    stripped, _ = strip_bot_mention(text, bot_name="compass", bot_id=99)
    word, args = split_command(stripped)
    recipients, rest = parse_recipients(args)
    assert all(r.name for r in recipients)
    assert isinstance(word, str) and isinstance(rest, str)


def test_any_message_gets_exactly_one_safe_reply(tmp_path):
    from chatops.storage.db import Database

    database = Database.open(f"sqlite:///{tmp_path / 'fuzz.db'}")
    chat = Chat(database, rate_limit=10_000)
    try:

        @given(st.text(alphabet=st.sampled_from(list("@*_|#:, shoutoutsundoedithelpforall123\n")), max_size=80))
        def check(text):
            reply = chat.say(text, stream=None, topic=None)  # a direct message is always answered
            assert reply.strip()
            assert safe_reply(reply) == reply

        check()
    finally:
        database.close()


def test_closing_the_dispatcher_records_the_reply_ids_it_still_holds(tmp_path, monkeypatch, caplog):
    """On SQLite a reply's id is recorded after the reply, in batches (at most ``REPLIES_EVERY`` later, by a
    timer). Closing the dispatcher records the waiting ones at once and stops the timer, so nothing is left
    to a flush after the database is gone (which failed: "Could not record N reply ids", at exit)."""
    import shutil

    from chatops.commands import dispatcher as dispatcher_module
    from chatops.storage.db import Database
    from chatops.storage.shoutouts import unconfirmed_shoutouts

    monkeypatch.setattr(dispatcher_module, "REPLIES_EVERY", 0.3)
    directory = tmp_path / "gone"
    directory.mkdir()
    database = Database.open(f"sqlite:///{directory / 'compass.db'}")
    chat = Chat(database)
    assert chat.say("shoutout @**Bob Stone|12** for the release notes").startswith("Recorded shout-out #1")
    chat.close()
    with database.session() as session:
        assert unconfirmed_shoutouts(session=session) == []  # its confirmation's id is recorded
    database.close()
    shutil.rmtree(directory)
    with caplog.at_level(logging.WARNING, logger="chatops"):
        time.sleep(0.6)  # past the batch's timer
    assert "Could not record" not in caplog.text


def test_a_batch_is_recorded_in_order_and_once(chat, monkeypatch):
    messages = [chat.message(f"shoutout @**Bob Stone|12** for item {i}", message_id=600 + i) for i in range(5)]
    messages.append(chat.message("shoutouts given", message_id=650))
    outcomes = chat.dispatcher.handle_many(messages, chat.stub)
    assert [o.command for o in outcomes] == ["shoutout"] * 5 + ["shoutouts"]
    assert [s.text for s in chat.stored()] == [f"item {i}" for i in range(5)]
    # The listing ran after the five inserts of the same batch, and saw them.
    assert chat.stub.texts[-1].count("\n- ") == 5
    assert chat.dispatcher.handle_many(messages[:2], chat.stub) == [None, None]

    from chatops.commands import shoutout

    real = shoutout.record_shoutouts
    calls = []

    def fails_once(**kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("boom")
        return real(**kwargs)

    monkeypatch.setattr(shoutout, "record_shoutouts", fails_once)
    again = [chat.message(f"shoutout @**Bob Stone|12** for more {i}", message_id=700 + i) for i in range(3)]
    outcomes = chat.dispatcher.handle_many(again, chat.stub)
    # The batch rolled back (its claims too), then each message was handled on its own: all recorded, once.
    assert calls and [o.command for o in outcomes] == ["shoutout"] * 3
    assert all(o.reply.startswith("Recorded shout-out") for o in outcomes)
    assert [s.message_id for s in chat.stored()][-3:] == [700, 701, 702]


def test_a_failure_checking_one_shoutout_of_a_batch_rolls_the_batch_back(chat, monkeypatch):
    from chatops.commands import shoutout

    real, calls = shoutout.prepare, []

    def fails_on_the_second(ctx, args, **kw):
        calls.append(1)
        if len(calls) == 2:
            assert chat.stub.replies == []  # nothing was sent before the failure
            raise RuntimeError("boom")
        return real(ctx, args, **kw)

    monkeypatch.setattr(shoutout, "prepare", fails_on_the_second)
    messages = [chat.message(f"shoutout @**Bob Stone|12** for item {i}", message_id=800 + i) for i in range(3)]
    if chat.database.dialect == "sqlite":
        assert chat.dispatcher.prepare_many(messages, chat.stub) is None
        assert chat.stored() == []  # nothing of the batch was kept, claims included
        calls.clear()
    outcomes = chat.dispatcher.handle_many(messages, chat.stub)
    # The batch rolled back, then each message was handled on its own: all recorded and answered once.
    assert len(calls) == 5
    assert [o.reply.split(" for ")[0] for o in outcomes] == [f"Recorded shout-out #{i}" for i in (1, 2, 3)]
    assert [s.message_id for s in chat.stored()] == [800, 801, 802]
    assert len(chat.stub.replies) == 3
    with chat.database.session() as session:
        from sqlmodel import select

        from chatops.storage.tables import HandledMessageRecord

        keys = sorted(session.exec(select(HandledMessageRecord.event_key)).all())
    assert keys == ["message:800", "message:801", "message:802"]  # no attempt mark left behind


def test_the_rate_limit_counts_the_earlier_shoutouts_of_a_batch(database):
    chat = Chat(database, rate_limit=3)
    chat.say("shoutout @**Bob Stone|12** for an earlier thing")  # one already given this hour
    messages = [chat.message(f"shoutout @**Bob Stone|12** for item {i}") for i in range(4)]
    messages.insert(1, chat.message("shoutout @**Ann Lee|11** for her turn", who=BOB))
    no_id = IncomingMessage(
        sender_id=None, sender_email="zed@example.org", sender_name="Zed", stream="general", topic="kudos",
        text="shoutout @**Bob Stone|12** for a first one", message_id=1999, timestamp=NOW,
    )
    outcomes = chat.dispatcher.handle_many([*messages, no_id], chat.stub)
    replies = [o.reply for o in outcomes]
    assert [r.split(" for ")[0] for r in replies[:3]] == [
        "Recorded shout-out #2", "Recorded shout-out #3", "Recorded shout-out #4",
    ]
    assert replies[3] == replies[4] == (
        "Thank you for being so generous! You have given 3 shout-outs in the last hour, which is the limit "
        "(3 an hour). Please try this one again a little later."
    )
    assert replies[5].startswith("Recorded shout-out #5 ")
    assert [(s.giver, s.text) for s in chat.stored()] == [
        ("Ann Lee", "an earlier thing"), ("Ann Lee", "item 0"), ("Bob Stone", "her turn"), ("Ann Lee", "item 1"),
        ("Zed", "a first one"),
    ]


def test_a_batch_handles_a_message_given_twice_once_and_reads_its_own_shoutouts(chat):
    first = chat.message("shoutout @**Bob Stone|12** for the logo", message_id=901)
    undo = chat.message("undo 1", message_id=902)
    later = chat.message("shoutout @**Bob Stone|12** for the docs", message_id=903)
    outcomes = chat.dispatcher.handle_many([first, undo, undo, later], chat.stub)
    assert outcomes[2] is None
    assert outcomes[0].reply.startswith("Recorded shout-out #1 ")
    assert outcomes[1].reply == "Took back shout-out #1; it will not appear in future digests."
    assert outcomes[3].reply.startswith("Recorded shout-out #2 ")
    assert [(s.id, s.text) for s in chat.stored()] == [(2, "the docs")]
    assert len(chat.stub.replies) == 3
