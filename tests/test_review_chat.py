"""Review in chat: approve, hold, skip, draft and review, through the real dispatcher and database."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

import pytest
from test_review_modes import UNTIL, Clock, Notes

from chatops.chat.ports import IncomingMessage, StubChat
from chatops.config import parse_config
from chatops.service import Compass
from chatops.wiring import chat_handler

ANN = (11, "ann@example.org", "Ann Lee")  # a reviewer by email
BOB = (42, "bob@example.org", "Bob Stone")  # a reviewer by user id
EVE = (13, "eve@example.org", "Ann Lee")  # same display name as Ann: names never count


@pytest.fixture
def chat(tmp_path: Path, notes_dir: Path, db_url: str):
    config = parse_config({
        "zulip": {"site": "https://chat.example.org", "email": "compass-bot@example.org", "api_key": "k"},
        "sources": {"notes": [str(notes_dir)]},
        "server": {"public_url": "https://compass.example.org"},
        "digests": [{
            "name": "community-monthly", "kind": "community", "schedule": "monthly first tuesday 16:00",
            "targets": [{"outbox": {"directory": str(tmp_path / "out")}}],
            "review": {"mode": "approve", "reviewers": ["ann@example.org", 42]},
        }, {"name": "weekly", "kind": "celebratory", "schedule": "weekly monday 09:00"}],
        "storage": {"url": db_url},
    }, path=tmp_path / "compass.yaml")
    notes = Notes()
    clock = Clock(UNTIL + dt.timedelta(minutes=1))
    compass = Compass(config, clock=clock, notifier=notes)
    compass.fire("community-monthly", UNTIL)
    dispatcher = chat_handler(config, compass.open(), compass=compass, clock=clock, bot_id=99)
    stub = StubChat()
    ids = itertools.count(1000)

    def say(text: str, who=ANN, *, direct: bool = False) -> str:
        uid, email, name = who
        message = IncomingMessage(sender_id=uid, sender_email=email, sender_name=name,
                                  stream=None if direct else "general", topic=None if direct else "digests",
                                  text=text, message_id=next(ids), timestamp=clock.now)
        before = len(stub.replies)
        dispatcher.handle(message, stub)
        (reply,) = stub.texts[before:]
        return reply

    say.compass = compass  # type: ignore[attr-defined]
    say.notes = notes  # type: ignore[attr-defined]
    say.out = tmp_path / "out"  # type: ignore[attr-defined]
    yield say
    compass.close()


def _published(chat) -> list[Path]:
    return sorted(chat.out.rglob("*.md")) if chat.out.exists() else []


def test_non_reviewers_are_refused_politely_and_nothing_changes(chat):
    for text in ("approve community-monthly", "hold community-monthly", "skip community-monthly spam",
                 "draft community-monthly"):
        reply = chat(text, EVE)
        assert reply.startswith("Sorry, only the reviewers of `community-monthly`") and "Nothing was changed" in reply
    assert chat("review", EVE).startswith("Sorry, `review` is for the reviewers")
    assert chat.compass.find_draft("community-monthly").state == "waiting" and _published(chat) == []
    assert "is not a digest under review" in chat("approve weekly", ANN)
    assert "Which digest? Usage: `approve NAME [PERIOD]`" in chat("approve", ANN)


def test_draft_hold_and_approve_in_chat(chat):
    shown = chat("draft community-monthly", BOB)
    assert "(`community-monthly`, 2025-05-01 to 2025-05-31): waiting for approval; expires" in shown
    assert "https://compass.example.org/review/drafts/" in shown
    held = chat("hold community-monthly checking a name", BOB)
    assert held.startswith("Held `community-monthly` for 2025-05-01 to 2025-05-31. No more reminders")
    assert "is already held (by bob@example.org)" in chat("hold community-monthly", ANN)
    approved = chat("approve community-monthly", ANN)
    assert approved.startswith("Approved `community-monthly` for 2025-05-01 to 2025-05-31.") and "published" in approved
    assert len(_published(chat)) == 1
    again = chat("approve community-monthly 2025-05-20", BOB)
    assert "was already approved by ann@example.org" in again and len(_published(chat)) == 1
    events = [(e.who, e.action, e.note) for e in chat.compass.history(chat.compass.find_draft("community-monthly").id)]
    assert events == [("compass", "drafted", None), ("bob@example.org", "held", "checking a name"),
                      ("ann@example.org", "approved", None)]


def test_skip_records_who_and_why(chat):
    reply = chat("skip community-monthly same news as the forum post", ANN)
    assert reply.startswith("Skipped `community-monthly` for 2025-05-01 to 2025-05-31 (same news as the forum post)")
    assert "was skipped by ann@example.org" in chat("approve community-monthly", BOB)
    draft = chat.compass.find_draft("community-monthly")
    assert (draft.state, draft.decided_by, draft.reason) == ("skipped", "ann@example.org", "same news as the forum post")
    assert _published(chat) == []


def test_review_sends_a_sign_in_link_only_in_a_direct_message(chat):
    in_channel = chat("review", ANN)
    assert "in a direct message" in in_channel and "token=" not in in_channel
    (to, text), = [n for n in chat.notes.sent if "sign-in link" in n[1]]
    assert to == [11] and "https://compass.example.org/review/signin?token=" in text
    direct = chat("review", BOB, direct=True)
    assert "https://compass.example.org/review/signin?token=" in direct
