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
from collections.abc import Iterable, Sequence
from zoneinfo import ZoneInfo

from digests.activity import Activity, Limits
from digests.calendar import period_label, previous_window
from digests.digest import Budget, CommunityInfo, Digest, DigestCounts, Section, UpcomingMeeting
from digests.model import DigestKind, Meeting, Release, Shoutout, Window
from digests.people import Directory, PeopleSnapshot, attendee_people, meeting_key, name_key, people_count
from digests.sections import SECTIONS
from digests.sections import celebratory as celebratory_sections
from digests.sections import community as community_sections
from digests.sections import technical as technical_sections
from digests.sections.celebratory import similar_text
from digests.sections.common import plural
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


def _in_window(meetings: Iterable[Meeting], window: Window) -> list[Meeting]:
    # a meeting the notes say did not take place is not a meeting held (never one with 0 people)
    return sorted((m for m in meetings if m.date is not None and not m.cancelled and window.contains(m.date)),
                  key=lambda m: (m.date or dt.date.min, m.title or ""))


def _newcomer_keys(held: Sequence[Meeting], people: PeopleSnapshot | None) -> tuple[set[str], set[str]]:
    """The newcomers of the window and the people who came to its meetings (on the roll call, or introduced
    there as new), as comparable keys."""
    if people is not None:
        present = set(attendee_people(held, people))
        for meeting in held:
            for name in meeting.newcomers:
                known = people.identify(name, place=meeting_key(meeting))
                if known is not None:
                    present.add(f"#{known.id}")
        return {f"#{p.id}" for p in people.welcomed()}, present
    new = {name_key(n) for m in held for n in m.newcomers}
    present = new | {name_key(a.name or a.handle or "") for m in held for a in m.attendees}
    present |= {name_key(a.handle) for m in held for a in m.attendees if a.handle}
    return new, present


# --- the opening sentence ---------------------------------------------------------------------


def _times(count: int) -> str:
    return {1: "once", 2: "twice"}.get(count, f"{count} times")


def _join(parts: list[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def _summary(kind: DigestKind, counts: DigestCounts, community: str, period: str, shown: set[str]) -> str:
    """One or two sentences a person would write, naming only what the digest shows."""
    if kind == "community":
        if "meetings" not in shown or not counts.meetings:
            text = f"No meetings of {community} took place in {period}" if counts.cancelled else ""
            first = text + "." if text else f"Here is what is coming up in {community} after {period}."
        else:
            first = f"In {period}, {community} met {_times(counts.meetings)}"
            if counts.people:
                first += f", with {plural(counts.people, 'person', 'people')}"
                if "newcomers" in shown and counts.newcomers and counts.newcomers == counts.newcomers_present:
                    first += (f", {counts.newcomers} of them for the first time" if counts.newcomers > 1
                              else ", one of them for the first time")
            first += "."
        more = []
        if "newcomers" in shown and counts.newcomers and counts.newcomers != counts.newcomers_present:
            # some newcomers took part without being on a roll call (they presented, took a task, were
            # introduced): "of them" would be false arithmetic ("14 people, 16 of them new")
            more.append(f"{plural(counts.newcomers, 'person', 'people')} took part for the first time")
        if counts.cancelled and counts.meetings:
            more.append(f"{plural(counts.cancelled, 'meeting')} {'was' if counts.cancelled == 1 else 'were'} cancelled")
        if "calls_for_help" in shown and counts.calls:
            more.append(f"there {'is' if counts.calls == 1 else 'are'} {plural(counts.calls, 'way')} to help below")
        if more:
            second = _join(more)
            return f"{first} {second[0].upper()}{second[1:]}."
        return first
    if kind == "technical":
        parts = []
        if "releases" in shown and counts.releases:
            release = plural(counts.releases, "release")
            parts.append(f"shipped {release}" + (f" of {counts.projects} projects" if counts.projects > 1 else ""))
        if "agenda" in shown or "decisions" in shown or "action_items" in shown:
            notes = []
            if counts.topics:
                notes.append(f"discussed {plural(counts.topics, 'topic')}")
            if counts.decisions:
                notes.append(f"took {plural(counts.decisions, 'decision')}")
            if counts.action_items:
                notes.append(f"set {plural(counts.action_items, 'open task')}")
            if notes:
                meetings = "meeting" if counts.meetings == 1 else f"{counts.meetings} meetings"
                who = f"its {meetings}" if parts else f"{community}'s {meetings}"
                parts.append(f"{who} {_join(notes)}")
        if not parts:
            if shown & {"merged_work", "conversations"}:
                return f"Here is what was built and discussed in {community}'s projects in {period}."
            return f"Nothing new to report for {community} in {period}."
        if len(parts) == 2:
            return f"In {period}, {community} {parts[0]}, and {parts[1]}."
        return f"In {period}, {parts[0]}." if not parts[0].startswith("shipped") else f"In {period}, {community} {parts[0]}."
    thanked = []
    if counts.thanked:
        thanked.append(plural(counts.thanked, "person", "people"))
    if counts.teams:
        thanked.append(plural(counts.teams, "team"))
    parts = [f"thanked {_join(thanked)}"] if thanked and "shoutouts" in shown else []
    if "celebrations" in shown and counts.wins:
        parts.append(f"celebrated {plural(counts.wins, 'win')}")
    if not parts:
        return f"Nothing new to report for {community} in {period}."
    if len(parts) == 2 and " and " in parts[0]:
        return f"In {period}, {community} {parts[0]}, and {parts[1]}."
    return f"In {period}, {community} {_join(parts)}."


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
    budget: Budget = Budget(),  # noqa: B008 - a frozen value
) -> Digest:
    """Build the ``kind`` digest of ``window`` from its inputs; items outside the window are ignored.

    ``previous_meetings`` are those of the window before (for the attendance comparison); ``upcoming`` the
    scheduled meetings to announce; ``sections`` the section names to keep (default: all of the kind);
    ``title`` an admin's title, where ``{period}``, ``{community}`` and ``{kind}`` are filled in;
    ``activity`` the window's GitHub and Discourse activity, shown up to ``activity_limits`` items a section;
    ``people`` is the people registry's snapshot of the window (``docs/people.md``): with it every person
    has one name and at most one profile link, counts are of people, and the welcome names who is new and
    who is back; without it, people are matched within the window's notes only.
    ``budget`` how much the digest may ask of its reader (topics per meeting, line lengths, pre-releases...).
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
        cancelled=[m for m in all_meetings if m.cancelled and m.date is not None and window.contains(m.date)],
    )
    announced = technical_sections.announced_releases(held) if kind == "technical" else []
    releases_section, release_count, project_count = technical_sections.releases_section(
        in_window_releases, announced, budget)
    built: list[Section]
    topics = decisions = actions = teams = wins = 0
    thanked, celebration_count = 0, sum(len(m.celebrations) for m in held)
    if kind == "community":
        built = community_sections.sections(chosen, inputs, budget)
    elif kind == "technical":
        tech = technical_sections.sections(chosen, inputs, releases_section, budget)
        built, topics, decisions, actions = tech.sections, tech.topics, tech.decisions, tech.actions
    else:  # merging thanks is the costly part: only the celebratory digest does it
        built, thanked, celebration_count = celebratory_sections.sections(chosen, inputs, budget)
        thanks = next((s for s in built if s.name == "shoutouts"), None)
        teams = sum(1 for e in thanks.entries if e.marks == ("team",)) if thanks else 0
        wins = sum(len(s.entries) for s in built if s.name == "celebrations")
    kept = tuple(s for s in built if s.entries)
    empty = not any(s.content for s in kept)
    shown = {s.name for s in kept}
    held_meetings = list(held)
    calls = next((s for s in kept if s.name == "calls_for_help"), None)
    new_keys, present_keys = _newcomer_keys(held_meetings, people)
    counts = DigestCounts(
        meetings=len(held_meetings),
        cancelled=len(inputs.cancelled),
        people=inputs.people,
        releases=release_count if "releases" in shown else 0,
        projects=project_count if "releases" in shown else 0,
        shoutouts=len(given),
        celebrations=celebration_count,
        thanked=thanked,
        teams=teams,
        wins=wins,
        calls=len(calls.entries) if calls else 0,
        topics=topics,
        newcomers=len(new_keys),
        newcomers_present=len(new_keys & present_keys),
        decisions=decisions,
        action_items=actions,
    )
    summary = _summary(kind, counts, community.name, period, shown) if "summary" in chosen else None
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
