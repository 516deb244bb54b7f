"""The community digest's sections: meetings held, attendance, newcomers, calls for help, next meetings, links.

Every builder takes the window's ``Inputs`` and returns one ``Section``; ``sections`` builds those
named, in ``SECTIONS["community"]`` order.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from zoneinfo import ZoneInfo

from digests.digest import CommunityInfo, Entry, Link, Section, UpcomingMeeting
from digests.model import Meeting, SourceRef, Window
from digests.people import Directory, name_key, people_count
from digests.sections.common import DAYS, MONTHS, meeting_link, people_phrase, plural, source_link
from digests.sections.inputs import Inputs

__all__ = ["CALL_FOR_HELP_PHRASES", "meeting_name", "sections"]

CALL_FOR_HELP_PHRASES: tuple[str, ...] = (
    "call to action",
    "calls to action",
    "we need mentors",
    "need mentors",
    "looking for mentors",
    "looking for volunteers",
    "volunteers wanted",
    "volunteers needed",
    "need volunteers",
    "help wanted",
    "looking for help",
    "need help",
    "help needed",
    "please test",
    "please try",
    "feedback welcome",
    "feedback is welcome",
    "would love feedback",
    "love your feedback",
    "looking for feedback",
    "reviewers wanted",
    "need reviewers",
    "looking for reviewers",
    "good first issue",
)
_HELP = re.compile(r"\b(?:" + "|".join(re.escape(p) for p in CALL_FOR_HELP_PHRASES) + r")\b", re.IGNORECASE)

_TITLE_NOISE = re.compile(
    r"\b(?:notes?\s+archive|archive|meeting\s+notes|notes)\b"
    r"|\b(?:(?:\d{1,2}(?:st|nd|rd|th)?\s+)?(?:" + "|".join(MONTHS) + r")\s+)?(?:19|20)\d\d(?:-\d\d(?:-\d\d)?)?\b",
    re.IGNORECASE,
)


def meeting_name(meeting: Meeting) -> str:
    """A meeting's name without the date or archive words its notes title carries (the date is shown apart):
    "2025 Collaboration Cafe Notes Archive" -> "Collaboration Cafe"."""
    title = meeting.title or ""
    name = _TITLE_NOISE.sub(" ", title)
    name = re.sub(r"\s*[-\u2013\u2014:|,]\s*$", "", " ".join(name.split()))
    name = re.sub(r"^\s*[-\u2013\u2014:|,]\s*", "", name).strip()
    return name if len(name) >= 3 else (title.strip() or "Meeting")


def _meetings_section(meetings: Sequence[Meeting], community: CommunityInfo) -> Section:
    entries = []
    for meeting in meetings:
        count = len([a for a in meeting.attendees if a.name or a.handle])
        text = f"{count} {'person' if count == 1 else 'people'} attended" if count else ""
        entries.append(Entry(title=meeting_name(meeting), date=meeting.date, text=text,
                             links=(meeting_link(meeting, community),)))
    return Section(name="meetings", heading="Meetings", entries=tuple(entries))


def _attendance_section(meetings: Sequence[Meeting], previous: Sequence[Meeting], people: int) -> Section:
    seats = sum(len(m.attendees) for m in meetings)
    text = (f"{people_phrase(people)} took part in {plural(len(meetings), 'meeting')}, "
            f"{plural(seats, 'attendance')} in all.")
    if previous:
        before = sum(len(m.attendees) for m in previous)
        if seats == before:
            trend = f"The same as in the previous period ({before})"
        else:
            trend = f"{'Up' if seats > before else 'Down'} from {before} in the previous period"
        text += (f" {trend}, when {people_phrase(people_count(previous))} came to "
                 f"{plural(len(previous), 'meeting')}.")
    else:
        text += " No meetings were recorded in the previous period."
    return Section(name="attendance", heading="Attendance", entries=(Entry(text=text),))



def _newcomers_section(meetings: Sequence[Meeting], directory: Directory, community: CommunityInfo) -> Section:
    """One entry per meeting that had newcomers, naming them; each person is welcomed once."""
    seen: set[str] = set()
    entries = []
    for meeting in meetings:
        people = []
        for name in meeting.newcomers:
            person = directory.person(name)
            key = directory.canonical(person)
            if key and key not in seen:
                seen.add(key)
                people.append(person)
        if people:
            entries.append(Entry(people=tuple(people), date=meeting.date, title=meeting_name(meeting),
                                 links=(meeting_link(meeting, community),)))
    return Section(name="newcomers", heading="Welcome", entries=tuple(entries),
                   intro="A warm welcome to the people who joined us for the first time:")


def _statements(meeting: Meeting) -> Iterable[tuple[str, str | None, SourceRef | None]]:
    for update in meeting.updates:
        yield update.text, update.by, update.source
    for item in meeting.agenda:
        yield item.title, item.owner, item.source
        for line in item.discussion:
            yield line, item.owner, item.source
    for celebration in meeting.celebrations:
        yield celebration.text, celebration.by, celebration.source
    for statement in (*meeting.decisions, *meeting.action_items):
        yield statement.text, statement.owner, statement.source


def _calls_section(meetings: Sequence[Meeting], directory: Directory, community: CommunityInfo) -> Section:
    seen: set[str] = set()
    entries = []
    for meeting in meetings:
        for text, by, ref in _statements(meeting):
            if not _HELP.search(text):
                continue
            key = name_key(text)
            if key in seen:
                continue
            seen.add(key)
            entries.append(Entry(text=text, date=meeting.date,
                                 credits=(directory.person(by),) if by else (),
                                 links=(source_link(ref, meeting, community),)))
    return Section(name="calls_for_help", heading="Ways to help", entries=tuple(entries),
                   intro="Calls for help and invitations to contribute from the meetings:")


def _upcoming_section(upcoming: Sequence[UpcomingMeeting], window: Window, timezone: str) -> Section:
    entries = [
        Entry(title=u.name, text=_format_when(u.when, timezone),
              links=(Link(label="details", url=u.url),) if u.url else ())
        for u in sorted(upcoming, key=lambda u: u.when)
        if u.when >= window.until
    ]
    return Section(name="upcoming", heading="Next meetings", entries=tuple(entries), content=False,
                   intro="Everyone is welcome:")


def _links_section(community: CommunityInfo) -> Section:
    entries = [Entry(title=link.label, links=(link,)) for link in community.links if link.url]
    return Section(name="links", heading="Get involved", entries=tuple(entries), content=False)



def _format_when(when: dt.datetime, timezone: str) -> str:
    local = when.astimezone(ZoneInfo(timezone))
    return (f"{DAYS[local.weekday()]} {local.day} {MONTHS[local.month - 1]} {local.year}, "
            f"{local:%H:%M} {local.tzname() or timezone}")


def sections(chosen: Iterable[str], inputs: Inputs) -> list[Section]:
    """The chosen community sections, in order (attendance only when meetings were held)."""
    built: list[Section] = []
    for name in chosen:
        if name == "meetings":
            built.append(_meetings_section(inputs.held, inputs.community))
        elif name == "attendance" and inputs.held:
            built.append(_attendance_section(inputs.held, inputs.previous, inputs.people))
        elif name == "newcomers":
            built.append(_newcomers_section(inputs.held, inputs.directory, inputs.community))
        elif name == "calls_for_help":
            built.append(_calls_section(inputs.held, inputs.directory, inputs.community))
        elif name == "upcoming":
            built.append(_upcoming_section(list(inputs.upcoming), inputs.window, inputs.community.timezone))
        elif name == "links":
            built.append(_links_section(inputs.community))
    return built
