"""Notes in styles that are not in the fixtures: each document below is written the way real
communities write notes, and the test states what a reader takes from it."""

from __future__ import annotations

import datetime as dt

import pytest

from digests.errors import NotesParseError
from digests.notes import SectionTable, is_placeholder, normalize_heading, parse_notes

WEEKLY_REPORT = """\
# Weekly report — 3 March 2021

### Present
- Ana Lima (Quansight)
- Bo Chen, Anaconda
- @carol-k

### Thanks, Things to Celebrate
- Thanks to @dave for triaging 40 issues!
- Kudos to Eve Moreau and Frank for the docs sprint.
- add item here

### Discussion
* [Ana - 5 min] Release cadence
    * Agreed to release every six weeks.
* Budget for the sprint (Bo, 10m)
    * Decision: spend the remaining travel money on the sprint.

### Next actions
- Bo to book the venue
- [ ] @carol-k: draft the announcement
- Ana will update the roadmap
"""

EMOJI_LEVEL3 = """\
---
title: Community call
date: 2024-05-07
---

## :wave: Sign-in

| Name | GitHub | Affiliation |
| --- | --- | --- |
| Dana Scully | @dscully | FBI |
| Fox Mulder | [mulder](https://github.com/foxmulder) | |

## :mega: Updates

- **Dana:** finished the migration to pyproject.toml
- name: update or pass
- **Fox:** pass

## :tada: Shout-outs!

- **Dana:** Huge thanks to [Walter](https://github.com/wskinner) for reviewing everything.

## :dart: Agenda

### Roadmap for 2.0 (Fox, 15 min)
- we need a deprecation policy
- https://example.org/roadmap

### Packaging
- TODO: check conda-forge feedstock

## :white_check_mark: Action items

1. Dana to write the deprecation policy
2. Fox: follow up with conda-forge
"""

HACKMD_ARCHIVE_L3 = """\
# Team sync notes

Template (copy for each meeting):
- Attendees:
- Agenda:

### 2024-01-09

Attendees: Ana, Bo, Carol

**Agenda**
- [name=Ana] CI is flaky again (5m)
- [name=Bo] New logo :art:

:::info
Reminder: https://example.org/handbook
:::

Next steps:
- Ana to pin the runner image
- Bo to share three logo drafts

### January 23, 2024

Roll call:
- Ana
- Carol

Agenda
- Carol - docs theme (10 mins)
  - Conclusion: switch to the new theme after the release.
"""

TODO_AND_ROLLCALL = """\
Meeting notes 2022_11_02

## Roll call
Name / Institution / GitHub handle
Priya / IIT / @priya-d
Lee / - / lee-j

## Decisions
- Move the meeting to Thursdays.

## TODO
- Priya: update the calendar invite
"""


def one(text: str, **kw):
    meetings = parse_notes(text, document=kw.pop("document", "notes.md"), **kw)
    assert len(meetings) == 1, [m.date for m in meetings]
    return meetings[0]


def test_weekly_report_with_level3_headings_thanks_and_next_actions():
    m = one(WEEKLY_REPORT)
    assert m.date == dt.date(2021, 3, 3)
    assert [(a.name, a.handle, a.affiliation) for a in m.attendees] == [
        ("Ana Lima", None, "Quansight"),
        ("Bo Chen", None, "Anaconda"),
        (None, "carol-k", None),
    ]
    assert [c.people for c in m.celebrations] == [("dave",), ("Eve Moreau", "Frank")]
    assert [(a.title, a.owner, a.minutes) for a in m.agenda] == [
        ("Release cadence", "Ana", 5),
        ("Budget for the sprint", "Bo", 10),
    ]
    assert [d.text for d in m.decisions] == [
        "Agreed to release every six weeks.",
        "spend the remaining travel money on the sprint.",
    ]
    assert [(a.text, a.owner) for a in m.action_items] == [
        ("Bo to book the venue", "Bo"),
        ("draft the announcement", "carol-k"),
        ("Ana will update the roadmap", "Ana"),
    ]


def test_emoji_headings_front_matter_tables_and_placeholders():
    m = one(EMOJI_LEVEL3)
    assert m.date == dt.date(2024, 5, 7)
    assert m.title == "Community call"
    assert [(a.name, a.handle, a.affiliation) for a in m.attendees] == [
        ("Dana Scully", "dscully", "FBI"),
        ("Fox Mulder", "foxmulder", None),
    ]
    # "name: update or pass" is the template; "Fox: pass" is no update.
    assert [(u.by, u.text) for u in m.updates] == [("Dana", "finished the migration to pyproject.toml")]
    assert [(c.by, c.people) for c in m.celebrations] == [("Dana", ("wskinner",))]
    assert [(a.title, a.owner, a.minutes) for a in m.agenda] == [
        ("Roadmap for 2.0", "Fox", 15),
        ("Packaging", None, None),
    ]
    assert m.agenda[0].discussion == ("we need a deprecation policy", "https://example.org/roadmap")
    assert m.agenda[0].source is not None and m.agenda[0].source.anchor == "roadmap-for-20-fox-15-min"
    assert [(a.text, a.owner) for a in m.action_items] == [
        ("check conda-forge feedstock", None),
        ("Dana to write the deprecation policy", "Dana"),
        ("follow up with conda-forge", "Fox"),
    ]
    assert m.decisions == ()


def test_archive_with_level3_date_headings_in_two_date_styles():
    meetings = parse_notes(HACKMD_ARCHIVE_L3, document="sync.md", url="https://hackmd.io/abc")
    assert [m.date for m in meetings] == [dt.date(2024, 1, 9), dt.date(2024, 1, 23)]
    first, second = meetings
    assert [a.name for a in first.attendees] == ["Ana", "Bo", "Carol"]
    assert [(a.title, a.owner, a.minutes) for a in first.agenda] == [
        ("CI is flaky again", "Ana", 5),
        ("New logo :art:", "Bo", None),
    ]
    assert [(a.text, a.owner) for a in first.action_items] == [
        ("Ana to pin the runner image", "Ana"),
        ("Bo to share three logo drafts", "Bo"),
    ]
    assert first.links == ("https://example.org/handbook",)
    assert first.source is not None and first.source.url == "https://hackmd.io/abc#2024-01-09"
    assert [a.name for a in second.attendees] == ["Ana", "Carol"]
    assert [(a.title, a.owner, a.minutes) for a in second.agenda] == [("docs theme", "Carol", 10)]
    assert [d.text for d in second.decisions] == ["switch to the new theme after the release."]
    # the template before the first meeting is nobody's meeting
    assert all(a.name != "Attendees" for m in meetings for a in m.attendees)


def test_paragraph_roll_call_with_column_template_and_file_date():
    m = one(TODO_AND_ROLLCALL, document="notes/meeting-2022_11_02.md")
    assert m.date == dt.date(2022, 11, 2)
    assert [(a.name, a.handle, a.affiliation) for a in m.attendees] == [
        ("Priya", "priya-d", "IIT"),
        ("Lee", "lee-j", None),
    ]
    assert [d.text for d in m.decisions] == ["Move the meeting to Thursdays."]
    assert [(a.text, a.owner) for a in m.action_items] == [("update the calendar invite", "Priya")]


def test_date_from_file_name_when_the_text_has_none():
    m = one("## Agenda\n- something\n", document="minutes/20240315-team.md")
    assert m.date == dt.date(2024, 3, 15)
    assert one("## Agenda\n- something\n", document="x.md").date is None


def test_nothing_is_invented_from_questions_and_opinions():
    m = one(
        "## Agenda\n"
        "- **Min** (5m): dependabot\n"
        "  - Do we have agreement to go monthly?\n"
        "  - I agree with the proposal\n"
        "  - Thanks to everyone who came\n"
        "  - Related to the security work\n"
        "  - Agenda item goal: to make a decision on this\n"
    )
    assert m.decisions == ()
    assert m.action_items == ()


def test_x_to_do_y_needs_someone_the_notes_name():
    m = one(
        "## Attendees\n- Erik / @consideRatio\n\n## Notes\n"
        "- Erik to remove LTE 1.3\n- Nice to have: faster CI\n- Welcome to the new folks\n"
    )
    assert [(a.text, a.owner) for a in m.action_items] == [("Erik to remove LTE 1.3", "Erik")]


def test_headings_table_is_extended_from_config():
    text = "## Bravo corner\n- @ana for the release\n"
    assert one(text).celebrations == ()
    m = one(text, headings={"celebrations": ["Bravo Corner"]})
    assert [c.people for c in m.celebrations] == [("ana",)]
    table = SectionTable({"agenda": ["Sujets"]})
    assert table.classify("### Sujets :memo:") == "agenda"


def test_unknown_section_kind_is_a_clear_error():
    with pytest.raises(NotesParseError, match=r"notes.md: unknown notes section kind 'kudos'; expected one of: attendees"):
        parse_notes("x", document="notes.md", headings={"kudos": ["Kudos"]})


@pytest.mark.parametrize(
    ("heading", "kind"),
    [
        ("Check-in :raising_hand:", "attendees"),
        ("Attendees", "attendees"),
        ("👋 Present", "attendees"),
        ("Roll call", "attendees"),
        ("Sign-in sheet", "attendees"),
        ("Introduce yourself! :wave:", "newcomers"),
        ("Quick updates", "updates"),
        ("Reports and celebrations", "celebrations"),
        ("Celebrations and Shout-Outs :tada:", "celebrations"),
        ("Thanks, Things to Celebrate", "celebrations"),
        ("Agenda items", "agenda"),
        ("AGENDA :clock2:", "agenda"),
        ("Action items", "action_items"),
        ("Next steps", "action_items"),
        ("TODO", "action_items"),
        ("To-dos", "action_items"),
        ("Decisions made", "decisions"),
        ("Welcome to the Team Meeting", None),
        ("Presentations", None),
    ],
    ids=lambda v: str(v),
)
def test_heading_variants_map_to_section_kinds(heading, kind):
    assert SectionTable().classify(heading) == kind


def test_normalize_heading_drops_shortcodes_emoji_and_punctuation():
    assert normalize_heading("Celebrations and Shout-Outs :tada: 🎉!") == "celebrations and shout outs"


@pytest.mark.parametrize(
    "text",
    ["_Name / GitHub handle / affiliation_", "add item here", "Add your name below", "name: update or pass", "...", "TBD"],
)
def test_template_placeholders_are_recognised(text):
    assert is_placeholder(text)


@pytest.mark.parametrize("text", ["Min / @minrk / Simula", "Release 2.0 (Min, 5m)", "Min"])
def test_real_items_are_not_placeholders(text):
    assert not is_placeholder(text)


def test_sources_point_back_to_heading_and_line():
    text = "# Notes\n\n## Celebrations :tada:\n\n- first\n- second\n"
    m = one(text, document="n.md", url="https://example.org/n")
    refs = [c.source for c in m.celebrations]
    assert [(r.anchor, r.line, r.url) for r in refs if r] == [
        ("celebrations", 5, "https://example.org/n#celebrations"),
        ("celebrations", 6, "https://example.org/n#celebrations"),
    ]


def test_hard_wraps_and_escaped_handles_inside_items():
    text = (
        "## Reports and celebrations\n\n"
        "- **Erik:** `@dolfinus` has made a lot of thorough PRs to KubeSpawner - \n"
        "such\n  as adding tests!\n"
        "- \\@minrk fixed\n  the release\n"
    )
    m = one(text)
    assert [c.text for c in m.celebrations] == [
        "`@dolfinus` has made a lot of thorough PRs to KubeSpawner - such as adding tests!",
        "@minrk fixed the release",
    ]
    assert [c.people for c in m.celebrations] == [("dolfinus",), ("minrk",)]
    assert m.celebrations[0].by == "Erik"


def test_empty_document_has_no_meetings():
    assert parse_notes("", document="e.md") == []
    assert parse_notes("   \n\n", document="e.md") == []


TOPIC_HEADINGS = """\
# Infra call

Date: June 4, 2024

## Attendees
- Min
- Erik

## Agenda

### 1. CI migration (Min, 10 min)

Notes:
- GitHub Actions is faster

#### Decisions
- Go with GitHub Actions.

### 2. Release 2024-06-15 plan
- **Erik:** tag on Friday

Action items:
- [ ] Min to migrate the docs build
- [x] Erik: write the changelog
"""


def test_agenda_topics_as_headings_with_their_own_decisions_and_actions():
    m = one(TOPIC_HEADINGS)
    assert m.date == dt.date(2024, 6, 4)
    assert [(a.title, a.owner, a.minutes) for a in m.agenda] == [
        ("CI migration", "Min", 10),
        ("Release 2024-06-15 plan", None, None),
    ]
    assert m.agenda[0].discussion == ("Notes:", "GitHub Actions is faster")
    assert m.agenda[1].discussion[0] == "Erik: tag on Friday"
    assert [d.text for d in m.decisions] == ["Go with GitHub Actions."]
    assert [(a.text, a.owner) for a in m.action_items] == [
        ("Min to migrate the docs build", "Min"),
        ("write the changelog", "Erik"),
    ]


def test_group_mentions_are_not_people():
    m = one("## Shout-outs\n- Thanks @all and @everyone, especially @ana!\n\n## Attendees\n- @here\n- Bo / @bo\n")
    assert m.celebrations[0].people == ("ana",)
    assert [(a.name, a.handle) for a in m.attendees] == [("Bo", "bo")]


MINUTES_WITHOUT_HEADINGS = """\
**Meeting minutes – Steering Council – 12 March 2024**

**Present:** Alice Smith (@alice), Bob Jones, Carol (@carol)
**Apologies:** Dan

**1. Budget** (Alice)
Discussion about the 2024 budget. We agreed to allocate $5k to the docs sprint.

**2. Code of conduct**
- Carol presented the new draft https://example.org/coc
- ACTION: Bob to circulate the draft by Friday.

**Next meeting:** 9 April 2024
"""


COMMA_ROLL_AND_AGENDA_TABLE = """\
# Monthly sync

## Sign-in
1. Jane Doe, NASA, @jdoe
2. John Roe, ESA
3. _your name here_

## Round-robin
* Jane — finished the API docs :tada:
* John: nothing new

## Kudos :heart:
* @jdoe for mentoring three new contributors
* Big thanks to the NumFOCUS team!

## Discussion items
| Topic | Owner | Time |
|---|---|---|
| Roadmap | Jane | 15 min |
| Funding | John | 10 |

## Next steps
* Jane will draft the roadmap issue
* John to ask NumFOCUS about the small development grant
"""


def test_minutes_without_headings():
    m = one(MINUTES_WITHOUT_HEADINGS)
    assert m.date == dt.date(2024, 3, 12)
    assert m.title == "Meeting minutes – Steering Council – 12 March 2024"
    assert [(a.name, a.handle) for a in m.attendees] == [("Alice Smith", "alice"), ("Bob Jones", None), ("Carol", "carol")]
    assert [d.text for d in m.decisions] == ["We agreed to allocate $5k to the docs sprint."]
    assert [(a.text, a.owner) for a in m.action_items] == [("Bob to circulate the draft by Friday.", "Bob")]


def test_comma_roll_call_round_robin_kudos_and_agenda_table():
    m = one(COMMA_ROLL_AND_AGENDA_TABLE)
    assert [(a.name, a.handle, a.affiliation) for a in m.attendees] == [
        ("Jane Doe", "jdoe", "NASA"),
        ("John Roe", None, "ESA"),
    ]
    assert [(u.by, u.text) for u in m.updates] == [("Jane", "finished the API docs :tada:")]
    assert [c.people for c in m.celebrations] == [("jdoe",), ()]
    assert [(a.title, a.owner, a.minutes) for a in m.agenda] == [("Roadmap", "Jane", 15), ("Funding", "John", 10)]
    assert [(a.text, a.owner) for a in m.action_items] == [
        ("Jane will draft the roadmap issue", "Jane"),
        ("John to ask NumFOCUS about the small development grant", "John"),
    ]


def test_owner_and_minutes_after_a_bold_title():
    m = one(
        "## Attendees\n- Min / @minrk\n\n## Agenda\n"
        "- **Release 2.0** (Min, 10 min): cut the branch\n"
        "- **Docs** (Min): new theme\n"
        "- **Upgrade** (see #123): notes\n"
    )
    assert [(a.title, a.owner, a.minutes) for a in m.agenda] == [
        ("Release 2.0: cut the branch", "Min", 10),
        ("Docs: new theme", "Min", None),
        ("Upgrade (see #123): notes", None, None),
    ]


SERVER_STYLE = """\
# Jupyter Server Meeting Notes

## Meeting of 2024-01-11

### Attendees

| Name | Organization | GitHub |
| --- | --- | --- |
| Zach Sailer | Apple | @Zsailer |
| Kevin Bates | | [kevin-bates](https://github.com/kevin-bates) |

### Agenda
- [ ] Kernel provisioners docs (@zsailer)
- [x] Release 2.12

## Meeting of 2024-01-04

### Attendance
- People: Josh, Niko and Ana (@ana-t)
- Minutes, driver: Josh
"""


def test_server_style_archive_with_attendee_table_and_people_lines():
    first, second = parse_notes(SERVER_STYLE, document="server.md")
    assert first.date == dt.date(2024, 1, 11)
    assert [(a.name, a.handle, a.affiliation) for a in first.attendees] == [
        ("Zach Sailer", "zsailer", "Apple"),
        ("Kevin Bates", "kevin-bates", None),
    ]
    assert [(a.title, a.owner) for a in first.agenda] == [("Kernel provisioners docs", "zsailer"), ("Release 2.12", None)]
    assert first.action_items == ()
    assert [(a.name, a.handle) for a in second.attendees] == [("Josh", None), ("Niko", None), ("Ana", "ana-t")]


BINDER_WEEKLY = """\
# Binder team meeting 2019-07-11

## Attendees
- Tim Head
- Chris Holdgraf

## Thanks, Things to Celebrate

- @consideRatio for all the work on z2jh docs
- Thanks to OVH for hosting a cluster

## Updates

### Chris
- Worked on the Binder docs
- Gave a talk at SciPy

### Tim :rocket:
- Reviewed PRs

## Next actions
- [ ] Tim: write blog post about federation
- [ ] Chris to update the docs
"""


def test_weekly_report_with_a_heading_per_person():
    m = one(BINDER_WEEKLY)
    assert m.date == dt.date(2019, 7, 11)
    assert [c.people for c in m.celebrations] == [("consideratio",), ()]
    assert [(u.by, u.text) for u in m.updates] == [
        ("Chris", "Worked on the Binder docs"),
        ("Chris", "Gave a talk at SciPy"),
        ("Tim", "Reviewed PRs"),
    ]
    assert [(a.text, a.owner) for a in m.action_items] == [
        ("write blog post about federation", "Tim"),
        ("Chris to update the docs", "Chris"),
    ]


def test_archive_with_bold_date_lines_instead_of_headings():
    text = (
        "# Sync notes\n\n**2024-02-06**\n\nAttendees: Ana, Bo\n\n- Agreed to ship 1.0 next week.\n\n---\n\n"
        "**January 30, 2024**\n\nAttendees: Ana\n\n- TODO: Ana to draft the release notes\n"
    )
    first, second = parse_notes(text, document="sync.md")
    assert (first.date, second.date) == (dt.date(2024, 2, 6), dt.date(2024, 1, 30))
    assert [a.name for a in first.attendees] == ["Ana", "Bo"]
    assert [d.text for d in first.decisions] == ["Agreed to ship 1.0 next week."]
    assert [(a.text, a.owner) for a in second.action_items] == [("Ana to draft the release notes", "Ana")]
    assert second.source is not None and second.source.line == 11


def test_agenda_sub_headings_attach_to_the_item_that_links_or_matches_them():
    text = (
        "## Agenda\n- **Dan** 10 mins: [Voices update](#voices-of-the-project)\n- **Min:** Topic 2 release\n"
        "- **Ana:** Topic 1 docs\n\n"
        "### Voices of the project\n- interviews done\n\n### Topic 1 docs\n- new theme\n\n"
        "### Topic 2 release\n- tag Friday\n\n### Something else\n- unrelated\n"
    )
    m = one(text)
    assert [(a.title, a.discussion) for a in m.agenda] == [
        ("Voices update", ("interviews done",)),
        ("Topic 2 release", ("tag Friday",)),
        ("Topic 1 docs", ("new theme",)),
        ("Something else", ("unrelated",)),
    ]


def test_many_agenda_sub_headings_stay_separate_items():
    text = "## Agenda\n" + "".join(f"### Topic {i}\n- note {i}\n" for i in range(300))
    m = one(text)
    assert len(m.agenda) == 300
    assert m.agenda[299].title == "Topic 299" and m.agenda[299].discussion == ("note 299",)


def test_sub_headings_sharing_only_a_number_with_an_item_are_new_items():
    m = one("## Agenda\n- Item 5\n\n### Heading 5\n- n\n")
    assert [(a.title, a.discussion) for a in m.agenda] == [("Item 5", ()), ("Heading 5", ("n",))]


FLAT_ARCHIVE = """\
# Team meetings 2024

## 2024-01-09

## Attendees
- Min (@minrk)
- Ana Lima

## Agenda
- Release plan https://github.com/org/repo/issues/1
    - Agreed to release on Friday.

## 2024-01-16

## Agenda
- Docs sprint https://github.com/org/repo/pull/2

## Not a section: the team's links
- https://example.org/handbook
"""


def test_sections_written_at_the_same_level_as_the_date_belong_to_that_meeting():
    first, second = parse_notes(FLAT_ARCHIVE, document="flat.md")
    assert (first.date, second.date) == (dt.date(2024, 1, 9), dt.date(2024, 1, 16))
    assert [a.name for a in first.attendees] == ["Min", "Ana Lima"]
    assert [a.handle for a in first.attendees] == ["minrk", None]
    assert [i.title for i in first.agenda] == ["Release plan https://github.com/org/repo/issues/1"]
    assert [d.text for d in first.decisions] == ["Agreed to release on Friday."]
    assert [i.title for i in second.agenda] == ["Docs sprint https://github.com/org/repo/pull/2"]
    assert second.attendees == ()
    # a same-level heading that names no section ends the meeting, as before
    assert "https://example.org/handbook" not in second.links


ROLL_CALL_FORMS = """\
# Team meeting 2024-01-09

## Attendees
- Min RK (@minrk, Simula)
- Ana Lima (Quansight, @analima)
- Bo Chen / @bochen / Anaconda
- Eve Moreau - QuantStack - @evem
- Frank Li, @frankli, Berkeley
- Gil Ode (Simula)
- Hana Park - will be late
- Ian Roe (he/him)
"""


def test_roll_call_forms_with_handle_and_affiliation_in_any_order():
    (meeting,) = parse_notes(ROLL_CALL_FORMS, document="roll.md")
    assert [(a.name, a.handle, a.affiliation) for a in meeting.attendees] == [
        ("Min RK", "minrk", "Simula"),
        ("Ana Lima", "analima", "Quansight"),
        ("Bo Chen", "bochen", "Anaconda"),
        ("Eve Moreau", "evem", "QuantStack"),
        ("Frank Li", "frankli", "Berkeley"),
        ("Gil Ode", None, "Simula"),  # a parenthesis without "@" is not a handle
        ("Hana Park", None, None),  # a remark is not an organisation
        ("Ian Roe", None, None),  # pronouns are neither
    ]


def test_bold_topic_lines_formal_decisions_and_a_first_time_remark():
    m = one(
        "# Sync 2031-05-02\n\n**Release planning**\n\n- we need to cut 2.0\n- Min will do it\n\n"
        "**Docs sprint**\n\n- The motion passed unanimously\n- We voted to move the sprint to June\n\n"
        "## Attendees\n\n- Ana / Northwind (first time here!)\n- Bo\n"
    )
    assert [(a.title, a.owner) for a in m.agenda] == [("Release planning", None), ("Docs sprint", None)]
    assert [(d.text, d.topic) for d in m.decisions] == [("The motion passed unanimously", "Docs sprint"),
                                                        ("We voted to move the sprint to June", "Docs sprint")]
    assert [(a.text, a.owner, a.topic) for a in m.action_items] == [("Min will do it", "Min", "Release planning")]
    assert [(a.name, a.affiliation) for a in m.attendees] == [("Ana", "Northwind"), ("Bo", None)]
    assert m.newcomers == ("Ana",)


@pytest.mark.parametrize("verb", ["volunteered", "offered", "agreed", "has volunteered"])
def test_a_task_someone_took_on_in_the_past_tense_is_an_action(verb: str) -> None:
    text = f"# Team meeting 2025-06-03\n\n## Agenda\n\n- Docs sprint\n  - Mei {verb} to pair on the docs\n"
    (meeting,) = parse_notes(text, document="notes.md")
    assert [(a.text, a.owner) for a in meeting.action_items] == [(f"Mei {verb} to pair on the docs", "Mei")]


def test_scribe_topic_lines_start_topics_and_a_role_is_not_an_organisation():
    m = one(
        "# WebApps WG minutes 2024-04-18\n\nPresent: Anssi Kostiainen (Chair), Marcos Caceres, reillyg\n"
        "Regrets: Leonie Watson\nScribe: anssik\n\nTopic: Screen Wake Lock API\n\nmarcos: the tests are green.\n\n"
        "RESOLUTION: Publish a CR Snapshot.\n\nACTION: marcos to file the transition request\n\n"
        "Topic: Web Share Level 2\n\nreillyg: still waiting on privacy review.\n"
    )
    assert [(a.name, a.affiliation) for a in m.attendees] == [("Anssi Kostiainen", None), ("Marcos Caceres", None),
                                                              ("reillyg", None)]
    assert [a.title for a in m.agenda] == ["Screen Wake Lock API", "Web Share Level 2"]
    assert [(d.text, d.topic) for d in m.decisions] == [("Publish a CR Snapshot.", "Screen Wake Lock API")]
    assert [(a.text, a.owner, a.topic) for a in m.action_items] == [
        ("marcos to file the transition request", "marcos", "Screen Wake Lock API")]


def test_numbered_minutes_headings_a_presence_column_and_a_task_table():
    m = one(
        "# Minutes of the 12th meeting of the Board\n\n**Date:** 3 April 2024\n\n"
        "## Attendance\n\n| Name | Attended |\n|---|---|\n| Ann Lee (Chair) | Y |\n| Bo Chen | N |\n| Cy Dunn | Y |\n\n"
        "## 12.2 Budget 2025\n\nThe Treasurer presented the draft budget.\n\nRESOLVED: that the 2025 budget be approved.\n\n"
        "## Actions\n\n| Task | Assignee | Done |\n|---|---|---|\n| Write the FAQ | Cy Dunn | ✓ |\n| Book a room | @bochen | |\n"
    )
    assert m.date == dt.date(2024, 4, 3)
    assert [a.name for a in m.attendees] == ["Ann Lee", "Cy Dunn"]
    assert [a.title for a in m.agenda] == ["Budget 2025"]
    assert [(d.text, d.topic) for d in m.decisions] == [("that the 2025 budget be approved.", "Budget 2025")]
    assert [(a.text, a.owner, a.done) for a in m.action_items] == [("Write the FAQ", "Cy Dunn", True),
                                                                   ("Book a room", "bochen", False)]


@pytest.mark.parametrize("stamp", ["", "[14:03] ", "14:03:12 ", "[2024-02-15 14:03] "])
def test_a_raw_chat_log_is_read_not_dropped_as_html(stamp: str) -> None:
    log = "\n".join(stamp + line for line in [
        "<ana> hi all", "<bo_> o/", "<ana> #topic Release 2.0", "<bo_> CI is green",
        "<@cy:matrix.org> agreed: ship on Friday", "<bo_> action: bo_ to tag the release", "<ana> thanks all"])
    m = one(f"# Infra IRC meeting 2024-02-15\n\n{log}\n")
    assert [a.name for a in m.attendees] == ["ana", "bo_", "cy"]
    assert [a.title for a in m.agenda] == ["Release 2.0"]
    assert [(d.text, d.topic) for d in m.decisions] == [("ship on Friday", "Release 2.0")]
    assert [(a.text, a.owner, a.topic) for a in m.action_items] == [("bo_ to tag the release", "bo_", "Release 2.0")]


def test_html_lines_and_a_fenced_log_are_not_a_chat_log() -> None:
    m = one("# Sync 2024-02-15\n\n## Agenda\n\n<details> <summary>Old items</summary>\n\n- Docs\n\n</details>\n\n"
            "```\n<ana> hi\n<bo> hello\n<ana> topic: nothing\n```\n")
    assert m.attendees == ()
    assert [a.title for a in m.agenda] == ["Docs"]


def test_votes_emoji_assent_and_known_first_names_in_an_action_list() -> None:
    m = one("# SSC 2024-02-08\n\nPresent: Johan Mabille, Zach Sailer\n\n## Agenda\n\n"
            "- JEP 122\n  - Vote: +1 from Johan, Zach.\n  - **The JEP is accepted.**\n"
            "- Extension metadata JEP\n  - Vote extended to February 22\n- Docs theme\n  - :+1: to the new theme\n"
            "- Hosting\n  - NSF offered to fund a cluster\n\n## Actionable items\n\n- [ ] Zach merge JEP 122\n")
    assert [(d.text, d.topic) for d in m.decisions] == [
        ("The JEP is accepted.", "JEP 122"), ("Vote extended to February 22", "Extension metadata JEP"),
        (":+1: to the new theme", "Docs theme")]
    assert [(a.text, a.owner) for a in m.action_items] == [("Zach merge JEP 122", "Zach")]


def test_hackmd_tags_emoji_marks_and_shortcodes_after_a_handle() -> None:
    m = one("# Team meeting 2019-05-16\n\n###### tags: `meeting`\n\n## Shout outs\n\n- @ana-k :heart: for the docs\n\n"
            "## Agenda\n\n- Release 1.0\n  - ✅ Decision: release on May 21\n- Gitter to Discourse\n  - everyone :+1:\n"
            "- Sprint\n  - :pushpin: Action: Bo to book a room\n")
    assert [(c.text, c.by, c.people) for c in m.celebrations] == [("@ana-k :heart: for the docs", None, ("ana-k",))]
    assert [a.title for a in m.agenda] == ["Release 1.0", "Gitter to Discourse", "Sprint"]
    assert [(d.text, d.topic) for d in m.decisions] == [("release on May 21", "Release 1.0"),
                                                        ("everyone :+1:", "Gitter to Discourse")]
    assert [(a.text, a.owner) for a in m.action_items] == [("Bo to book a room", "Bo")]


def test_a_dash_after_a_title_names_a_known_owner_and_labels_are_no_people() -> None:
    m = one("# Team meeting 2018-09-13\n\n**Attendance:** Carol Willing, Min RK, Yuvi Panda\n\n## Agenda\n\n"
            "1. JupyterHub 0.9.3 release — Min\n2. Release - blockers\n\n## Decisions\n\n"
            "- **Resolution:** Chris owns the docs rewrite\n\n## Actions\n\n- TODO: Yuvi — move the chart repo\n")
    assert [(a.title, a.owner) for a in m.agenda] == [("JupyterHub 0.9.3 release", "Min"), ("Release - blockers", None)]
    assert [d.text for d in m.decisions] == ["Chris owns the docs rewrite"]
    assert [(a.text, a.owner) for a in m.action_items] == [("move the chart repo", "Yuvi")]


def test_please_add_your_name_below_opens_the_roll_call_and_a_version_stays_in_the_topic() -> None:
    m = one("# JupyterLab call 2024-06-12\n\nPlease add your name below (Name | Affiliation | GitHub handle):\n\n"
            "- Michał Krassowski | Quansight | @krassowski\n- Nick (@nick-b) — first time here 👋\n\n"
            "## Agenda\n\n- [Michał] 4.3 beta release (5 min)\n    - **Decision**: beta on Friday\n")
    assert [(a.name, a.handle, a.affiliation) for a in m.attendees] == [
        ("Michał Krassowski", "krassowski", "Quansight"), ("Nick", "nick-b", None)]
    assert m.newcomers == ("Nick",)
    assert [(d.text, d.topic) for d in m.decisions] == [("beta on Friday", "4.3 beta release")]


def test_a_weekday_beside_the_date_of_an_archive_heading_is_no_title() -> None:
    ms = parse_notes("# Team meetings 2021\n\n## Thursday 18th March 2021\n\n## Agenda\n\n- Drop Python 3.6?\n"
                     "  - :+1: from everyone\n\n## Thursday 21st January 2021\n\nRoll call:\n- Min / @minrk\n",
                     document="notes.md")
    assert [(m.date, m.title) for m in ms] == [(dt.date(2021, 3, 18), "Team meetings 2021"),
                                               (dt.date(2021, 1, 21), "Team meetings 2021")]
    assert [d.text for d in ms[0].decisions] == [":+1: from everyone"]


def test_bracketed_and_angle_stand_ins_of_a_template_are_no_content() -> None:
    m = one("# Team meeting 2022-07-12\n\n## Reports and celebrations\n\n- <Name>: thanks <someone> for <something>\n"
            "- Thanks Ana for the `<name>` fix\n\n## Agenda items\n\n- **Simon** [5 minutes]: Roadmap\n\n"
            "## Action items\n\n- [ ] [Name] to [do something]\n- [ ] [Tim] [10 min] federation proposal\n")
    assert [c.text for c in m.celebrations] == ["Thanks Ana for the `<name>` fix"]
    assert [(a.text, a.owner) for a in m.action_items] == [("federation proposal", "Tim")]


def test_a_vote_result_and_a_name_with_its_handle_before_an_update() -> None:
    m = one("# Council 2024-03-05\n\n## Updates\n\n* Stephannie (@steff456): working on shortcuts\n\n## Items\n\n"
            "### Trademark policy\n\n- Vote result: 4 yes, 0 no, 0 abstain → **passed**\n")
    assert [(u.by, u.text) for u in m.updates] == [("Stephannie", "working on shortcuts")]
    assert [(d.text, d.topic) for d in m.decisions] == [("4 yes, 0 no, 0 abstain → passed", "Trademark policy")]


def test_flat_notes_after_a_listed_agenda_are_minutes_not_topics() -> None:
    ms = parse_notes("# Team meetings 2018\n\n## September 13, 2018\n\n**Agenda**\n\n1. Release 0.9.3\n2. Helm docs\n\n"
                     "**Notes**\n\n* 0.9.3 fixes the OAuth regression\n* **Resolution:** Chris owns the docs rewrite\n",
                     document="notes.md")
    assert [a.title for a in ms[0].agenda] == ["Release 0.9.3", "Helm docs"]
    assert [d.text for d in ms[0].decisions] == ["Chris owns the docs rewrite"]


def test_a_wrapped_chat_message_continues_the_log() -> None:
    m = one("# Infra 2024-02-15\n\n[14:00] <ana> hi\n[14:01] <ana> topic: Release\n[14:02] <bo> the plan is long\n"
            "         and wraps here\n[14:03] <bo> agreed: ship it\n[14:04] <cy> action: cy to tag it\n")
    assert [a.name for a in m.attendees] == ["ana", "bo", "cy"]
    assert [(d.text, d.topic) for d in m.decisions] == [("ship it", "Release")]
    assert [(a.text, a.owner) for a in m.action_items] == [("cy to tag it", "cy")]


def test_a_dated_heading_that_says_cancelled_is_a_cancelled_meeting_of_the_archive() -> None:
    ms = parse_notes("# Team meetings 2021\n\n## 2021-03-18\n\nRoll call:\n- Min / @minrk\n\n## 2021-02-18 (cancelled)\n\n"
                     "## 2021-01-21 — CANCELLED\n\nSee you next month.\n", document="notes.md")
    assert [(m.date.day, m.title, m.cancelled) for m in ms] == [
        (18, "Team meetings 2021", False), (18, "Team meetings 2021", True), (21, "Team meetings 2021", True)]


def test_a_first_name_that_starts_a_handle_owns_a_topic_and_a_closing_emoji_stays() -> None:
    m = one("# Widgets 2024-02-06\n\n## Attendees\n@jasongrout @vidartf\n\n## Agenda\n"
            "- ipywidgets 8.1.2 released :tada: (Jason)\n  - Decision: announce it on Discourse\n"
            "- Layout templates (Vidar)\n")
    assert [(a.title, a.owner) for a in m.agenda] == [("ipywidgets 8.1.2 released :tada:", "Jason"),
                                                     ("Layout templates", "Vidar")]
    assert [d.topic for d in m.decisions] == ["ipywidgets 8.1.2 released :tada:"]


def test_words_that_only_start_a_chat_message_are_not_commands() -> None:
    m = one("# Infra 2024-02-15\n\n<ana> #topic Release\n<bo> action items are in the doc\n"
            "<ana> topic of the day is the freeze\n<bo> #action bo to tag it\n")
    assert [a.title for a in m.agenda] == ["Release"]
    assert [(a.text, a.owner) for a in m.action_items] == [("bo to tag it", "bo")]
