"""Compile meetings, releases and shout-outs of a window into a ``Digest`` (pure: values in, value out).

Three kinds of digest read the same inputs differently:

- **community**: meetings held (date, title, attendance, link), attendance compared with the previous
  window, newcomers welcomed by name, calls for help found in the notes, the next meetings, standing links;
- **technical**: releases grouped by project, newest first, with highlights and pre-releases marked;
  decisions; agenda topics with owners and issue / PR links; open action items;
- **celebratory**: thanks from chat shout-outs and from the notes' celebrations, with duplicates merged
  (same people, similar text, close in time), grouped by the person celebrated, crediting who gave them.

Every digest opens with one sentence giving the period (in the community's zone) and the counts, every
item links back to its source, empty sections are left out and a digest with no news is marked ``empty``.

Example usage::

    window = Window(since=datetime(2025, 6, 1, tzinfo=UTC), until=datetime(2025, 7, 1, tzinfo=UTC))
    digest = compile_digest("community", window, meetings=meetings, releases=[], shoutouts=[],
                            community=CommunityInfo(name="Jupyter", timezone="Europe/London"))
    digest.summary   # 'Here is what happened in Jupyter in June 2025 (Europe/London time): ...'
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from digests.activity import Activity, Limits
from digests.digest import CommunityInfo, Digest, DigestCounts, Section, UpcomingMeeting
from digests.model import DigestKind, Meeting, Release, Shoutout, Window
from digests.people import Directory, PeopleSnapshot, name_key, people_count
from digests.sections import SECTIONS
from digests.sections import celebratory as celebratory_sections
from digests.sections import community as community_sections
from digests.sections import technical as technical_sections
from digests.sections.celebratory import similar_text
from digests.sections.common import MONTHS, plural
from digests.sections.community import CALL_FOR_HELP_PHRASES, meeting_name
from digests.sections.inputs import Inputs

__all__ = [
    "CALL_FOR_HELP_PHRASES",
    "SECTIONS",
    "compile_digest",
    "meeting_name",
    "period_label",
    "previous_window",
    "similar_text",
]


# --- periods ----------------------------------------------------------------------------------


def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _month_start(value: dt.datetime) -> bool:
    return value.day == 1 and value.time() == dt.time(0)


def _months_between(since: dt.datetime, until: dt.datetime) -> int:
    return (until.year - since.year) * 12 + until.month - since.month


def _local(window: Window, timezone: str) -> tuple[dt.datetime, dt.datetime]:
    """The window's bounds in ``timezone``; in UTC when they are midnights there but not in the zone."""
    zone = _zone(timezone)
    since, until = window.since.astimezone(zone), window.until.astimezone(zone)
    if since.time() != dt.time(0) or until.time() != dt.time(0):
        utc_since, utc_until = window.since.astimezone(dt.UTC), window.until.astimezone(dt.UTC)
        if utc_since.time() == dt.time(0) and utc_until.time() == dt.time(0):
            return utc_since, utc_until
    return since, until


def period_label(window: Window, timezone: str) -> str:
    """How people name the window in ``timezone``: ``"June 2025"``, ``"2025"``, ``"9–15 June 2025"``...

    A window of whole calendar months is named by its months; otherwise by its first and last days
    (the last day is the one before ``until`` when ``until`` is a midnight). A window given in UTC
    midnights is named by those dates.
    """
    since, until = _local(window, timezone)
    if _month_start(since) and _month_start(until) and until > since:
        months = _months_between(since, until)
        last = until - dt.timedelta(days=1)
        if months == 1:
            return f"{MONTHS[since.month - 1]} {since.year}"
        if months == 12 and since.month == 1:
            return str(since.year)
        if since.year == last.year:
            return f"{MONTHS[since.month - 1]}\u2013{MONTHS[last.month - 1]} {since.year}"
        return f"{MONTHS[since.month - 1]} {since.year} \u2013 {MONTHS[last.month - 1]} {last.year}"
    first = since.date()
    last_day = (until - dt.timedelta(microseconds=1)).date() if until.time() == dt.time(0) else until.date()
    last_day = max(last_day, first)
    if first == last_day:
        return f"{first.day} {MONTHS[first.month - 1]} {first.year}"
    if (first.year, first.month) == (last_day.year, last_day.month):
        return f"{first.day}\u2013{last_day.day} {MONTHS[first.month - 1]} {first.year}"
    if first.year == last_day.year:
        return f"{first.day} {MONTHS[first.month - 1]} \u2013 {last_day.day} {MONTHS[last_day.month - 1]} {first.year}"
    return (f"{first.day} {MONTHS[first.month - 1]} {first.year} \u2013 "
            f"{last_day.day} {MONTHS[last_day.month - 1]} {last_day.year}")


def _add_months(value: dt.datetime, months: int) -> dt.datetime:
    index = value.year * 12 + value.month - 1 + months
    return value.replace(year=index // 12, month=index % 12 + 1)


def previous_window(window: Window, timezone: str) -> Window:
    """The window just before ``window``, of the same length (whole calendar months stay whole months)."""
    zone = _zone(timezone)
    since = window.since.astimezone(zone)
    until = window.until.astimezone(zone)
    if _month_start(since) and _month_start(until) and until > since:
        months = _months_between(since, until)
        start = _add_months(since.replace(tzinfo=None), -months).replace(tzinfo=zone)
        return Window(since=start, until=window.since)
    return Window(since=window.since - (window.until - window.since), until=window.since)


def _in_window(meetings: Iterable[Meeting], window: Window) -> list[Meeting]:
    # a meeting the notes say did not take place is not a meeting held (never one with 0 people)
    return sorted((m for m in meetings if m.date is not None and not m.cancelled and window.contains(m.date)),
                  key=lambda m: (m.date or dt.date.min, m.title or ""))


# --- the opening sentence ---------------------------------------------------------------------


def _summary(kind: DigestKind, counts: DigestCounts, community: str, period: str, timezone: str, empty: bool) -> str:
    where = f"{period} ({timezone} time)"
    people = f"{counts.people} {'person' if counts.people == 1 else 'people'}"
    meetings = plural(counts.meetings, "meeting")
    if counts.meetings:
        meetings += f" with {people}"
    releases = plural(counts.releases, "release")
    shoutouts = plural(counts.shoutouts, "shout-out")
    if empty:
        return (f"Nothing new to report for {community} in {where}: "
                f"{plural(counts.meetings, 'meeting')}, {releases} and {shoutouts}.")
    if kind == "community":
        return f"Here is what happened in {community} in {where}: {meetings}, {releases} and {shoutouts}."
    if kind == "technical":
        if counts.releases and counts.projects > 1:
            releases += f" across {counts.projects} projects"
        decisions = f"{plural(counts.decisions, 'decision')} from {meetings}" if counts.meetings else "no meetings"
        return (f"Here is the technical news from {community} for {where}: {releases}, "
                f"and {decisions}; {shoutouts} in chat.")
    thanks = plural(counts.thanked, "person", "people")
    notes = (f" and {plural(counts.celebrations, 'celebration')} at {meetings}" if counts.meetings
             else " (no meetings this period)")
    shipped = f"; {releases} shipped too" if counts.releases else ""
    return f"In {where} {community} said thank you to {thanks}, with {shoutouts} in chat{notes}{shipped}."


# --- entry point ------------------------------------------------------------------------------


def _selected(kind: DigestKind, sections: Iterable[str] | None) -> tuple[str, ...]:
    known = SECTIONS[kind]
    if sections is None:
        return known
    wanted = set(sections)
    unknown = wanted - set(known)
    if unknown:
        raise ValueError(
            f"{', '.join(sorted(unknown))}: not a section of a {kind} digest; choose from {', '.join(known)}")
    return tuple(name for name in known if name in wanted)


def default_title(kind: DigestKind, period: str) -> str:
    """``"Community digest, June 2025"``: always at least 15 characters and unique per period."""
    return f"{kind.capitalize()} digest, {period}"


def _title(kind: DigestKind, period: str, community: str, title: str | None) -> str:
    if not title:
        return default_title(kind, period)
    text = title.replace("{period}", period).replace("{community}", community).replace("{kind}", kind)
    if period not in text:
        text = f"{text}, {period}"
    return text


def compile_digest(
    kind: DigestKind,
    window: Window,
    *,
    meetings: Iterable[Meeting],
    releases: Iterable[Release],
    shoutouts: Iterable[Shoutout],
    previous_meetings: Iterable[Meeting] = (),
    community: CommunityInfo = CommunityInfo(),  # noqa: B008 - a frozen value
    upcoming: Iterable[UpcomingMeeting] = (),
    sections: Iterable[str] | None = None,
    title: str | None = None,
    activity: Activity | None = None,
    activity_limits: Limits | None = None,
    people: PeopleSnapshot | None = None,
) -> Digest:
    """Build the ``kind`` digest of ``window`` from its inputs; items outside the window are ignored.

    ``previous_meetings`` are those of the window before (for the attendance comparison); ``upcoming`` the
    scheduled meetings to announce; ``sections`` the section names to keep (default: all of the kind);
    ``title`` an admin's title, where ``{period}``, ``{community}`` and ``{kind}`` are filled in;
    ``activity`` the window's GitHub and Discourse activity, shown up to ``activity_limits`` items a section;
    ``people`` is the people registry's snapshot of the window (``docs/people.md``): with it every person
    has one name and at most one profile link, counts are of people, and the welcome names who is new and
    who is back; without it, people are matched within the window's notes only.
    """
    if kind not in SECTIONS:
        raise ValueError(f"{kind!r} is not a digest kind; choose from {', '.join(SECTIONS)}")
    chosen = _selected(kind, sections)
    zone = _zone(community.timezone)
    all_meetings = list(meetings)
    held = _in_window(all_meetings, window)
    previous = [m for m in previous_meetings if m.date is not None and not m.cancelled and not window.contains(m.date)]
    directory = Directory.build([*held, *previous], snapshot=people)
    in_window_releases = [r for r in releases if r.date is not None and window.contains(r.date)]
    given = [s for s in shoutouts if window.contains(s.created_at)]
    period = period_label(window, community.timezone)

    inputs = Inputs(
        window=window, held=held, previous=previous, releases=in_window_releases, shoutouts=given,
        upcoming=tuple(upcoming), community=community, directory=directory, zone=zone, people=people_count(held, people),
        activity=activity or Activity(), limits=activity_limits or Limits(),
        snapshot=people,
    )
    releases_section, release_count, project_count = technical_sections.releases_section(in_window_releases)
    built: list[Section]
    if kind == "community":
        built = community_sections.sections(chosen, inputs)
    elif kind == "technical":
        built = technical_sections.sections(chosen, inputs, releases_section)
    else:  # merging thanks is the costly part: only the celebratory digest does it
        built, thanked, celebration_count = celebratory_sections.sections(chosen, inputs)
    if kind != "celebratory":
        thanked, celebration_count = 0, sum(len(m.celebrations) for m in held)
    people_total = inputs.people
    kept = tuple(s for s in built if s.entries)
    empty = not any(s.content for s in kept)
    counts = DigestCounts(
        meetings=len(held),
        people=people_total,
        releases=release_count,
        projects=project_count,
        shoutouts=len(given),
        celebrations=celebration_count,
        thanked=thanked,
        newcomers=(len(people.welcomed()) if people is not None
                   else len({name_key(n) for m in held for n in m.newcomers})),
        decisions=sum(len(m.decisions) for m in held),
        action_items=sum(len(m.action_items) for m in held),
    )
    summary = (_summary(kind, counts, community.name, period, community.timezone, empty)
               if "summary" in chosen else None)
    return Digest(
        kind=kind,
        window=window,
        timezone=community.timezone,
        community=community.name,
        title=_title(kind, period, community.name, title),
        period=period,
        summary=summary,
        counts=counts,
        sections=kept,
        empty=empty,
    )
