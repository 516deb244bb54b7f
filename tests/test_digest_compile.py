"""compile_digest: sections per kind, merging duplicate thanks, periods, counts and emptiness."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from digests.compile import compile_digest, period_label, previous_window, similar_text
from digests.digest import Budget, CommunityInfo, Link, UpcomingMeeting
from digests.model import (
    ActionItem,
    AgendaItem,
    Attendee,
    Celebration,
    Decision,
    Meeting,
    Recipient,
    Release,
    Shoutout,
    SourceRef,
    Update,
    Window,
)

UTC = dt.UTC
LONDON = "Europe/London"
COMMUNITY = CommunityInfo(name="Example", timezone=LONDON,
                          links=(Link(label="Chat with us", url="https://chat.example.org"),))


def window(since: str, until: str, zone: str = LONDON) -> Window:
    from zoneinfo import ZoneInfo

    z = ZoneInfo(zone)
    return Window(since=dt.datetime.fromisoformat(since).replace(tzinfo=z),
                  until=dt.datetime.fromisoformat(until).replace(tzinfo=z))


JUNE = window("2025-06-01", "2025-07-01")


def meeting(day: str, *names: str, **kw: object) -> Meeting:
    return Meeting(date=dt.date.fromisoformat(day), title=f"Team meeting {day}",
                   document="https://notes.example.org/team", anchor=day,
                   attendees=tuple(Attendee(name=n.split("/")[0], handle=(n.split("/") + [None])[1]) for n in names),
                   **kw)  # type: ignore[arg-type]


def shoutout(text: str, *to: str, giver: str = "Bob", when: str = "2025-06-10T12:00", link: int = 1) -> Shoutout:
    return Shoutout(giver=giver, recipients=tuple(Recipient(name=n) for n in to), text=text,
                    created_at=dt.datetime.fromisoformat(when).replace(tzinfo=UTC),
                    permalink=f"https://chat.example.org/#narrow/near/{link}")


# --- periods ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("since", "until", "label"),
    [
        ("2025-06-01", "2025-07-01", "June 2025"),
        ("2025-01-01", "2026-01-01", "2025"),
        ("2025-01-01", "2025-07-01", "January\u2013June 2025"),
        ("2022-09-01", "2023-02-01", "September 2022 \u2013 January 2023"),
        ("2025-06-09", "2025-06-16", "Week of 9 June 2025"),
        ("2025-05-26", "2025-06-02", "Week of 26 May 2025"),
        ("2025-06-10", "2025-06-17", "10\u201316 June 2025"),
        ("2025-06-09", "2025-06-23", "9\u201322 June 2025"),
        ("2026-10-01", "2027-01-01", "Q4 2026 (October\u2013December)"),
        ("2025-03-30T17:00", "2025-04-06T17:00", "30 March \u2013 6 April 2025"),
    ],
    ids=["month", "year", "half_year", "across_years", "iso_week", "iso_week_across_months", "seven_days",
         "fortnight", "quarter", "dst_start_week"],
)
def test_period_label_names_the_window_in_the_community_zone(since: str, until: str, label: str) -> None:
    assert period_label(window(since, until), LONDON) == label


def test_previous_window_of_months_is_calendar_months() -> None:
    assert previous_window(JUNE, LONDON) == window("2025-05-01", "2025-06-01")
    half = window("2025-01-01", "2025-07-01")
    assert previous_window(half, LONDON) == window("2024-07-01", "2025-01-01")
    week = window("2025-06-09", "2025-06-16")
    assert previous_window(week, LONDON) == window("2025-06-02", "2025-06-09")


# --- community ------------------------------------------------------------------------------------


def test_community_digest_sections() -> None:
    june = [
        meeting("2025-06-03", "Ann/ann", "Bo/bo", "Cy/cy", newcomers=("Cy",),
                updates=(Update(by="Ann", text="We need mentors for Outreachy"),)),
        meeting("2025-06-17", "Ann/ann", "Dee",
                agenda=(AgendaItem(title="Docs sprint, feedback welcome", owner="Dee"),)),
    ]
    may = [meeting("2025-05-06", "Ann/ann", "Bo/bo")]
    upcoming = [UpcomingMeeting(name="Team meeting", when=dt.datetime(2025, 7, 15, 16, tzinfo=UTC),
                                url="https://example.org/cal"),
                UpcomingMeeting(name="Old", when=dt.datetime(2025, 6, 20, tzinfo=UTC))]
    digest = compile_digest("community", JUNE, meetings=june + may, releases=[], shoutouts=[],
                            previous_meetings=may, community=COMMUNITY, upcoming=upcoming)
    # The one update asks for help: it is a call for help, not news too (nothing is said twice).
    assert [s.name for s in digest.sections] == ["meetings", "attendance", "newcomers", "calls_for_help",
                                                 "upcoming", "links"]
    meetings = digest.section("meetings")
    assert meetings is not None
    assert [(e.date, e.text) for e in meetings.entries] == [
        (dt.date(2025, 6, 3), "3 people attended"), (dt.date(2025, 6, 17), "2 people attended")]
    assert meetings.entries[0].links[0].url == "https://notes.example.org/team#2025-06-03"
    attendance = digest.section("attendance")
    assert attendance is not None
    assert attendance.entries[0].text == ("4 people took part in 2 meetings, 5 attendances in all. "
                                          "Up from 2 in the previous period, when 2 people came to 1 meeting.")
    newcomers = digest.section("newcomers")
    assert newcomers is not None and [p.name for e in newcomers.entries for p in e.people] == ["Cy"]
    calls = digest.section("calls_for_help")
    assert calls is not None
    assert [e.markdown for e in calls.entries] == [("We need mentors for Outreachy",), ("Docs sprint, feedback welcome",)]
    assert [c.name for c in calls.entries[0].credits] == ["Ann"]
    upcoming_section = digest.section("upcoming")
    assert upcoming_section is not None and [e.title for e in upcoming_section.entries] == ["Team meeting"]
    assert upcoming_section.entries[0].text == "Tuesday 15 July 2025, 17:00 BST"
    # One or two sentences naming only what the digest shows (no "no releases", no "no shout-outs").
    assert digest.summary == ("In June 2025, Example met twice, with 4 people, one of them for the first time. "
                              "There are 2 ways to help below.")
    assert digest.counts.meetings == 2 and digest.counts.people == 4 and not digest.empty


def test_attendance_down_and_no_previous() -> None:
    june = [meeting("2025-06-03", "Ann")]
    may = [meeting("2025-05-06", "Ann", "Bo")]
    down = compile_digest("community", JUNE, meetings=june, releases=[], shoutouts=[], previous_meetings=may)
    section = down.section("attendance")
    assert section is not None and "Down from 2 in the previous period" in section.entries[0].text
    alone = compile_digest("community", JUNE, meetings=june, releases=[], shoutouts=[])
    section = alone.section("attendance")
    assert section is not None and section.entries[0].text.endswith("No meetings were recorded in the previous period.")


def test_the_summary_reads_inside_a_sentence_with_or_without_a_configured_name() -> None:
    cancelled = [meeting("2025-06-10", cancelled=True)]
    named = compile_digest("community", JUNE, meetings=cancelled, releases=[], shoutouts=[], community=COMMUNITY)
    assert named.summary == "No meetings of Example took place in June 2025."
    nameless = CommunityInfo(timezone=LONDON)  # no name configured
    unnamed = compile_digest("community", JUNE, meetings=cancelled, releases=[], shoutouts=[], community=nameless)
    assert unnamed.summary == "No meetings of the community took place in June 2025."
    met = compile_digest("community", JUNE, meetings=[meeting("2025-06-10", "Ann", "Bob")], releases=[], shoutouts=[],
                         community=nameless)
    assert met.summary.startswith("In June 2025, the community met once, with 2 people")


def test_empty_digest_is_marked_and_context_sections_do_not_count() -> None:
    upcoming = [UpcomingMeeting(name="Team", when=dt.datetime(2025, 7, 15, tzinfo=UTC))]
    digest = compile_digest("community", JUNE, meetings=[meeting("2025-05-06", "Ann")], releases=[], shoutouts=[],
                            community=COMMUNITY, upcoming=upcoming)
    assert digest.empty
    assert [s.name for s in digest.sections] == ["upcoming", "links"]
    assert digest.summary == "Here is what is coming up in Example after June 2025."
    for kind in ("technical", "celebratory"):
        other = compile_digest(kind, JUNE, meetings=[], releases=[], shoutouts=[])  # type: ignore[arg-type]
        assert other.empty and other.sections == ()


def test_sections_can_be_chosen() -> None:
    june = [meeting("2025-06-03", "Ann", newcomers=("Ann",))]
    digest = compile_digest("community", JUNE, meetings=june, releases=[], shoutouts=[],
                            sections=["meetings", "links"], community=COMMUNITY)
    assert [s.name for s in digest.sections] == ["meetings", "links"] and digest.summary is None
    with pytest.raises(ValueError, match="'releases'|releases: not a section of a community digest"):
        compile_digest("community", JUNE, meetings=[], releases=[], shoutouts=[], sections=["releases"])


# --- technical ------------------------------------------------------------------------------------


def release(project: str, version: str, day: int, **kw: object) -> Release:
    return Release(project=project, version=version, date=dt.datetime(2025, 6, day, 12, tzinfo=UTC),
                   url=f"https://github.com/o/{project}/releases/{version}", **kw)  # type: ignore[arg-type]


def _technical_june() -> tuple[list[Release], list[Meeting]]:
    releases = [
        release("hub", "5.5.0", 2), release("hub", "6.0.0b1", 20, prerelease=True), release("proxy", "5.0.0", 10),
        release("hub", "5.5.0", 2), Release(project="old", version="1.0", date=dt.datetime(2025, 5, 1, tzinfo=UTC)),
    ]
    june = [meeting(
        "2025-06-03", "Ann",
        decisions=(Decision(text="Drop Python 3.8", source=SourceRef(document="https://notes.example.org/team",
                                                                       anchor="decisions")),),
        agenda=(AgendaItem(title="Release plan", owner="Ann",
                           links=("https://github.com/o/hub/pull/12", "https://example.org/doc")),),
        action_items=(ActionItem(text="Ann to tag 5.5.1", owner="Ann"),),
    )]
    return releases, june


def test_technical_digest_groups_releases_and_lists_decisions_topics_actions() -> None:
    releases, june = _technical_june()
    digest = compile_digest("technical", JUNE, meetings=june, releases=releases, shoutouts=[],
                            community=COMMUNITY, budget=Budget(prereleases=True))
    section = digest.section("releases")
    assert section is not None
    assert [(p.title, [(r.title, r.marks) for r in p.children]) for p in section.entries] == [
        ("hub", [("6.0.0b1", ("pre-release",)), ("5.5.0", ())]),
        ("proxy", [("5.0.0", ())]),
    ]
    # Grouped by meeting: the meeting links to its page, the topic to its issues, decisions and tasks beneath.
    agenda = digest.section("agenda")
    assert agenda is not None
    (held,) = agenda.entries
    assert [(link.label, link.url) for link in held.links] == [("notes", "https://notes.example.org/team#2025-06-03")]
    topic = held.children[0]
    assert topic.text == "Release plan" and [p.name for p in topic.people] == ["Ann"]
    assert [(link.label, link.url) for link in topic.links] == [
        ("hub#12", "https://github.com/o/hub/pull/12"),
        ("example.org", "https://example.org/doc"),
    ]
    assert [(c.title, c.text) for c in held.children[1:]] == [("Decided", "Drop Python 3.8"),
                                                             ("To do", "Ann to tag 5.5.1")]
    assert digest.section("decisions") is None and digest.section("action_items") is None  # never said twice
    assert digest.counts.releases == 3 and digest.counts.projects == 2
    assert digest.summary == ("In June 2025, Example shipped 3 releases of 2 projects, and its meeting discussed "
                              "1 topic, took 1 decision and set 1 open task.")


def test_technical_digest_lists_final_releases_only_by_default_and_flat_lists_without_the_agenda() -> None:
    releases, june = _technical_june()
    digest = compile_digest("technical", JUNE, meetings=june, releases=releases, shoutouts=[],
                            sections=["releases", "decisions", "action_items"])
    section = digest.section("releases")
    assert section is not None
    assert [(p.title, [r.title for r in p.children]) for p in section.entries] == [
        ("proxy", ["5.0.0"]), ("hub", ["5.5.0"])]
    decisions = digest.section("decisions")
    assert decisions is not None and decisions.entries[0].links[0].url == "https://notes.example.org/team#2025-06-03"
    actions = digest.section("action_items")
    assert actions is not None and actions.entries[0].text == "Ann to tag 5.5.1"


def test_technical_topics_are_capped_per_meeting_with_a_link_to_the_rest() -> None:
    agenda = tuple(AgendaItem(title=f"Topic number {n} [name=Ann] (5 mins)") for n in range(9))
    june = [meeting("2025-06-03", "Ann", agenda=(AgendaItem(title="Action Items:"), *agenda))]
    digest = compile_digest("technical", JUNE, meetings=june, releases=[], shoutouts=[], budget=Budget())
    section = digest.section("agenda")
    assert section is not None
    children = section.entries[0].children
    assert [c.text for c in children[:6]] == [f"Topic number {n}" for n in range(6)]
    assert children[6].text == "and 3 more topics in the notes"
    assert children[6].links[0].url == "https://notes.example.org/team#2025-06-03"
    assert len(children) == 7


# --- celebratory: merging duplicate thanks ----------------------------------------------------------


def test_same_thanks_in_chat_and_notes_are_merged_crediting_both() -> None:
    notes = [meeting("2025-06-12", "Jane Doe/jdoe", celebrations=(
        Celebration(text="Huge thanks to @jdoe for fixing the CI pipeline", by="Ann", people=("jdoe",),
                    source=SourceRef(document="https://notes.example.org/team", anchor="celebrations")),))]
    chat = [shoutout("for fixing the CI pipeline", "Jane Doe", giver="Bob", when="2025-06-10T09:00")]
    digest = compile_digest("celebratory", JUNE, meetings=notes, releases=[], shoutouts=chat)
    section = digest.section("shoutouts")
    assert section is not None and len(section.entries) == 1
    group = section.entries[0]
    assert group.title == "Jane Doe" and len(group.children) == 1
    thanks = group.children[0]
    assert [c.name for c in thanks.credits] == ["Bob", "Ann"]
    # A thank-you from the notes links to its meeting's page (at the meeting's heading).
    assert [link.url for link in thanks.links] == ["https://chat.example.org/#narrow/near/1",
                                                 "https://notes.example.org/team#2025-06-12"]
    assert digest.section("celebrations") is None


def test_two_people_giving_the_same_thanks_in_chat_are_merged() -> None:
    chat = [shoutout("for reviewing my PR so fast", "Ann", giver="Bob", link=1),
            shoutout("thanks for reviewing the PR so fast!", "Ann", giver="Cy", when="2025-06-11T08:00", link=2)]
    section = compile_digest("celebratory", JUNE, meetings=[], releases=[], shoutouts=chat).section("shoutouts")
    assert section is not None and len(section.entries[0].children) == 1
    assert [c.name for c in section.entries[0].children[0].credits] == ["Bob", "Cy"]


@pytest.mark.parametrize(
    ("second", "merged"),
    [
        (shoutout("for reviewing my PR so fast", "Ann", giver="Cy", when="2025-06-25T12:00", link=2), False),
        (shoutout("for reviewing my PR so fast", "Ann", "Dee", giver="Cy", link=2), False),
        (shoutout("for organising the sprint dinner", "Ann", giver="Cy", link=2), False),
        (shoutout("for reviewing my PR so quickly", "Ann", giver="Cy", when="2025-06-14T12:00", link=2), True),
    ],
    ids=["far_in_time", "different_people", "different_text", "similar_close"],
)
def test_thanks_merge_only_when_same_people_similar_text_close_in_time(second: Shoutout, merged: bool) -> None:
    chat = [shoutout("for reviewing my PR so fast", "Ann", giver="Bob"), second]
    digest = compile_digest("celebratory", JUNE, meetings=[], releases=[], shoutouts=chat)
    section = digest.section("shoutouts")
    assert section is not None
    thanks = [t for group in section.entries for t in group.children]
    assert len(thanks) == (1 if merged else 2)


def test_thanks_are_grouped_by_person_most_thanked_first() -> None:
    chat = [shoutout("for the docs", "Ann", link=1), shoutout("for the release", "Bo", link=2),
            shoutout("for the talk", "Bo", when="2025-06-20T10:00", link=3)]
    digest = compile_digest("celebratory", JUNE, meetings=[], releases=[], shoutouts=chat,
                            community=CommunityInfo(name="Example", timezone=LONDON))
    section = digest.section("shoutouts")
    assert section is not None
    assert [(g.title, [t.text for t in g.children]) for g in section.entries] == [
        ("Bo", ["for the release", "for the talk"]), ("Ann", ["for the docs"])]
    assert digest.summary == "In June 2025, Example thanked 2 people."


def test_shoutouts_outside_the_window_are_ignored() -> None:
    chat = [shoutout("early", "Ann", when="2025-05-31T22:59"), shoutout("late", "Ann", when="2025-06-30T23:00")]
    # 2025-05-31T23:00Z is midnight in London: the first is in May there, the second in July.
    digest = compile_digest("celebratory", JUNE, meetings=[], releases=[], shoutouts=chat)
    assert digest.empty and digest.counts.shoutouts == 0


def test_similarity_is_symmetric_and_bounded() -> None:
    assert similar_text("fixing CI", "fixing CI") == 1.0
    assert similar_text("a", "b") == similar_text("b", "a") < 0.5


@pytest.mark.parametrize(
    ("title", "name"),
    [
        ("2025 Collaboration Cafe Notes Archive", "Collaboration Cafe"),
        ("JupyterHub and BinderHub Team Meeting - September 2022", "JupyterHub and BinderHub Team Meeting"),
        ("Team meeting 2025-06-03", "Team meeting"),
        ("May the force: community call", "May the force: community call"),
        ("2025", "2025"),
        ("Community call (2031-02-11)", "Community call"),
        ("Mapping sync [2031-04-01]", "Mapping sync"),
        ("2031 Team Meetings", "Team Meeting"),
        ("Team Meetings", "Team Meetings"),
        ("Ubuntu Technical Board meeting minutes", "Ubuntu Technical Board meeting"),
        ("TAG App Delivery Meeting \u2013 March 13", "TAG App Delivery Meeting"),
        ("Sync, 3rd May", "Sync"),
        ("Minutes of the board", "Minutes of the board"),
        ("DSF Board monthly meeting, March 14, 2024", "DSF Board monthly meeting"),
        ("04.09.31 Meeting Minutes", "Meeting"),
        ("Steering call 2031/09/04", "Steering call"),
        ("Release 1.10.12 planning", "Release 1.10.12 planning"),
    ],
    ids=["archive", "month_suffix", "iso_date", "month_word_kept", "nothing_left", "bracketed_date",
         "square_bracketed_date", "archive_plural", "plural_kept_without_archive_words", "meeting_minutes",
         "month_day_without_year", "day_month_without_year", "minutes_as_the_name",
         "month_day_comma_year", "numeric_date", "slashed_iso_date", "version_kept"],
)
def test_meeting_name_drops_dates_and_archive_words(title: str, name: str) -> None:
    from digests.compile import meeting_name

    assert meeting_name(Meeting(title=title)) == name


# --- any input compiles and renders -------------------------------------------------------------

_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=80)
_DAY = st.dates(min_value=dt.date(2025, 5, 1), max_value=dt.date(2025, 7, 10))
_MEETING = st.builds(
    lambda day, title, names, celebrations, text: Meeting(
        date=day, title=title, document="https://notes.example.org/x",
        attendees=tuple(Attendee(name=n) for n in names), newcomers=tuple(names[:1]),
        celebrations=tuple(Celebration(text=c, people=tuple(names[:2]), by=text) for c in celebrations),
        decisions=(Decision(text=text),), action_items=(ActionItem(text=text, owner=title),),
        agenda=(AgendaItem(title=text, owner=title, links=("https://github.com/o/r/pull/1", text)),)),
    _DAY, _TEXT, st.lists(_TEXT, max_size=4), st.lists(_TEXT, max_size=3), _TEXT)
_SHOUTOUT = st.builds(
    lambda text, names, giver, minutes: Shoutout(
        giver=giver, recipients=tuple(Recipient(name=n) for n in names), text=text,
        created_at=dt.datetime(2025, 6, 1, tzinfo=UTC) + dt.timedelta(minutes=minutes)),
    _TEXT, st.lists(_TEXT, min_size=1, max_size=3), _TEXT, st.integers(0, 60 * 24 * 40))


@settings(max_examples=40, deadline=None)
@given(st.lists(_MEETING, max_size=4), st.lists(_SHOUTOUT, max_size=12),
       st.sampled_from(["community", "technical", "celebratory"]))
def test_any_inputs_compile_and_render_within_the_limits(meetings: list[Meeting], shoutouts: list[Shoutout],
                                                         kind: str) -> None:
    from digests.render import render

    digest = compile_digest(kind, JUNE, meetings=meetings, releases=[], shoutouts=shoutouts,  # type: ignore[arg-type]
                            community=COMMUNITY)
    assert digest.empty == (not any(s.content for s in digest.sections))
    zulip = render(digest, target="zulip", stream="general")
    assert zulip.topic and len(zulip.topic) <= 60
    assert all(len(m) <= 10_000 for m in zulip.messages)
    for message in zulip.messages:
        assert "@**" not in message and "@*" not in message.replace("@_**", "")
    discourse = render(digest, target="discourse")
    assert len(discourse.title) >= 15 and "June 2025" in discourse.title


def test_releases_from_cache_are_marked_and_explained() -> None:
    import datetime as dt

    from digests.compile import compile_digest
    from digests.model import Release, Window
    from digests.render import render

    window = Window(since=dt.datetime(2025, 6, 1, tzinfo=dt.UTC), until=dt.datetime(2025, 7, 1, tzinfo=dt.UTC))
    fresh = Release(project="jupyterhub", version="5.3.0", date=dt.datetime(2025, 6, 10, tzinfo=dt.UTC), sources=("pypi",))
    cached = Release(project="oauthenticator", version="17.0.0", date=dt.datetime(2025, 6, 12, tzinfo=dt.UTC),
                     sources=("github",), from_cache=True)
    digest = compile_digest("technical", window, meetings=(), releases=(fresh, cached), shoutouts=())
    section = next(s for s in digest.sections if s.name == "releases")
    marks = {child.title: child.marks for entry in section.entries for child in entry.children}
    assert marks == {"5.3.0": (), "17.0.0": ("from cache",)}
    assert section.intro is not None and "could not be reached" in section.intro
    text = render(digest, target="plain").text
    assert "from cache" in text and "could not be reached" in text


@pytest.mark.parametrize(
    ("title", "line"),
    [
        ("Quarterly roadmap review [Priya/Lars - 5 mins?]", "Quarterly roadmap review"),
        ("[Caching proposal](https://example.org/p/1) [Rui K]", "Caching proposal"),
        ("Docs sprint planning [name=Lars] (10 mins)", "Docs sprint planning"),
        ("Lars (5-10 min): Flaky test triage", "Flaky test triage"),
        ("**Priya c/o Mei (10m)**: Federation partner onboarding", "Federation partner onboarding"),
        ("\\[time=15 minutes\\] Build the thing +3", "Build the thing"),
        ("Leadership retreat: https://github.com/o/r/issues/761", "Leadership retreat"),
        ("Fix `__init__` in **core** and `a_b_c`", "Fix `__init__` in core and `a_b_c`"),
        (("Outreachy for Spring. Do we do it, or wait for Fall? We need project ideas, mentors and especially "
          "volunteers for the application period"), "Outreachy for Spring. Do we do it, or wait for Fall?"),
        ("Action Items:", None),
        ("**Big bits of work:**", None),
        ("[github.com](https://github.com/o/r), [github.com](https://github.com/o/s)", None),
        ("Your news here!", None),
    ],
)
def test_a_topic_is_one_clean_line(title: str, line: str | None) -> None:
    from digests.sections.common import topic_line

    assert topic_line(title, 90) == line


def test_summary_never_counts_newcomers_as_a_part_of_fewer_people() -> None:
    """Newcomers who presented or took a task without signing the roll call are not "of them": the
    sentence must not read "with 2 people, 3 of them for the first time"."""
    from digests.compile import _summary
    from digests.digest import DigestCounts

    shown = {"meetings", "newcomers"}
    apart = DigestCounts(meetings=2, people=2, newcomers=3, newcomers_present=1)
    assert _summary("community", apart, "Example", "June 2025", shown) == (
        "In June 2025, Example met twice, with 2 people. 3 people took part for the first time.")
    among = DigestCounts(meetings=2, people=4, newcomers=2, newcomers_present=2)
    assert _summary("community", among, "Example", "June 2025", shown) == (
        "In June 2025, Example met twice, with 4 people, 2 of them for the first time.")


def test_wins_leave_out_questions_status_reports_and_reminders() -> None:
    """A "reports, updates and celebrations" list holds more than wins: only the wins are celebrated."""
    texts = ("Mirror deploy went smoothly", "Ask the funder if they want to sponsor the sprint? funder-org",
             "Lena is making progress on the cluster upgrade", "Infra budget update by Kofi",
             "Dana is here to announce the design workshop next month.",
             "If you're on the council don't forget to vote in the election", "JupyterHub 5.3 release ready!",
             "Is the new gallery great? Yes! Released today.")
    notes = [meeting("2025-06-12", "Ann", celebrations=tuple(Celebration(text=t) for t in texts))]
    section = compile_digest("celebratory", JUNE, meetings=notes, releases=[], shoutouts=[]).section("celebrations")
    assert section is not None
    assert [e.text for e in section.entries] == ["Mirror deploy went smoothly", "JupyterHub 5.3 release ready!"]


def test_a_call_for_help_in_a_discussion_reads_alone() -> None:
    """A call that points back gets the line it points to; a call without a link gets the links listed under it."""
    item = AgendaItem(title="Releases", owner="Erik", discussion=(
        "Call to action: help get the breaking changes reviewed",
        "Min's PR about tokens: https://github.com/org/hub/pull/1",
        "Yuvi's PR about dictionaries https://github.com/org/spawner/pull/2",
        "Yuvi would love for someone else to pick it up",
        "Unrelated remark with https://example.org/x",
    ))
    notes = [meeting("2025-06-12", "Ann", agenda=(item,))]
    section = compile_digest("community", JUNE, meetings=notes, releases=[], shoutouts=[]).section("calls_for_help")
    assert section is not None
    assert [e.markdown[0] for e in section.entries] == [
        ("Call to action: help get the breaking changes reviewed "
        "(https://github.com/org/hub/pull/1, https://github.com/org/spawner/pull/2)"),
        ("Yuvi's PR about dictionaries https://github.com/org/spawner/pull/2: "
        "Yuvi would love for someone else to pick it up"),
    ]


def test_thanks_to_a_team_or_everyone_is_a_thank_you_not_a_win() -> None:
    texts = ("Huge thanks to the docs team!!! Releasing v2 of the guide.", "Everyone for a great year :tada:",
             "Thanks to everyone who came to the sprint!", "Mirror deploy went smoothly")
    notes = [meeting("2025-06-12", "Ann", celebrations=tuple(Celebration(text=t, by="Mei") for t in texts))]
    digest = compile_digest("celebratory", JUNE, meetings=notes, releases=[], shoutouts=[])
    wins, thanks = digest.section("celebrations"), digest.section("shoutouts")
    assert wins is not None and [e.text for e in wins.entries] == ["Mirror deploy went smoothly"]
    assert thanks is not None
    assert [(e.title, [c.text for c in e.children]) for e in thanks.entries] == [
        ("everyone", ["Everyone for a great year :tada:", "Thanks to everyone who came to the sprint!"]),
        ("the docs team", ["Huge thanks to the docs team!!! Releasing v2 of the guide."]),
    ]
    assert all(e.marks == ("team",) for e in thanks.entries)
    assert digest.counts.teams == 2 and digest.counts.wins == 1


@pytest.mark.parametrize(
    ("written", "shown"),
    [
        ("Takeaway: one-off events up to 150 users are fine", "One-off events up to 150 users are fine"),
        ("Decide to use the shared calendar for every sprint", "Use the shared calendar for every sprint"),
        ("Decision on the plugin API -- keep the v1 shim", "The plugin API: keep the v1 shim"),
        ("Agreed to switch to monthly dependabot updates", "Switch to monthly dependabot updates"),
        ("Conclusion was that we should not enable this", "We should not enable this"),
        ("Consensus: Propose FCP merge.", "Propose FCP merge."),
        ("Consensus: yes, pending review", "Yes, pending review"),
        ("Group agreed that the URLs change", "Group agreed that the URLs change"),
        ("Decision:", "Decision:"),
    ],
)
def test_a_decision_reads_without_the_notes_own_label(written: str, shown: str) -> None:
    from digests.sections.technical import decision_text

    assert decision_text(written) == shown


def test_the_same_outcome_under_two_topics_is_said_under_each() -> None:
    """Proposal minutes: "Accepted" under two proposals is two decisions; the same one written twice is one."""
    notes = [meeting("2025-06-12", "Ann", agenda=(AgendaItem(title="#1 slices: add Repeat"),
                                                   AgendaItem(title="#2 sync: add Map.Clear")),
                     decisions=(Decision(text="Accepted", topic="#1 slices: add Repeat"),
                                Decision(text="Accepted", topic="#2 sync: add Map.Clear"),
                                Decision(text="accepted.", topic="#2 sync: add Map.Clear")))]
    digest = compile_digest("technical", JUNE, meetings=notes, releases=[], shoutouts=[])
    agenda = digest.section("agenda")
    assert agenda is not None
    topics = agenda.entries[0].children
    assert [(t.text, [c.text for c in t.children]) for t in topics] == [
        ("#1 slices: add Repeat", ["Accepted"]), ("#2 sync: add Map.Clear", ["Accepted"])]
    assert digest.counts.decisions == 2
