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
import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from digests.digest import (
    CommunityInfo,
    Digest,
    DigestCounts,
    Entry,
    Link,
    Person,
    Section,
    UpcomingMeeting,
)
from digests.model import (
    AgendaItem,
    Celebration,
    DigestKind,
    Meeting,
    Release,
    Shoutout,
    SourceRef,
    Statement,
    Window,
)

__all__ = [
    "CALL_FOR_HELP_PHRASES",
    "SECTIONS",
    "compile_digest",
    "meeting_name",
    "period_label",
    "previous_window",
    "similar_text",
]

# The sections of each kind, in reading order (``chatops.config.SECTION_NAMES`` mirrors this).
SECTIONS: dict[str, tuple[str, ...]] = {
    "community": ("summary", "meetings", "attendance", "newcomers", "calls_for_help", "upcoming", "links"),
    "technical": ("summary", "releases", "decisions", "agenda", "action_items"),
    "celebratory": ("summary", "shoutouts", "celebrations"),
}

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
_ISSUE = re.compile(r"^https?://github\.com/[\w.-]+/(?P<repo>[\w.-]+)/(?:issues|pull|discussions)/(?P<n>\d+)")

MERGE_DAYS = 7  # two thanks to the same people with similar words this close together are one thank-you
MERGE_SIMILARITY = 0.5

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


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
            return f"{_MONTHS[since.month - 1]} {since.year}"
        if months == 12 and since.month == 1:
            return str(since.year)
        if since.year == last.year:
            return f"{_MONTHS[since.month - 1]}\u2013{_MONTHS[last.month - 1]} {since.year}"
        return f"{_MONTHS[since.month - 1]} {since.year} \u2013 {_MONTHS[last.month - 1]} {last.year}"
    first = since.date()
    last_day = (until - dt.timedelta(microseconds=1)).date() if until.time() == dt.time(0) else until.date()
    last_day = max(last_day, first)
    if first == last_day:
        return f"{first.day} {_MONTHS[first.month - 1]} {first.year}"
    if (first.year, first.month) == (last_day.year, last_day.month):
        return f"{first.day}\u2013{last_day.day} {_MONTHS[first.month - 1]} {first.year}"
    if first.year == last_day.year:
        return f"{first.day} {_MONTHS[first.month - 1]} \u2013 {last_day.day} {_MONTHS[last_day.month - 1]} {first.year}"
    return (f"{first.day} {_MONTHS[first.month - 1]} {first.year} \u2013 "
            f"{last_day.day} {_MONTHS[last_day.month - 1]} {last_day.year}")


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


def _format_when(when: dt.datetime, timezone: str) -> str:
    local = when.astimezone(_zone(timezone))
    return (f"{_DAYS[local.weekday()]} {local.day} {_MONTHS[local.month - 1]} {local.year}, "
            f"{local:%H:%M} {local.tzname() or timezone}")


# --- people -----------------------------------------------------------------------------------


_NOT_KEY = re.compile(r"[^0-9a-z]+")


@functools.lru_cache(maxsize=8192)
def _key(name: str) -> str:
    """A name reduced to lowercase letters and digits, to compare people however they were written."""
    return _NOT_KEY.sub("", name.lower().lstrip("@"))


@dataclass
class _Directory:
    """Who is who across the notes, from the attendance lists: a GitHub handle and a first name both lead
    to a person's full name ("manics" and "Simon" -> "Simon Li") when that is unambiguous."""

    names: dict[str, str] = field(default_factory=dict)  # handle key -> longest name seen with it
    handles: dict[str, str] = field(default_factory=dict)  # name key -> handle
    first: dict[str, set[str]] = field(default_factory=dict)  # first-name key -> full names

    @classmethod
    def build(cls, meetings: Iterable[Meeting]) -> _Directory:
        directory = cls()
        for meeting in meetings:
            for attendee in meeting.attendees:
                name = " ".join((attendee.name or "").split())
                if attendee.handle and name:
                    key = _key(attendee.handle)
                    if len(name) > len(directory.names.get(key, "")):
                        directory.names[key] = name
                    directory.handles.setdefault(_key(name), attendee.handle.lower())
                if len(name.split()) >= 2:
                    directory.first.setdefault(_key(name.split()[0]), set()).add(name)
        return directory

    def _full(self, name: str) -> str | None:
        if len(name.split()) != 1:
            return None
        candidates = self.first.get(_key(name), set())
        return next(iter(candidates)) if len(candidates) == 1 else None

    def person(self, name_or_handle: str) -> Person:
        text = " ".join(name_or_handle.strip().lstrip("@").split())
        name = self.names.get(_key(text))
        if name is not None:
            return Person(name=self._full(name) or name, kind="github", handle=text.lower())
        full = self._full(text) or text
        handle = self.handles.get(_key(full))
        if handle is not None and re.fullmatch(r"[A-Za-z0-9-]{1,39}", handle):
            return Person(name=full, kind="github", handle=handle)
        if full == text and re.fullmatch(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})", text) and (
                text.islower() or "-" in text):
            return Person(name=text, kind="github", handle=text.lower())
        return Person(name=full, kind="name")

    def canonical(self, person: Person) -> str:
        """One key per human, whichever way the notes or chat named them."""
        name = person.name
        if person.handle and _key(person.handle) in self.names:
            name = self.names[_key(person.handle)]
        return _key(self._full(name) or name)


def _attendee_key(name: str | None, handle: str | None) -> str:
    return "h:" + _key(handle) if handle else "n:" + _key(name or "")


def _people_count(meetings: Sequence[Meeting]) -> int:
    keys: set[str] = set()
    by_name: dict[str, str] = {}
    for meeting in meetings:
        for attendee in meeting.attendees:
            if attendee.handle and attendee.name:
                by_name[_key(attendee.name)] = _key(attendee.handle)
    for meeting in meetings:
        for attendee in meeting.attendees:
            if not (attendee.name or attendee.handle):
                continue
            handle = attendee.handle or by_name.get(_key(attendee.name or ""))
            keys.add(_attendee_key(attendee.name, handle))
    return len(keys)


# --- sources ----------------------------------------------------------------------------------


def _basename(document: str) -> str:
    return document.rstrip("/").rsplit("/", 1)[-1] or document


def _is_http(text: str | None) -> bool:
    return bool(text) and bool(re.match(r"^https?://", text or "", re.IGNORECASE))


def _source_link(ref: SourceRef | None, meeting: Meeting | None, community: CommunityInfo, label: str = "notes") -> Link:
    """A link to where an item came from; a plain label (document and line) when it has no public URL."""
    document = (ref.document if ref else "") or (meeting.document if meeting else "")
    anchor = (ref.anchor if ref else None) or (meeting.anchor if meeting else None)
    if ref is not None and _is_http(ref.url):
        return Link(label=label, url=ref.url)
    if meeting is not None and meeting.source is not None and _is_http(meeting.source.url) and ref is None:
        return Link(label=label, url=meeting.source.url)
    if _is_http(document):
        return Link(label=label, url=document.split("#", 1)[0] + (f"#{anchor}" if anchor else ""))
    if document and community.notes_url:
        url = community.notes_url.rstrip("/") + "/" + _basename(document) + (f"#{anchor}" if anchor else "")
        return Link(label=label, url=url)
    line = ref.line if ref and ref.line else None
    where = _basename(document) if document else "notes"
    return Link(label=f"{where}" + (f", line {line}" if line else ""), url=None)


def _meeting_link(meeting: Meeting, community: CommunityInfo) -> Link:
    return _source_link(meeting.source, meeting, community, label="notes")


def _issue_links(urls: Iterable[str]) -> list[Link]:
    links: list[Link] = []
    for url in urls:
        if not _is_http(url):
            continue
        match = _ISSUE.match(url)
        host = re.sub(r"^https?://(?:www\.)?([^/?#]+).*$", r"\1", url, flags=re.IGNORECASE)
        label = f"{match.group('repo')}#{match.group('n')}" if match else host
        links.append(Link(label=label, url=url))
    return links


def _in_window(meetings: Iterable[Meeting], window: Window) -> list[Meeting]:
    return sorted((m for m in meetings if m.date is not None and window.contains(m.date)),
                  key=lambda m: (m.date or dt.date.min, m.title or ""))


# --- text similarity --------------------------------------------------------------------------

_STOP = frozenset(["a", "an", "and", "the", "to", "for", "of", "in", "on", "at", "with", "by", "from", "is", "was", "were", "be", "been", "it", "this", "that", "thanks", "thank", "you", "your", "our", "we", "us", "all", "so", "very", "much", "great", "awesome", "huge", "shoutout", "shout", "out"])


@functools.lru_cache(maxsize=8192)
def _words(text: str) -> tuple[frozenset[str], tuple[str, ...]]:
    """The meaningful words of a text, as a set and in order (stop words and single letters left out)."""
    words = tuple(w for w in re.findall(r"[a-z0-9]+", text.lower()) if len(w) > 1 and w not in _STOP)
    return frozenset(words), words


def similar_text(a: str, b: str) -> float:
    """How alike two thank-you texts are, 0..1: the share of the shorter text's meaningful words ("thanks",
    "for", "the"... left out) that the other one says too. A short chat thank-you and the longer note
    about the same work score high; thanks for different things score low."""
    (ta, _), (tb, _) = _words(a), _words(b)
    if not ta or not tb:
        return 0.0
    return len(ta & tb) / min(len(ta), len(tb))


# --- sections: community ----------------------------------------------------------------------


_TITLE_NOISE = re.compile(
    r"\b(?:notes?\s+archive|archive|meeting\s+notes|notes)\b"
    r"|\b(?:(?:\d{1,2}(?:st|nd|rd|th)?\s+)?(?:" + "|".join(_MONTHS) + r")\s+)?(?:19|20)\d\d(?:-\d\d(?:-\d\d)?)?\b",
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
                             links=(_meeting_link(meeting, community),)))
    return Section(name="meetings", heading="Meetings", entries=tuple(entries))


def _attendance_section(meetings: Sequence[Meeting], previous: Sequence[Meeting], people: int) -> Section:
    seats = sum(len(m.attendees) for m in meetings)
    text = (f"{_people(people)} took part in {_plural(len(meetings), 'meeting')}, "
            f"{_plural(seats, 'attendance')} in all.")
    if previous:
        before = sum(len(m.attendees) for m in previous)
        if seats == before:
            trend = f"The same as in the previous period ({before})"
        else:
            trend = f"{'Up' if seats > before else 'Down'} from {before} in the previous period"
        text += (f" {trend}, when {_people(_people_count(previous))} came to "
                 f"{_plural(len(previous), 'meeting')}.")
    else:
        text += " No meetings were recorded in the previous period."
    return Section(name="attendance", heading="Attendance", entries=(Entry(text=text),))


def _people(count: int) -> str:
    return f"{count} {'person' if count == 1 else 'people'}"


def _newcomers_section(meetings: Sequence[Meeting], directory: _Directory, community: CommunityInfo) -> Section:
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
                                 links=(_meeting_link(meeting, community),)))
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


def _calls_section(meetings: Sequence[Meeting], directory: _Directory, community: CommunityInfo) -> Section:
    seen: set[str] = set()
    entries = []
    for meeting in meetings:
        for text, by, ref in _statements(meeting):
            if not _HELP.search(text):
                continue
            key = _key(text)
            if key in seen:
                continue
            seen.add(key)
            entries.append(Entry(text=text, date=meeting.date,
                                 credits=(directory.person(by),) if by else (),
                                 links=(_source_link(ref, meeting, community),)))
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


# --- sections: technical ----------------------------------------------------------------------


def _release_key(release: Release) -> tuple[str, str]:
    return (re.sub(r"[-_.]+", "-", release.project.lower()), release.version.lower().lstrip("v"))


def _releases_section(releases: Sequence[Release]) -> tuple[Section, int, int]:
    unique: dict[tuple[str, str], Release] = {}
    for release in releases:
        unique.setdefault(_release_key(release), release)
    epoch = dt.datetime.min.replace(tzinfo=dt.UTC)
    groups: dict[str, list[Release]] = {}
    for release in sorted(unique.values(), key=lambda r: r.date or epoch, reverse=True):
        groups.setdefault(_release_key(release)[0], []).append(release)
    entries = []
    for items in groups.values():  # projects ordered by their newest release
        children = []
        for release in items:
            marks = []
            if release.prerelease:
                marks.append("pre-release")
            if release.yanked:
                marks.append("yanked")
            if release.from_cache:
                marks.append("from cache")
            children.append(Entry(
                title=release.version,
                date=release.date.date() if release.date else None,
                marks=tuple(marks),
                markdown=release.highlights[:5],
                links=(Link(label="release notes", url=release.url),) if release.url else (),
                credits=tuple(Person(name=c, kind="github", handle=c.lower()) for c in release.contributors[:10]),
            ))
        entries.append(Entry(title=items[0].project, children=tuple(children)))
    intro = None
    if any(release.from_cache for release in unique.values()):
        intro = ("Releases marked *from cache* come from the last copy compass fetched: "
                 "their source could not be reached for this digest.")
    section = Section(name="releases", heading="Releases", intro=intro, entries=tuple(entries))
    return section, len(unique), len(groups)


def _statement_entries(meetings: Sequence[Meeting], pick: str, directory: _Directory,
                       community: CommunityInfo) -> tuple[Entry, ...]:
    entries = []
    for meeting in meetings:
        statements: tuple[Statement, ...] = getattr(meeting, pick)
        for statement in statements:
            entries.append(Entry(
                text=statement.text, date=meeting.date,
                people=(directory.person(statement.owner),) if statement.owner else (),
                links=(_source_link(statement.source, meeting, community),),
            ))
    return tuple(entries)


def _agenda_entries(meetings: Sequence[Meeting], directory: _Directory, community: CommunityInfo) -> tuple[Entry, ...]:
    entries = []
    for meeting in meetings:
        item: AgendaItem
        for item in meeting.agenda:
            links = [_source_link(item.source, meeting, community)]
            links += _issue_links(u for u in item.links if u not in item.title)  # a URL in the title is a link already
            entries.append(Entry(
                text=item.title, date=meeting.date,
                people=(directory.person(item.owner),) if item.owner else (),
                links=tuple(links),
            ))
    return tuple(entries)


# --- sections: celebratory --------------------------------------------------------------------


@dataclass
class _Thanks:
    people: list[Person]
    keys: frozenset[str]
    text: str
    givers: list[Person]
    links: list[Link]
    when: dt.datetime
    chat: bool


@functools.lru_cache(maxsize=4096)
def _chat_person(name: str, kind: str, user_id: int | None) -> Person:
    """A person named in chat; frozen, so the same value serves every shout-out that names them."""
    return Person(name=name, kind="zulip" if kind == "user" else "group" if kind == "group" else "name",
                  user_id=user_id)


def _shoutout_thanks(shoutout: Shoutout, directory: _Directory) -> _Thanks:
    people = [_chat_person(r.name, r.kind, r.user_id) for r in shoutout.recipients]
    link = Link(label="message", url=shoutout.permalink) if shoutout.permalink else Link(
        label=f"chat, #{shoutout.stream} > {shoutout.topic}" if shoutout.stream else "chat", url=None)
    return _Thanks(
        people=people,
        keys=frozenset(directory.canonical(p) for p in people),
        text=shoutout.text,
        givers=[_chat_person(shoutout.giver, "user", shoutout.giver_id)],
        links=[link],
        when=shoutout.created_at,
        chat=True,
    )


def _celebration_thanks(celebration: Celebration, meeting: Meeting, directory: _Directory,
                        community: CommunityInfo, zone: ZoneInfo) -> _Thanks:
    people = [directory.person(p) for p in celebration.people]
    assert meeting.date is not None
    return _Thanks(
        people=people,
        keys=frozenset(directory.canonical(p) for p in people),
        text=celebration.text,
        givers=[directory.person(celebration.by)] if celebration.by else [],
        links=[_source_link(celebration.source, meeting, community)],
        when=dt.datetime.combine(meeting.date, dt.time(12), tzinfo=zone),
        chat=False,
    )


def _merge_thanks(thanks: list[_Thanks]) -> list[_Thanks]:
    """Merge thanks to the same people with similar words given within ``MERGE_DAYS`` of each other."""
    merged: list[_Thanks] = []
    by_people: dict[frozenset[str], list[_Thanks]] = {}
    close = dt.timedelta(days=MERGE_DAYS)
    for item in sorted(thanks, key=lambda t: (t.when, not t.chat)):
        candidates = by_people.setdefault(item.keys, [])
        match = None
        for kept in reversed(candidates):  # newest first: older ones are further away in time
            if item.when - kept.when > close:
                break
            if similar_text(kept.text, item.text) >= MERGE_SIMILARITY:
                match = kept
                break
        if match is None:
            new = _Thanks(list(item.people), item.keys, item.text, list(item.givers), list(item.links),
                          item.when, item.chat)
            merged.append(new)
            candidates.append(new)
            continue
        for giver in item.givers:
            if all(_key(g.name) != _key(giver.name) for g in match.givers):
                match.givers.append(giver)
        for link in item.links:
            if link not in match.links:
                match.links.append(link)
        if len(item.text) > len(match.text) and not match.chat:
            match.text = item.text
    return merged


def _join_names(people: Sequence[Person]) -> str:
    names = [p.name for p in people]
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def _thanks_sections(meetings: Sequence[Meeting], shoutouts: Sequence[Shoutout], directory: _Directory,
                     community: CommunityInfo, zone: ZoneInfo) -> tuple[Section, Section, int, int]:
    thanks = [_shoutout_thanks(s, directory) for s in shoutouts if s.recipients]
    wins: list[Entry] = []
    celebrations = 0
    for meeting in meetings:
        for celebration in meeting.celebrations:
            celebrations += 1
            if celebration.people:
                thanks.append(_celebration_thanks(celebration, meeting, directory, community, zone))
            else:
                wins.append(Entry(text=celebration.text, date=meeting.date,
                                  credits=(directory.person(celebration.by),) if celebration.by else (),
                                  links=(_source_link(celebration.source, meeting, community),)))
    merged = _merge_thanks(thanks)
    groups: dict[frozenset[str], list[_Thanks]] = {}
    for item in merged:
        groups.setdefault(item.keys, []).append(item)
    ordered = sorted(groups.values(), key=lambda g: (-len(g), g[0].when, _join_names(g[0].people).lower()))
    entries = []
    thanked: set[str] = set()
    for group in ordered:
        thanked.update(group[0].keys)
        children = tuple(
            Entry(text=t.text, date=t.when.astimezone(zone).date(), credits=tuple(t.givers), links=tuple(t.links))
            for t in group
        )
        entries.append(Entry(title=_join_names(group[0].people), people=tuple(group[0].people), children=children))
    shoutouts_section = Section(name="shoutouts", heading="Thank you", entries=tuple(entries))
    celebrations_section = Section(name="celebrations", heading="Celebrations", entries=tuple(wins),
                                   intro="Wins the community celebrated at its meetings:")
    return shoutouts_section, celebrations_section, len(thanked), celebrations


# --- the opening sentence ---------------------------------------------------------------------


def _plural(count: int, word: str, plural: str | None = None) -> str:
    if count == 1:
        return f"1 {word}"
    return f"{'no' if count == 0 else count} {plural or word + 's'}"


def _summary(kind: DigestKind, counts: DigestCounts, community: str, period: str, timezone: str, empty: bool) -> str:
    where = f"{period} ({timezone} time)"
    people = f"{counts.people} {'person' if counts.people == 1 else 'people'}"
    meetings = _plural(counts.meetings, "meeting")
    if counts.meetings:
        meetings += f" with {people}"
    releases = _plural(counts.releases, "release")
    shoutouts = _plural(counts.shoutouts, "shout-out")
    if empty:
        return (f"Nothing new to report for {community} in {where}: "
                f"{_plural(counts.meetings, 'meeting')}, {releases} and {shoutouts}.")
    if kind == "community":
        return f"Here is what happened in {community} in {where}: {meetings}, {releases} and {shoutouts}."
    if kind == "technical":
        if counts.releases and counts.projects > 1:
            releases += f" across {counts.projects} projects"
        decisions = f"{_plural(counts.decisions, 'decision')} from {meetings}" if counts.meetings else "no meetings"
        return (f"Here is the technical news from {community} for {where}: {releases}, "
                f"and {decisions}; {shoutouts} in chat.")
    thanks = _plural(counts.thanked, "person", "people")
    notes = (f" and {_plural(counts.celebrations, 'celebration')} at {meetings}" if counts.meetings
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
) -> Digest:
    """Build the ``kind`` digest of ``window`` from its inputs; items outside the window are ignored.

    ``previous_meetings`` are those of the window before (for the attendance comparison); ``upcoming`` the
    scheduled meetings to announce; ``sections`` the section names to keep (default: all of the kind);
    ``title`` an admin's title, where ``{period}``, ``{community}`` and ``{kind}`` are filled in.
    """
    if kind not in SECTIONS:
        raise ValueError(f"{kind!r} is not a digest kind; choose from {', '.join(SECTIONS)}")
    chosen = _selected(kind, sections)
    zone = _zone(community.timezone)
    all_meetings = list(meetings)
    held = _in_window(all_meetings, window)
    previous = [m for m in previous_meetings if m.date is not None and not window.contains(m.date)]
    directory = _Directory.build([*held, *previous])
    in_window_releases = [r for r in releases if r.date is not None and window.contains(r.date)]
    given = [s for s in shoutouts if window.contains(s.created_at)]
    period = period_label(window, community.timezone)

    built: list[Section] = []
    releases_section, release_count, project_count = _releases_section(in_window_releases)
    if kind == "celebratory":  # merging thanks is the costly part: only the celebratory digest shows it
        shoutouts_section, celebrations_section, thanked, celebration_count = _thanks_sections(
            held, given, directory, community, zone)
    else:
        thanked, celebration_count = 0, sum(len(m.celebrations) for m in held)
    people = _people_count(held)
    for name in chosen:
        if kind == "community":
            if name == "meetings":
                built.append(_meetings_section(held, community))
            elif name == "attendance" and held:
                built.append(_attendance_section(held, previous, people))
            elif name == "newcomers":
                built.append(_newcomers_section(held, directory, community))
            elif name == "calls_for_help":
                built.append(_calls_section(held, directory, community))
            elif name == "upcoming":
                built.append(_upcoming_section(list(upcoming), window, community.timezone))
            elif name == "links":
                built.append(_links_section(community))
        elif kind == "technical":
            if name == "releases":
                built.append(releases_section)
            elif name == "decisions":
                built.append(Section(name="decisions", heading="Decisions",
                                     entries=_statement_entries(held, "decisions", directory, community)))
            elif name == "agenda":
                built.append(Section(name="agenda", heading="Topics discussed",
                                     entries=_agenda_entries(held, directory, community)))
            elif name == "action_items":
                built.append(Section(name="action_items", heading="Open action items",
                                     entries=_statement_entries(held, "action_items", directory, community)))
        else:
            if name == "shoutouts":
                built.append(shoutouts_section)
            elif name == "celebrations":
                built.append(celebrations_section)
    kept = tuple(s for s in built if s.entries)
    empty = not any(s.content for s in kept)
    counts = DigestCounts(
        meetings=len(held),
        people=people,
        releases=release_count,
        projects=project_count,
        shoutouts=len(given),
        celebrations=celebration_count,
        thanked=thanked,
        newcomers=len({_key(n) for m in held for n in m.newcomers}),
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
