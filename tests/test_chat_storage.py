"""The shout-out repository on SQLite and PostgreSQL: windows, retraction, edits, rate counts, claims."""

from __future__ import annotations

import datetime as dt

import pytest

from chatops.storage.shoutouts import (
    ShoutoutNotFoundError,
    claim_event,
    claim_events,
    count_recent_shoutouts,
    count_recent_shoutouts_by_giver,
    edit_shoutout,
    event_reply,
    get_shoutout,
    list_shoutouts,
    list_shoutouts_for_person,
    record_event_reply,
    record_shoutout,
    record_shoutouts,
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


def test_record_many_stores_the_same_rows_in_order(database):
    with database.session() as session:
        first = record_shoutout(session=session, shoutout=_shoutout(0))
        many = record_shoutouts(session=session, shoutouts=[_shoutout(i, to=f"P{i}", to_id=None) for i in (3, 1, 2)])
        assert record_shoutouts(session=session, shoutouts=[]) == []
    assert [s.id for s in many] == [first.id + 1, first.id + 2, first.id + 3]
    assert [s.text for s in many] == ["thanks #3", "thanks #1", "thanks #2"]
    with database.session() as session:
        stored = {s.id: s for s in list_shoutouts(session=session)}
    assert [stored[s.id] for s in many] == many
    assert stored[many[0].id].recipients == (Recipient(name="P3"), Recipient(name="the docs team", kind="text"))


def test_count_recent_by_giver_counts_several_givers_in_one_go(database):
    with database.session() as session:
        record_shoutouts(session=session, shoutouts=[
            *(_shoutout(i) for i in range(4)), _shoutout(5, giver="Zed", giver_id=None),
            _shoutout(6, giver="Yan", giver_id=7),
        ])
    with database.session() as session:
        counts = count_recent_shoutouts_by_giver(
            session=session, since=T0 + dt.timedelta(days=2), giver_ids=[1, 7, 8], givers=["Zed", "Ann", "Nobody"],
        )
        assert counts == {1: 2, 7: 1, 8: 0, "Zed": 1, "Ann": 2, "Nobody": 0}
        assert count_recent_shoutouts_by_giver(session=session, since=T0) == {}


def test_claim_events_claims_each_key_once(database):
    with database.session() as session:
        assert claim_event(session=session, event_key="message:1", at=T0) is True
    with database.session() as session:
        got = claim_events(session=session, event_keys=["message:1", "message:2", "message:3", "message:2"], at=T0)
        assert got == {"message:2", "message:3"}
        assert claim_events(session=session, event_keys=["message:3"], at=T0) == set()
        assert claim_events(session=session, event_keys=[], at=T0) == set()
    with pytest.raises(RuntimeError), database.session() as session:
        assert claim_events(session=session, event_keys=["message:4", "message:5"], at=T0) == {"message:4", "message:5"}
        raise RuntimeError("process died")
    with database.session() as session:
        assert claim_events(session=session, event_keys=["message:5", "message:4", "message:2"], at=T0) == {
            "message:4", "message:5",
        }


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
