"""The community digest's sections: meetings held, attendance, newcomers, calls for help, next meetings, links.

Every builder takes the window's ``Inputs`` and returns one ``Section``; ``sections`` builds those
named, in ``SECTIONS["community"]`` order.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from zoneinfo import ZoneInfo

from digests.activity import Activity, Limits
from digests.digest import Budget, CommunityInfo, Entry, Link, Person, Section, UpcomingMeeting
from digests.model import Meeting, Release, Shoutout, SourceRef, Window
from digests.people import (
    Directory,
    PeopleSnapshot,
    attendee_people,
    compact_names,
    meeting_key,
    name_key,
    people_count,
)
from digests.sections.common import (
    DAYS,
    MONTHS,
    activity_status_section,
    cut_at_clause,
    is_label_or_filler,
    is_template_owner,
    meeting_link,
    people_phrase,
    plural,
    source_link,
    strip_markup,
    thread_link,
)
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
    "looking for collaborators",
    "looking for contributors",
    "looking for people",
    "looking for someone",
    "would love for someone",
    "would love someone",
    "would love help",
    "would appreciate help",
    "would appreciate reviews",
    "could use help",
    "can anyone",
    "could someone",
    "if you're interested",
    "if you are interested",
    "anyone interested",
    "please review",
    "reviews welcome",
    "contributions welcome",
    "prs welcome",
    "sign up",
    "sign-up",
    "signup form",
    "join us",
    "get involved",
)
_HELP = re.compile(r"\b(?:" + "|".join(re.escape(p) for p in CALL_FOR_HELP_PHRASES) + r")\b", re.IGNORECASE)
_FORM = re.compile(r"https?://(?:docs\.google\.com/forms|forms\.gle|[\w.-]*typeform\.com|[\w.-]*/signup)\S*", re.IGNORECASE)

_TITLE_NOISE = re.compile(
    r"\b(?:notes?\s+archive|archive|(?<=meeting\s)minutes|notes)\b"
    r"|\b(?:" + "|".join(MONTHS) + r")\s+\d{1,2}(?:st|nd|rd|th)?,?\s+(?:19|20)\d\d\b"  # "January 17, 2024"
    r"|\b(?:" + "|".join(MONTHS) + r")\s+\d{1,2}(?:st|nd|rd|th)?\b(?!,?\s*(?:19|20)\d\d)(?!:)"
    r"|\b\d{1,2}(?:st|nd|rd|th)?\s+(?:" + "|".join(MONTHS) + r")\b(?!\s*(?:19|20)\d\d)"
    r"|(?<!release\s)(?<!version\s)(?<!v)\b\d{1,2}([./])\d{1,2}\1(?:\d\d){1,2}\b|\b(?:19|20)\d\d([./])\d{1,2}\2\d{1,2}\b"  # "04.09.31", "2031/09/04"
    r"|\b(?:(?:\d{1,2}(?:st|nd|rd|th)?\s+)?(?:" + "|".join(MONTHS) + r")\s+)?(?:19|20)\d\d(?:-\d\d(?:-\d\d)?)?\b",
    re.IGNORECASE,
)


_EMPTY_BRACKETS = re.compile(r"\(\s*[-\u2013\u2014/,.]*\s*\)|\[\s*[-\u2013\u2014/,.]*\s*\]")
_ARCHIVE_PLURAL = re.compile(r"\b(meeting|call|sync|cafe|standup|stand-up)s\s*$", re.IGNORECASE)


def meeting_name(meeting: Meeting) -> str:
    """A meeting's name without the date or archive words its notes title carries (the date is shown apart):
    "2025 Collaboration Cafe Notes Archive" -> "Collaboration Cafe"."""
    title = meeting.title or ""
    name = _TITLE_NOISE.sub(" ", title)
    name = _EMPTY_BRACKETS.sub(" ", name)  # "Community call (2031-02-11)" -> not "Community call ( )"
    if name != title:  # an archive's title names its meetings in the plural: "2031 Team Meetings"
        name = _ARCHIVE_PLURAL.sub(lambda m: m.group(1), name)
    name = re.sub(r"\s*[-\u2013\u2014:|,]\s*$", "", " ".join(name.split()))
    name = re.sub(r"^\s*[-\u2013\u2014:|,]\s*", "", name).strip()
    return name if len(name) >= 3 else (title.strip() or "Meeting")


def _meetings_section(meetings: Sequence[Meeting], community: CommunityInfo) -> Section:
    entries = []
    for meeting in meetings:
        if meeting.cancelled:
            entries.append(Entry(title=meeting_name(meeting), date=meeting.date, text="cancelled",
                                 marks=("cancelled",), links=meeting_link(meeting, community)))
            continue
        count = len([a for a in meeting.attendees if a.name or a.handle])
        text = f"{count} {'person' if count == 1 else 'people'} attended" if count else ""
        entries.append(Entry(title=meeting_name(meeting), date=meeting.date, text=text,
                             links=meeting_link(meeting, community)))
    return Section(name="meetings", heading="Meetings", entries=tuple(entries))


def _attendance_section(meetings: Sequence[Meeting], previous: Sequence[Meeting], people: int,
                        snapshot: PeopleSnapshot | None = None) -> Section:
    seats = sum(len(m.attendees) for m in meetings)
    text = (f"{people_phrase(people)} took part in {plural(len(meetings), 'meeting')}, "
            f"{plural(seats, 'attendance')} in all.")
    who = ""
    if snapshot is not None:
        came = attendee_people(meetings, snapshot)
        names = [v.name if not isinstance(v, str) else v for v in came.values()
                 if isinstance(v, str) or not v.opted_out]
        if names:
            hidden = len(came) - len(names)
            who = f"Who came: {compact_names(names)}" + (
                f" (and {plural(hidden, 'person', 'people')} who prefer not to be named)" if hidden else "") + "."
    if previous:
        before = sum(len(m.attendees) for m in previous)
        if seats == before:
            trend = f"The same as in the previous period ({before})"
        else:
            trend = f"{'Up' if seats > before else 'Down'} from {before} in the previous period"
        text += (f" {trend}, when {people_phrase(people_count(previous, snapshot))} came to "
                 f"{plural(len(previous), 'meeting')}.")
    else:
        text += " No meetings were recorded in the previous period."
    entries = [Entry(text=text)]
    if snapshot is not None and who:
        entries.append(Entry(text=who))
    return Section(name="attendance", heading="Attendance", entries=tuple(entries))



def _elsewhere_link(known: object, shoutouts: Sequence[Shoutout], releases: Sequence[Release]) -> Link | None:
    """Where someone first seen outside the meetings showed up in the window: their shout-out, their release."""
    user_id, handle = getattr(known, "user_id", None), getattr(known, "handle", None)
    for shoutout in shoutouts:
        if user_id is not None and shoutout.permalink and (
                shoutout.giver_id == user_id or any(r.user_id == user_id for r in shoutout.recipients)):
            return Link(label="message", url=shoutout.permalink)
    for release in releases:
        if handle and release.url and handle in (c.lower().lstrip("@") for c in release.contributors):
            return Link(label=f"{release.project} {release.version}", url=release.url)
    return None


def _welcome_section(meetings: Sequence[Meeting], snapshot: PeopleSnapshot, community: CommunityInfo,
                     shoutouts: Sequence[Shoutout] = (), releases: Sequence[Release] = ()) -> Section:
    """The people registry's welcome: those first seen in the window (taking part) and those back after a
    long absence, each under the meeting where they came (or alone, for chat and releases)."""
    by_meeting: dict[str, Meeting] = {meeting_key(m): m for m in meetings}
    entries = []
    welcomed = snapshot.welcomed()
    placed: dict[str, list[Person]] = {}
    elsewhere: list[Person] = []
    elsewhere_links: list[Link] = []
    shown: set[str] = set()
    for known in welcomed:
        if known.name in shown:  # two records of one name: the reader sees one welcome
            continue
        shown.add(known.name)
        person = Person(name=known.name, kind="github", handle=known.handle) if known.handle else Person(name=known.name)
        place = next((p for p, ids in snapshot.places.items() if known.id in ids and p in by_meeting), None)
        if place:
            placed.setdefault(place, []).append(person)
            continue
        link = _elsewhere_link(known, shoutouts, releases)
        if link is not None:  # every welcome points to where it happened
            elsewhere.append(person)
            if link not in elsewhere_links:
                elsewhere_links.append(link)
    for place, people in sorted(placed.items(), key=lambda kv: (by_meeting[kv[0]].date or dt.date.min, kv[0])):
        meeting = by_meeting[place]
        entries.append(Entry(people=tuple(people), date=meeting.date, title=meeting_name(meeting),
                             links=meeting_link(meeting, community)))
    if elsewhere:
        entries.append(Entry(people=tuple(elsewhere), title="In chat and in releases", links=tuple(elsewhere_links)))
    return Section(name="newcomers", heading="Welcome", entries=tuple(entries),
                   intro="A warm welcome to the people who joined us for the first time:")


def _returning_section(snapshot: PeopleSnapshot | None) -> Section:
    """People taking part again after a long absence (``people.welcome_back_after``), with when they were
    last seen before."""
    entries = []
    for known, before in (snapshot.returning() if snapshot is not None else []):
        person = Person(name=known.name, kind="github", handle=known.handle) if known.handle else Person(name=known.name)
        entries.append(Entry(people=(person,), text=f"last seen {MONTHS[before.month - 1]} {before.year}"))
    return Section(name="returning", heading="Welcome back", entries=tuple(entries),
                   intro="Good to see you again after a while away:")


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
                                 links=meeting_link(meeting, community)))
    return Section(name="newcomers", heading="Welcome", entries=tuple(entries),
                   intro="A warm welcome to the people who joined us for the first time:")


_URL = re.compile(r"<?(https?://[^\s<>]+)>?")
_REFERS_BACK = re.compile(r"\b(?:it|this|that|these|them|those)\b", re.IGNORECASE)


def _in_context(lines: Sequence[str], i: int) -> str:
    """A discussion line as a call for help can be read alone: a line that points back ("Yuvi would love for
    someone to pick it up") is given the line it points to, and a call without a link takes the links of the
    lines listed right under it (the pull requests it asks reviews for)."""
    line = lines[i]
    if not (_HELP.search(line) or _FORM.search(line)) or _URL.search(line):
        return line
    before = lines[i - 1] if i else ""
    if (_REFERS_BACK.search(line) and before and len(line) <= 100
            and not (_HELP.search(before) or _FORM.search(before))):
        return f"{before.rstrip(' .:;')}: {line}"
    links = []
    for after in lines[i + 1:i + 4]:
        found = _URL.findall(after)
        if not found or _HELP.search(after):
            break
        links.extend(found)
    return f"{line.rstrip()} ({', '.join(dict.fromkeys(links))})" if links else line


def _statements(meeting: Meeting) -> Iterable[tuple[str, str | None, SourceRef | None]]:
    for update in meeting.updates:
        yield update.rich, update.by, update.source  # with its links
    for item in meeting.agenda:
        yield item.title, item.owner, item.source
        for i in range(len(item.discussion)):
            yield _in_context(item.discussion, i), item.owner, item.source
    for celebration in meeting.celebrations:
        yield celebration.rich, celebration.by, celebration.source
    for decision in meeting.decisions:
        yield decision.reads_alone, None, decision.source
    for action in meeting.action_items:
        yield action.reads_alone, action.owner, action.source


def _the_call(line: str, limit: int) -> str:
    """A long note cut to ``limit`` around its call for help: the sentence asking stays, whatever else goes."""
    if len(line) <= limit:
        return line
    parts = [p for p in re.split(r"(?<=[.;!?])\s+", line) if p.strip()]
    asking = next((p for p in parts if _HELP.search(p) or _FORM.search(p)), None)
    if asking is None or line.find(asking) + len(asking) <= limit:
        return cut_at_clause(line, limit)
    first = parts[0].rstrip(";")
    if asking is not parts[0] and len(first) + len(asking) + 3 <= limit:
        return f"{first} \u2026 {asking}"
    return cut_at_clause(asking, limit)


def _calls_section(meetings: Sequence[Meeting], directory: Directory, community: CommunityInfo,
                   limit: int) -> Section:
    seen: set[str] = set()
    entries = []
    for meeting in meetings:
        for text, by, ref in _statements(meeting):
            if not (_HELP.search(text) or _FORM.search(text)) or is_template_owner(by):
                continue
            line = strip_markup(text)
            key = name_key(line)
            if key in seen or is_label_or_filler(line):
                continue
            seen.add(key)
            line = _FORM.sub(lambda m: f"[form]({m.group(0)})", _the_call(line, 300))
            entries.append(Entry(markdown=(line,), date=meeting.date,
                                 credits=(directory.person(by, place=meeting_key(meeting)),) if by else (),
                                 links=source_link(ref, meeting, community)))
    return Section(name="calls_for_help", heading="Ways to help", entries=tuple(entries[:limit]),
                   intro="Calls for help and invitations to contribute from the meetings:")


def _first_contributions(section: Section, activity: Activity, window: Window) -> Section:
    """The welcome, with the people whose first pull request was merged in the window (once: someone already
    welcomed at a meeting is not named again)."""
    welcomed = {p.handle for e in section.entries for p in e.people if p.handle}
    firsts = sorted((c for c in activity.first_timers
                     if window.contains(c.first.merged_at) and c.login.lower() not in welcomed),
                    key=lambda c: (c.first.merged_at, c.login.lower()))
    if not firsts:
        return section
    entry = Entry(title="first contribution", marks=("first_contribution",),
                  people=tuple(Person(name=c.login, kind="github", handle=c.login.lower()) for c in firsts),
                  links=tuple(Link(label=f"{c.first.repo}#{c.first.number}", url=c.first.url) for c in firsts))
    intro = section.intro if section.entries else "A warm welcome to the people who joined us for the first time:"
    return section.model_copy(update={"entries": (*section.entries, entry), "intro": intro})


def _ways_to_help(section: Section, activity: Activity, window: Window, limits: Limits) -> Section:
    """The calls for help from the meetings, then open issues with the configured labels and forum topics
    nobody has answered yet."""
    entries = list(section.entries)
    issues = activity.help_wanted[: limits.help_wanted]
    for issue in issues:
        label = next(iter(issue.labels), "")
        link = thread_link(issue)
        entries.append(Entry(text=issue.title, links=(Link(label=f"{link.label}, {label}" if label else link.label,
                                                                url=link.url),)))
    topics = activity.unanswered[: limits.unanswered]
    for topic in topics:
        days = max((window.until - topic.created_at).days, 1)
        entries.append(Entry(text=topic.title, links=(Link(
            label=f"{topic.place} forum, unanswered for {plural(days, 'day')}", url=topic.url),)))
    if not issues and not topics:
        return section
    parts = ["from the meetings"] if section.entries else []
    if issues:
        labels = sorted({lb for i in activity.help_wanted for lb in i.labels})
        parts.append(f"open issues labelled {' or '.join(labels)}" if labels else "open issues")
    if topics:
        parts.append("forum questions waiting for an answer")
    intro = "Calls for help and invitations to contribute: " + ", ".join(parts[:-1]) + \
        (" and " if len(parts) > 1 else "") + parts[-1] + "."
    total = activity.help_wanted_total
    if total > len(issues):
        shown = "here is the most recently updated" if len(issues) == 1 else \
            f"here are the {len(issues)} most recently updated"
        intro += f" {total} open issues carry these labels; {shown}."
    return section.model_copy(update={"entries": tuple(entries), "intro": intro})


def _deployments_section(activity: Activity, window: Window, zone: ZoneInfo, limit: int) -> Section:
    """Topics opened in the window in the show-and-tell categories: who is deploying what."""
    shown = [t for t in activity.deployments if window.contains(t.created_at)][:limit]
    entries = tuple(
        Entry(text=t.title, date=t.created_at.astimezone(zone).date(),
              credits=(Person(name=t.author),) if t.author else (), links=(Link(label="forum", url=t.url),))
        for t in shown)
    return Section(name="deployments", heading="New deployments", entries=entries,
                   intro="Shared on the forum: who is running what, and how.")
def _news_section(meetings: Sequence[Meeting], directory: Directory, community: CommunityInfo,
                  limit: int, calls: bool) -> Section:
    """Quick updates from the meetings (the main news of each), with their own links kept; with ``calls``,
    an update asking for help is left to the calls for help (nothing is said twice)."""
    seen: set[str] = set()
    entries = []
    for meeting in meetings:
        for update in meeting.updates:
            if calls and (_HELP.search(update.text) or _FORM.search(update.text)) or is_template_owner(update.by):
                continue
            rich = update.rich
            line = strip_markup(rich)
            key = name_key(strip_markup(update.text))
            if not key or key in seen or is_label_or_filler(line):
                continue
            seen.add(key)
            entries.append(Entry(markdown=(cut_at_clause(line, 300),), date=meeting.date,
                                 credits=(directory.person(update.by, place=meeting_key(meeting)),) if update.by else (),
                                 links=meeting_link(meeting, community)))
    return Section(name="news", heading="News", entries=tuple(entries[:limit]))


def _upcoming_section(upcoming: Sequence[UpcomingMeeting], window: Window, timezone: str) -> Section:
    entries = [
        Entry(title=u.name, text=_format_when(u.when, timezone), when=u.when,
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


def sections(chosen: Iterable[str], inputs: Inputs, budget: Budget = Budget()) -> list[Section]:  # noqa: B008
    """The chosen community sections, in order (attendance only when meetings were held)."""
    built: list[Section] = []
    chosen = tuple(chosen)
    for name in chosen:
        if name == "meetings":
            shown = sorted([*inputs.held, *inputs.cancelled], key=lambda m: (m.date or dt.date.min, m.title or ""))
            built.append(_meetings_section(shown, inputs.community))
        elif name == "attendance" and inputs.held:
            built.append(_attendance_section(inputs.held, inputs.previous, inputs.people, inputs.snapshot))
        elif name == "newcomers":
            welcome = (_welcome_section(inputs.held, inputs.snapshot, inputs.community, inputs.shoutouts,
                                        inputs.releases) if inputs.snapshot is not None
                       else _newcomers_section(inputs.held, inputs.directory, inputs.community))
            built.append(_first_contributions(welcome, inputs.activity, inputs.window))
        elif name == "returning":
            built.append(_returning_section(inputs.snapshot))
        elif name == "calls_for_help":
            built.append(_ways_to_help(_calls_section(inputs.held, inputs.directory, inputs.community,
                                                      budget.calls_for_help),
                                       inputs.activity, inputs.window, inputs.limits))
        elif name == "deployments":
            built.append(_deployments_section(inputs.activity, inputs.window, inputs.zone, inputs.limits.deployments))
        elif name == "news":
            built.append(_news_section(inputs.held, inputs.directory, inputs.community, budget.news,
                                       "calls_for_help" in chosen))
        elif name == "upcoming":
            built.append(_upcoming_section(list(inputs.upcoming), inputs.window, inputs.community.timezone))
        elif name == "links":
            built.append(_links_section(inputs.community))
        elif name == "activity_status":
            built.append(activity_status_section(inputs.activity, inputs.community.timezone))
    return built
