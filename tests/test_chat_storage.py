"""The shout-out repository on SQLite and PostgreSQL: windows, retraction, edits, rate counts, claims."""

from __future__ import annotations

import datetime as dt

import pytest

from chatops.storage.shoutouts import (
    ShoutoutNotFoundError,
    claim_event,
    count_recent_shoutouts,
    edit_shoutout,
    event_reply,
    get_shoutout,
    list_shoutouts,
    list_shoutouts_for_person,
    record_event_reply,
    record_shoutout,
    retract_shoutout,
)
from digests.model import Recipient, Shoutout, Window

T0 = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)


def _shoutout(i: int, *, giver: str = "Ann", giver_id: int | None = 1, to: str = "Bob", to_id: int | None = 2) -> Shoutout:
    return Shoutout(
        giver=giver,
        giver_id=giver_id,
        recipients=(Recipient(name=to, user_id=to_id), Recipient(name="the docs team", kind="text")),
        text=f"thanks #{i}",
        created_at=T0 + dt.timedelta(days=i),
        stream="general",
        topic="kudos",
        message_id=1000 + i,
        permalink=f"https://chat.example.org/#narrow/near/{1000 + i}",
    )


def test_list_reads_only_the_window_and_keeps_recipients(database):
    with database.session() as session:
        for i in range(5):
            record_shoutout(session=session, shoutout=_shoutout(i))
    with database.session() as session:
        got = list_shoutouts(session=session, since=T0 + dt.timedelta(days=1), until=T0 + dt.timedelta(days=3))
        by_window = list_shoutouts(session=session, window=Window(since=T0, until=T0 + dt.timedelta(days=1)))
    assert [s.text for s in got] == ["thanks #1", "thanks #2"]
    assert got[0].recipients == (Recipient(name="Bob", user_id=2), Recipient(name="the docs team", kind="text"))
    assert got[0].created_at == T0 + dt.timedelta(days=1)
    assert [s.message_id for s in by_window] == [1000]


def test_retracted_shoutouts_leave_listings(database):
    with database.session() as session:
        a = record_shoutout(session=session, shoutout=_shoutout(0))
        record_shoutout(session=session, shoutout=_shoutout(1))
    with database.session() as session:
        retract_shoutout(session=session, shoutout_id=a.id, by="Ann", at=T0)
    with database.session() as session:
        assert [s.text for s in list_shoutouts(session=session)] == ["thanks #1"]
        assert [s.text for s in list_shoutouts_for_person(session=session, user_id=2)] == ["thanks #1"]
        _, retracted_at = get_shoutout(session=session, shoutout_id=a.id)
        assert retracted_at == T0
        with pytest.raises(ShoutoutNotFoundError, match="No shout-out with id 999"):
            get_shoutout(session=session, shoutout_id=999)


def test_edit_replaces_text_and_recipients(database):
    with database.session() as session:
        a = record_shoutout(session=session, shoutout=_shoutout(0))
    with database.session() as session:
        edit_shoutout(session=session, shoutout_id=a.id, text="fixed", at=T0, recipients=[Recipient(name="Cy", user_id=3)])
    with database.session() as session:
        (s,) = list_shoutouts(session=session)
    assert (s.text, s.recipients) == ("fixed", (Recipient(name="Cy", user_id=3),))


def test_person_lookup_by_name_is_case_insensitive_and_giver_side_works(database):
    with database.session() as session:
        record_shoutout(session=session, shoutout=_shoutout(0, to="Jane Doe", to_id=None))
        record_shoutout(session=session, shoutout=_shoutout(1, giver="Zed", giver_id=9))
    with database.session() as session:
        assert [s.text for s in list_shoutouts_for_person(session=session, name="jane doe")] == ["thanks #0"]
        assert [s.text for s in list_shoutouts_for_person(session=session, user_id=9, giver=True)] == ["thanks #1"]


def test_count_recent_counts_one_giver_since(database):
    with database.session() as session:
        for i in range(4):
            record_shoutout(session=session, shoutout=_shoutout(i))
        record_shoutout(session=session, shoutout=_shoutout(5, giver="Zed", giver_id=9))
    with database.session() as session:
        assert count_recent_shoutouts(session=session, since=T0 + dt.timedelta(days=2), giver_id=1) == 2
        assert count_recent_shoutouts(session=session, since=T0, giver="Zed", giver_id=None) == 1


def test_claim_event_succeeds_once(database):
    with database.session() as session:
        assert claim_event(session=session, event_key="message:1", at=T0) is True
        record_event_reply(session=session, event_key="message:1", reply_message_id=77)
    with database.session() as session:
        assert claim_event(session=session, event_key="message:1", at=T0) is False
        assert event_reply(session=session, event_key="message:1") == (True, 77)
        assert event_reply(session=session, event_key="message:2") == (False, None)


def test_rolled_back_claim_can_be_taken_again(database):
    with pytest.raises(RuntimeError), database.session() as session:
        claim_event(session=session, event_key="message:5", at=T0)
        raise RuntimeError("process died")
    with database.session() as session:
        assert claim_event(session=session, event_key="message:5", at=T0) is True


def test_pause_and_resume_report_changes(database):
    from chatops.storage.state import is_paused, paused_digests, set_paused

    with database.session() as session:
        assert set_paused(session=session, digest="weekly", paused=True, by="Ann", at=T0) is True
        assert set_paused(session=session, digest="weekly", paused=True, by="Ann", at=T0) is False
    with database.session() as session:
        assert is_paused(session=session, digest="weekly") is True
        assert paused_digests(session=session) == {"weekly"}
        assert set_paused(session=session, digest="weekly", paused=False, by="Ann", at=T0) is True
    with database.session() as session:
        assert is_paused(session=session, digest="weekly") is False
        assert is_paused(session=session, digest="never-set") is False
