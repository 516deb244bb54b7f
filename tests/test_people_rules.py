"""People registry rules (pure): synthetic histories with renamed people, shared first names, handles added
later, an organisation's handle and opt-outs; and the real fixtures."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from digests.model import Attendee, Celebration, Meeting, Recipient, Shoutout, Window
from digests.people import (
    PeopleRules,
    PersonSpec,
    Registry,
    Sighting,
    is_group,
    person_key,
    shoutout_sightings,
)

UTC = dt.UTC


def meeting(day: str, *people: tuple[str | None, str | None] | str, newcomers: tuple[str, ...] = (),
            thanked: tuple[str, ...] = (), text: str = "thanks", doc: str = "notes.md",
            affiliation: str | None = None) -> Meeting:
    attendees = []
    for p in people:
        name, handle = (p, None) if isinstance(p, str) else p
        attendees.append(Attendee(name=name, handle=handle, affiliation=affiliation))
    celebrations = (Celebration(text=text, people=thanked),) if thanked else ()
    return Meeting(date=dt.date.fromisoformat(day), title="Team meeting", document=doc,
                   attendees=tuple(attendees), newcomers=newcomers, celebrations=celebrations)


def build(*meetings: Meeting, rules: PeopleRules | None = None) -> Registry:
    registry = Registry(rules)
    for m in sorted(meetings, key=lambda m: m.date or dt.date.min):
        registry.observe_meeting(m)
    return registry


def month(year: int, m: int) -> Window:
    end = dt.datetime(year + (m == 12), m % 12 + 1, 1, tzinfo=UTC)
    return Window(since=dt.datetime(year, m, 1, tzinfo=UTC), until=end)


def names(people: list) -> list[str]:
    return sorted(p.name for p in people)


def test_a_handle_is_strong_and_a_renamed_person_shows_the_new_name() -> None:
    registry = build(
        meeting("2019-03-05", ("Jo Smith", "jsmith"), ("Ann Lee", "annlee")),
        meeting("2021-06-01", ("Jo Brown", "jsmith"), ("Ann Lee", "annlee")),
    )
    assert len(registry.people) == 2
    jo = registry.find("@jsmith")[0]
    assert jo.canonical() == "Jo Brown"
    assert registry.find("Jo Smith") == [jo]
    assert [r.rule for _, r in registry.sightings_of(jo.id)] == ["new", "handle"]


def test_shared_first_names_resolve_only_within_the_meeting_or_recently() -> None:
    registry = build(
        meeting("2020-01-07", ("Sam Jones", "sjones"), ("Sam Park", "spark")),
        meeting("2020-02-04", ("Sam Jones", "sjones"), thanked=("Sam",)),  # one Sam in this meeting
        meeting("2020-03-03", ("Lee Wu", "leewu"), thanked=("Sam",)),  # two Sams seen recently: not guessed
    )
    feb = [(s, r) for src in registry.sightings.values() for rec in src
           for s, r in [(rec.sighting, rec.resolution)] if s.when.month == 2 and s.role == "celebrated"]
    assert feb[0][1].rule == "first-name-same-meeting"
    assert registry.people[feb[0][1].person].handle == "sjones"
    march = [rec.resolution for src in registry.sightings.values() for rec in src
             if rec.sighting.when.month == 3 and rec.sighting.role == "celebrated"]
    assert march[0].person is None and march[0].rule == "ambiguous"
    assert len(registry.people) == 3  # the ambiguous "Sam" created nobody


def test_a_first_name_long_after_stays_a_name_and_is_not_welcomed() -> None:
    registry = build(
        meeting("2018-01-09", ("Priya", "priya-k")),
        meeting("2021-05-04", ("Lars Holm", "lholm"), thanked=("Priya",)),
    )
    rec = next(r for src in registry.sightings.values() for r in src if r.sighting.role == "celebrated")
    assert rec.resolution.person is None and rec.resolution.rule == "stays-a-name"
    assert len(registry.people) == 2


def test_handles_added_later_join_the_person_known_by_name() -> None:
    registry = build(
        meeting("2019-01-08", "Ana Lopez", "Ben Ode"),
        meeting("2019-02-05", "Ana Lopez"),
        meeting("2020-04-07", ("Ana Lopez", "alopez"), ("Ben", "bo-42")),
    )
    ana = registry.find("@alopez")
    assert len(ana) == 1 and ana[0].first_seen and ana[0].first_seen.date() == dt.date(2019, 1, 8)
    ben = registry.find("@bo-42")[0]
    assert ben.first_seen and ben.first_seen.date() == dt.date(2020, 4, 7)  # "Ben" long after "Ben Ode": no guess
    assert len(registry.people) == 3
    assert registry.snapshot(month(2020, 4)).welcomed() == []  # a year without notes before: not welcomed


def test_a_handle_spelled_by_a_name_seen_before_joins_that_person() -> None:
    registry = build(meeting("2019-01-08", "Ben Ode"), meeting("2020-04-07", ("Ben", "benode")))
    assert len(registry.people) == 1
    assert [r.rule for _, r in registry.sightings_of(registry.find("@benode")[0].id)] == ["new", "identifier-added"]


def test_an_organisation_is_never_a_person_nor_a_profile_link() -> None:
    registry = build(
        meeting("2022-01-11", ("Kai", "kai"), affiliation="2i2c"),
        meeting("2022-02-08", ("Kai", "kai"), thanked=("kai", "2i2c"), text="work by @kai and @2i2c"),
        rules=PeopleRules(organisations=frozenset({"jupyterhub"})),
    )
    assert registry.find("2i2c") == []
    assert len(registry.people) == 1
    rules = [rec.resolution.rule for src in registry.sightings.values() for rec in src]
    assert "organisation" in rules
    org = registry.observe(Sighting("x", "x", "celebrated", dt.datetime(2022, 3, 1, tzinfo=UTC), "x", handle="jupyterhub"))
    assert org.person is None and org.rule == "organisation"


@pytest.mark.parametrize("text", ["all", "everyone", "the docs team", "Steering Council", "JupyterHub team"])
def test_teams_and_everyone_are_not_people(text: str) -> None:
    assert is_group(text)


@pytest.mark.parametrize("text", ["Min", "Simon Li", "Brigitta Sipőcz"])
def test_names_are_not_groups(text: str) -> None:
    assert not is_group(text)


def test_full_name_that_spells_a_handle_is_that_person() -> None:
    registry = build(meeting("2023-01-17", ("Yuvi", "yuvipanda")))
    shout = Shoutout(id=1, giver="Min RK", giver_id=7, text="thanks", created_at=dt.datetime(2023, 2, 1, tzinfo=UTC),
                     recipients=(Recipient(name="Yuvi Panda", user_id=42),))
    registry.observe_all(shoutout_sightings(shout))
    yuvi = registry.find("@yuvipanda")[0]
    assert registry.find("Yuvi Panda") == [yuvi] and registry.find("zulip:42") == [yuvi]
    assert yuvi.canonical() == "Yuvi Panda"
    assert len(registry.people) == 2  # Yuvi, and Min (the giver)


def test_who_is_new_is_counted_from_the_start_of_history_and_nobody_is_welcomed_twice() -> None:
    history = [meeting(f"{year}-{m:02d}-05", ("Old Timer", "oldtimer"), ("Lead Person", "lead"))
               for year in range(2016, 2024) for m in (1, 4, 7, 10)]
    history.append(meeting("2023-04-05", ("Old Timer", "oldtimer"), ("Lead Person", "lead"), ("New Comer", "newc"),
                           newcomers=("Lead Person", "New Comer")))  # the lead writes in the intro round
    history.append(meeting("2023-07-05", ("New Comer", "newc"), newcomers=("New Comer",)))
    registry = build(*history)
    assert names(registry.snapshot(month(2023, 4)).welcomed()) == ["New Comer"]
    assert registry.snapshot(month(2023, 7)).welcomed() == []
    assert registry.snapshot(month(2016, 1)).welcomed() == []  # the first meeting: there before the record


def test_someone_back_after_a_long_absence_is_welcomed_back() -> None:
    registry = build(
        meeting("2020-01-07", ("Rosa Lind", "rosal"), ("Omar Ali", "omar")),
        *(meeting(f"2020-{m:02d}-06", ("Omar Ali", "omar")) for m in range(2, 13)),
        meeting("2021-02-02", ("Rosa Lind", "rosal"), ("Omar Ali", "omar")),
        rules=PeopleRules(absence=dt.timedelta(days=183)),
    )
    snapshot = registry.snapshot(month(2021, 2))
    assert [(p.name, when.date()) for p, when in snapshot.returning()] == [("Rosa Lind", dt.date(2020, 1, 7))]
    shorter = build(meeting("2020-01-07", ("Rosa Lind", "rosal")), meeting("2020-05-05", ("Rosa Lind", "rosal")))
    assert shorter.snapshot(month(2020, 5)).returning() == []


def test_a_gap_in_the_notes_is_not_an_absence() -> None:
    registry = build(meeting("2020-01-07", ("Rosa Lind", "rosal")), meeting("2022-03-01", ("Rosa Lind", "rosal")))
    assert registry.snapshot(month(2022, 3)).returning() == []  # no notes between: nobody knows she was away


def test_opted_out_people_are_known_but_never_named() -> None:
    registry = build(
        meeting("2020-01-07", ("Old Hand", "oldhand")),
        meeting("2020-06-02", ("Old Hand", "oldhand"), ("Quiet One", "quiet")),
        rules=PeopleRules(opt_out=frozenset({person_key("quiet")})),
    )
    snapshot = registry.snapshot(month(2020, 6))
    assert snapshot.welcomed() == []
    quiet = registry.find("@quiet")[0]
    assert quiet.opted_out and snapshot.identify("Quiet One", handle="quiet").opted_out  # type: ignore[union-attr]


def test_configured_aliases_and_merges_make_one_person() -> None:
    rules = PeopleRules(people=(PersonSpec(name="Min Ragan-Kelley", github=("minrk",), aliases=("MinRK", "Min")),))
    registry = build(meeting("2020-01-07", ("Min", "minrk")), meeting("2021-01-05", "MinRK"), rules=rules)
    assert len(registry.people) == 1
    assert registry.find("MinRK")[0].canonical() == "Min Ragan-Kelley"


def test_reobserving_a_changed_document_never_creates_a_second_person() -> None:
    first = meeting("2020-01-07", ("Ana Lopez", "alopez"), "Ben Ode", doc="a.md")
    registry = build(first)
    registry.forget_source("notes:a.md")
    edited = meeting("2020-01-07", ("Ana Lopez", "alopez"), ("Ben Ode", "benode"), "Cy Dee", doc="a.md")
    registry.observe_meeting(edited)
    registry.prune(list(registry.people))
    assert sorted(p.canonical() for p in registry.people.values()) == ["Ana Lopez", "Ben Ode", "Cy Dee"]


def test_split_and_merge() -> None:
    registry = build(meeting("2020-01-07", ("Chris", "chris1")), meeting("2020-02-04", "Chris Holm"))
    a, b = registry.find("@chris1")[0], registry.find("Chris Holm")[0]
    assert a.id != b.id
    merged = registry.merge(a.id, b.id)
    assert registry.find("Chris Holm") == [merged] and len(merged.seen) == 2
    new = registry.split(merged.id, "Chris Holm")
    assert registry.find("Chris Holm") == [new] and len(new.seen) == 1 and len(merged.seen) == 1


FIXTURES = Path(__file__).resolve().parent.parent / "chatops" / "data" / "example-notes"


def _fixture_meetings(*names_: str) -> list[Meeting]:
    from chatops.pipeline import load_meetings

    return sorted(load_meetings(None, notes=[str(FIXTURES / n) for n in names_], cache=None),
                  key=lambda m: m.date or dt.date.min)


def test_collab_cafe_nobody_seen_earlier_in_the_archive_is_welcomed_later() -> None:
    meetings = _fixture_meetings("collab-cafe-2025.md")
    registry = build(*meetings)
    seen: set[int] = set()
    for m in meetings:
        assert m.date is not None
        snapshot = registry.snapshot(Window(since=dt.datetime.combine(m.date, dt.time(0), tzinfo=UTC),
                                            until=dt.datetime.combine(m.date + dt.timedelta(days=1), dt.time(0), tzinfo=UTC)))
        welcomed = {p.id for p in snapshot.welcomed()}
        assert not (welcomed & seen), f"{m.date}: welcomed again {[registry.people[i].canonical() for i in welcomed & seen]}"
        for attendee in m.attendees:  # everyone earlier in the archive, by handle
            if attendee.handle:
                seen.add(registry.find("@" + attendee.handle)[0].id)
        seen |= set(snapshot.people)
    may = registry.snapshot(month(2025, 5))
    assert {"Min RK", "Simon Li", "Dan Sholler", "Kirstie Whitaker", "Angus Hollands"}.isdisjoint(names(may.welcomed()))
    assert {"Matt Fisher", "Beth Duckles", "Zachary Katz"} <= set(names(may.welcomed()))


def test_yuvi_yuvipanda_and_yuvi_panda_are_one_person_when_the_notes_tie_them() -> None:
    meetings = _fixture_meetings("community-2023-01-17.md", "collab-cafe-2025.md")
    meetings.append(meeting("2025-07-15", ("Yuvi Panda", None), doc="later.md"))
    registry = build(*meetings)
    yuvi = registry.find("@yuvipanda")
    assert len(yuvi) == 1
    assert registry.find("Yuvi Panda") == yuvi
    linked = [(s.written, r.rule) for s, r in registry.sightings_of(yuvi[0].id)]
    assert ("Yuvi", "first-name-recent") in linked and ("yuvipanda", "handle") in linked
    assert ("Yuvi Panda", "name-spells-handle") in linked
    assert yuvi[0].canonical() == "Yuvi Panda"


def test_digests_use_the_snapshot_one_name_one_link_counts_and_opt_outs() -> None:
    from digests.compile import compile_digest

    history = [meeting(f"2024-{m:02d}-02", ("Min RK", "minrk"), ("Simon Li", "manics"), ("Quiet One", "quiet"))
               for m in range(1, 6)]
    june = meeting("2024-06-04", ("Min", "minrk"), ("Simon Li", "manics"), ("Quiet One", "quiet"), ("Erik S", "erik"),
                   *[(f"Person {i}", f"p{i}") for i in range(8)], thanked=("Min", "everyone"),
                   text="Min for the release")
    rules = PeopleRules(opt_out=frozenset({"quiet"}))
    registry = build(*history, june, rules=rules)
    shout = Shoutout(id=1, giver="Quiet One", giver_id=9, text="for reviewing all my pull requests",
                     created_at=dt.datetime(2024, 6, 5, tzinfo=UTC), recipients=(Recipient(name="Min RK", user_id=5),))
    registry.observe_all(shoutout_sightings(shout))
    registry.find("@quiet")[0].opted_out = True
    window = month(2024, 6)
    snapshot = registry.snapshot(window)
    community = compile_digest("community", window, meetings=[june], releases=[], shoutouts=[shout], people=snapshot)
    assert community.counts.people == 12  # "Min" and "Min RK" are one person
    attendance = community.section("attendance")
    assert attendance is not None and attendance.entries[1].text == (
        "Who came: Min RK, Simon Li, Erik S and 8 others (and 1 person who prefer not to be named).")
    welcome = community.section("newcomers")
    assert welcome is not None and "Quiet One" not in [p.name for e in welcome.entries for p in e.people]
    thanks = compile_digest("celebratory", window, meetings=[june], releases=[], shoutouts=[shout], people=snapshot)
    section = thanks.section("shoutouts")
    assert section is not None
    min_groups = [e for e in section.entries if [p.name for p in e.people] == ["Min RK"]]
    assert len(min_groups) == 1 and len(min_groups[0].children) == 2  # chat and notes, under one person
    givers = [c.name for e in section.entries for child in e.children for c in child.credits]
    assert "Quiet One" not in givers and "someone" in givers


def test_a_chat_nick_with_digits_is_shown_as_written_never_as_a_number() -> None:
    """Meeting bots list people by nick ("seb128", "user_42"): those are the names as written."""
    registry = build(meeting("2024-03-12", "seb128", "rbasak", "user_42"))
    assert sorted(p.canonical() for p in registry.people.values()) == ["rbasak", "seb128", "user_42"]
    assert registry.find("seb128")[0].canonical() == "seb128"
