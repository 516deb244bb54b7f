"""The technical digest's sections: what was decided and what is being built.

- **releases**: from the release sources and from release announcements in the notes ("JupyterHub 5.3
  released", "z2jh 4.2.0 is out"), merged and de-duplicated by project and version, final releases only
  unless the budget says ``prereleases``, each linked to its release notes (a GitHub release or a changelog
  section; never the package index page);
- **agenda** (shown as "Meetings"): grouped by meeting, each topic one clean line (owner and time markup
  stripped, labels, placeholders and link-only items dropped, long titles cut at a clause) with its
  decisions and open action items (with owners) beneath; at most ``budget.topics_per_meeting`` topics, the
  rest as "and K more in the notes" linking to the meeting;
- **decisions** and **action_items**: the same decisions and tasks as flat lists, built only when the
  agenda section is left out (so nothing is said twice);
- **merged_work**, **conversations** and **activity_status**: merged pull requests per repository,
  conversations to join, and what activity data was missing (from ``digests.activity``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from digests.activity import Activity, MergedPull, most_active
from digests.digest import Budget, CommunityInfo, Entry, Link, Person, Section
from digests.model import Meeting, Release, Window
from digests.people import Directory, meeting_key, name_key
from digests.sections.common import (
    activity_status_section,
    cut_at_clause,
    is_http,
    is_label_or_filler,
    is_template_owner,
    issue_links,
    meeting_link,
    meeting_url,
    people_phrase,
    plural,
    strip_markup,
    thread_link,
    topic_line,
)
from digests.sections.inputs import Inputs

__all__ = ["announced_releases", "releases_section", "sections"]

_PACKAGE_INDEX = re.compile(r"^https?://(?:www\.)?(?:pypi\.org|pypi\.python\.org|test\.pypi\.org)/", re.IGNORECASE)
_RELEASE_PAGE = re.compile(r"/releases/tag/|changelog|changes|release-notes|news", re.IGNORECASE)
_PRERELEASE = re.compile(r"(?:a|b|rc|alpha|beta|dev|pre)\.?\d*$", re.IGNORECASE)
_ANNOUNCED = re.compile(
    r"(?P<project>[A-Za-z][\w.+-]*(?:[ -][A-Z][\w.+-]*)?)\s+v?(?P<version>\d+\.\d+(?:\.\d+)*(?:[-.]?(?:a|b|rc)\d*)?)"
    r"\s+(?:(?:has\s+been\s+|was\s+|is\s+|got\s+)?(?:released|shipped|published|out\b)|release\s+(?:today|is\s+out|done))",
    re.IGNORECASE,
)


def _project_key(name: str) -> str:
    return re.sub(r"[-_. ]+", "-", name.lower()).strip("-")


def _version_key(version: str) -> str:
    text = version.lower().lstrip("v")
    parts = re.match(r"^(\d+(?:\.\d+)*)(.*)$", text)
    if not parts:
        return text
    numbers = [int(p) for p in parts.group(1).split(".")]
    while len(numbers) > 1 and numbers[-1] == 0:
        numbers.pop()
    return ".".join(map(str, numbers)) + parts.group(2).strip("-.")


def _release_key(release: Release) -> tuple[str, str]:
    return _project_key(release.project), _version_key(release.version)


def _release_link(release: Release) -> tuple[Link, ...]:
    url = release.url
    if not url or not is_http(url) or _PACKAGE_INDEX.match(url):
        return ()
    return (Link(label="release notes", url=url),)


def announced_releases(meetings: Sequence[Meeting]) -> list[Release]:
    """Releases the notes announce ("JupyterHub 5.3 release today", "z2jh 4.2.0 is out"), each linked to the
    release page it cites (a GitHub release, a changelog), else to its meeting's notes."""
    found: list[Release] = []
    for meeting in meetings:
        if meeting.date is None:
            continue
        lines: list[tuple[str, Iterable[str]]] = [(a.title, a.links) for a in meeting.agenda]
        lines += [(u.text, ()) for u in meeting.updates]
        lines += [(c.text, ()) for c in meeting.celebrations]
        for text, links in lines:
            match = _ANNOUNCED.search(text)
            if not match:
                continue
            urls = [*links, *re.findall(r"https?://[^\s)>\]]+", text)]
            page = next((u for u in urls if _RELEASE_PAGE.search(u)), None) or meeting_url(meeting)
            version = match.group("version")
            found.append(Release(
                project=match.group("project").strip(),
                version=version,
                date=dt.datetime.combine(meeting.date, dt.time(12), tzinfo=dt.UTC),
                url=page,
                prerelease=bool(_PRERELEASE.search(version)),
            ))
    return found


def releases_section(releases: Sequence[Release], announced: Sequence[Release] = (),
                     budget: Budget = Budget()) -> tuple[Section, int, int]:  # noqa: B008 - a frozen value
    """Releases by project, newest first: the sources' releases with the notes' announcements merged in
    (a project written "Zero to JupyterHub" or "zero-to-jupyterhub" is one project), pre-releases left out
    unless ``budget.prereleases``."""
    unique: dict[tuple[str, str], Release] = {}
    for release in [*releases, *announced]:  # the sources first: their data and links win
        if (release.prerelease or _PRERELEASE.search(release.version)) and not budget.prereleases:
            continue
        key = _release_key(release)
        kept = unique.get(key)
        if kept is None:
            unique[key] = release
        elif not _release_link(kept) and _release_link(release):
            unique[key] = kept.model_copy(update={"url": release.url})
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
                markdown=release.highlights[:3],
                links=_release_link(release),
                credits=tuple(Person(name=c, kind="github", handle=c.lower()) for c in release.contributors[:10]),
            ))
        entries.append(Entry(title=items[0].project, children=tuple(children)))
    intro = None
    if any(release.from_cache for release in unique.values()):
        intro = ("Releases marked *from cache* come from the last copy compass fetched: "
                 "their source could not be reached for this digest.")
    section = Section(name="releases", heading="Releases", intro=intro, entries=tuple(entries))
    return section, len(unique), len(groups)


# --- meetings: topics with their decisions and action items ---------------------------------------


@dataclass
class _Topic:
    line: str
    owner: str | None
    links: list[Link]
    key: str
    items: list[Entry] = field(default_factory=list)


def _statement_text(text: str, limit: int) -> str | None:
    clean = strip_markup(text)
    if is_label_or_filler(clean):
        return None
    return cut_at_clause(clean, max(limit, 160))


_DECISION_LABEL = re.compile(
    r"^(?:key\s+)?(?:decisions?|decided|consensus|agreed|agreements?|take-?aways?|conclusions?|resolutions?|"
    r"outcomes?|results?)\s*(?::|--?|\u2013|\u2014)\s*", re.IGNORECASE)
_DECIDED_TO = re.compile(r"^(?:we\s+)?(?:decided|agreed|decide|agree)\s+to\s+(?=\w)", re.IGNORECASE)
_CONCLUDED_THAT = re.compile(r"^(?:the\s+)?(?:conclusion|consensus|decision|agreement)\s+(?:was\s+|is\s+)?that\s+",
                             re.IGNORECASE)
_DECISION_ON = re.compile(r"^decision\s+on\s+(?P<topic>.+?)\s*(?:--|\u2013|\u2014|:)\s*(?P<rest>\S.*)$", re.IGNORECASE)


def decision_text(text: str) -> str:
    """A decision as it reads after "Decided:": without the notes' own label or verb ("Decision:", "Takeaway:",
    "Agreed to", "Conclusion was that"), "Decision on X -- Y" as "X: Y"."""
    out = _DECISION_LABEL.sub("", text, count=1)
    on = _DECISION_ON.match(out)
    if on is not None:
        out = f"{on.group('topic')}: {on.group('rest')}"
    else:
        out = _CONCLUDED_THAT.sub("", _DECIDED_TO.sub("", out, count=1), count=1)
    if not out.strip():
        return text
    return out[0].upper() + out[1:] if out[0].islower() else out


def _topic_of(topics: Sequence[_Topic], topic: str | None) -> _Topic | None:
    if not topic:
        return None
    key = name_key(strip_markup(topic))
    if not key:
        return None
    for candidate in topics:
        if candidate.key and (candidate.key == key or candidate.key.startswith(key) or key.startswith(candidate.key)):
            return candidate
    return None


def _meeting_entry(meeting: Meeting, directory: Directory, community: CommunityInfo,
                   budget: Budget) -> tuple[Entry | None, int, int, int]:
    """One meeting's topics with their decisions and open action items beneath; (entry, topics shown,
    decisions, action items)."""
    topics: list[_Topic] = []
    seen: set[str] = set()
    for item in meeting.agenda:
        line = topic_line(item.title, budget.topic_length)
        if line is None or is_template_owner(item.owner):
            continue
        key = name_key(line)
        if key in seen:
            continue
        seen.add(key)
        links = issue_links(u for u in item.links if u not in item.title)[:2]
        topics.append(_Topic(line, item.owner, list(links), name_key(strip_markup(item.title))))
    loose: list[Entry] = []  # decisions and tasks recorded outside any topic
    decisions = actions = 0
    said: set[str] = set()
    for decision in meeting.decisions:
        text = _statement_text(decision.text, budget.topic_length)
        text = decision_text(text) if text is not None else None
        said_key = f"{name_key(decision.topic or '')}|{name_key(text or '')}"  # "Accepted" under two proposals: twice
        if text is None or said_key in said:
            continue
        said.add(said_key)
        decisions += 1
        topic = _topic_of(topics, decision.topic)
        if topic is not None:
            topic.items.append(Entry(title="Decided", text=text))
        else:
            context = decision.topic
            context = topic_line(context, 60) if context else None
            alone = f"{context}: {text}" if context and not text.lower().startswith(context.lower()) else text
            loose.append(Entry(title="Decided", text=alone))
    for action in meeting.action_items:
        if action.done:
            continue
        text = _statement_text(action.text, budget.topic_length)
        said_key = f"{name_key(action.topic or '')}|{name_key(text or '')}"
        if text is None or said_key in said:
            continue
        said.add(said_key)
        actions += 1
        owner = (directory.person(action.owner, place=meeting_key(meeting)),) if action.owner else ()
        topic = _topic_of(topics, action.topic)
        entry = Entry(title="To do", text=text, people=owner)
        (topic.items if topic is not None else loose).append(entry)
    if not topics and not loose:
        return None, 0, 0, 0
    # Topics with decisions or tasks come first when there are too many; the notes' order is kept.
    cap = budget.topics_per_meeting
    ranked = sorted(range(len(topics)), key=lambda i: (not topics[i].items, i))
    shown = sorted(ranked[:cap])
    hidden = len(topics) - len(shown)
    children = []
    for index in shown:
        topic = topics[index]
        children.append(Entry(
            text=topic.line,
            people=(directory.person(topic.owner, place=meeting_key(meeting)),) if topic.owner else (),
            links=tuple(topic.links),
            children=tuple(topic.items[: budget.items_per_topic]),
        ))
    for index in ranked[cap:]:  # decisions and tasks of the topics left out still count
        loose.extend(topics[index].items)
    link = meeting_link(meeting, community)
    if hidden:
        children.append(Entry(text=f"and {hidden} more {'topic' if hidden == 1 else 'topics'} in the notes",
                              marks=("more",), links=link))
    children.extend(loose)
    from digests.sections.community import meeting_name

    entry = Entry(title=meeting_name(meeting), date=meeting.date, links=link, children=tuple(children))
    return entry, len(shown), decisions, actions


def meetings_section(meetings: Sequence[Meeting], directory: Directory, community: CommunityInfo,
                     budget: Budget) -> tuple[Section, int, int, int]:
    entries = []
    topics = decisions = actions = 0
    for meeting in meetings:
        if meeting.cancelled:
            continue
        entry, shown, decided, todo = _meeting_entry(meeting, directory, community, budget)
        if entry is not None:
            entries.append(entry)
            topics, decisions, actions = topics + shown, decisions + decided, actions + todo
    return Section(name="agenda", heading="Meetings", entries=tuple(entries)), topics, decisions, actions


def _flat(meetings: Sequence[Meeting], pick: str, directory: Directory, community: CommunityInfo,
          budget: Budget) -> tuple[Entry, ...]:
    entries = []
    for meeting in meetings:
        for statement in getattr(meeting, pick):
            if getattr(statement, "done", False):
                continue
            text = _statement_text(statement.reads_alone, budget.topic_length)
            if text is None:
                continue
            owner = getattr(statement, "owner", None)
            entries.append(Entry(text=text, date=meeting.date,
                                 people=(directory.person(owner, place=meeting_key(meeting)),) if owner else (),
                                 links=meeting_link(meeting, community)))
    return tuple(entries)


def _github_person(login: str) -> Person:
    return Person(name=login, kind="github", handle=login.lower())


def _merged_work_section(activity: Activity, window: Window, zone: ZoneInfo, limit: int) -> Section:
    """Per repository: how many pull requests were merged and by how many people, the latest few by title."""
    by_repo: dict[str, list[MergedPull]] = {}
    for pull in activity.merged:
        if window.contains(pull.merged_at):
            by_repo.setdefault(pull.repo, []).append(pull)
    entries = []
    for repo, pulls in sorted(by_repo.items(), key=lambda item: (-len(item[1]), item[0].lower())):
        authors = {p.author.lower() for p in pulls}
        latest = sorted(pulls, key=lambda p: (p.merged_at, p.number), reverse=True)[:limit]
        text = f"{plural(len(pulls), 'pull request')} merged by {people_phrase(len(authors))}"
        if len(latest) < len(pulls):
            text += f", the latest {len(latest)}:"
        children = tuple(
            Entry(text=p.title, date=p.merged_at.astimezone(zone).date(), credits=(_github_person(p.author),),
                  links=(Link(label=f"#{p.number}", url=p.url),))
            for p in latest)
        all_merged = latest[0].url.rsplit("/pull/", 1)[0] + "/pulls?q=is%3Apr+is%3Amerged"
        entries.append(Entry(title=repo, text=text, children=children,
                             links=(Link(label="all merged pull requests", url=all_merged),)))
    return Section(name="merged_work", heading="Merged work", entries=tuple(entries))


def _conversations_section(activity: Activity, window: Window, limit: int) -> Section:
    """The liveliest GitHub issues and pull requests and forum topics, one line each with their numbers."""
    entries = []
    for thread in most_active([*activity.discussed, *activity.topics], window, limit=limit):
        forum = thread.platform == "discourse"
        numbers = [plural(thread.comments, "reply" if forum else "comment", "replies" if forum else None),
                   plural(thread.participants, "participant")]
        if thread.views:
            numbers.append(plural(thread.views, "view"))
        if thread.likes:
            numbers.append(plural(thread.likes, "like"))
        entries.append(Entry(title=thread.title, text=", ".join(numbers), links=(thread_link(thread),)))
    return Section(name="conversations", heading="Conversations to join", entries=tuple(entries),
                   intro="The busiest threads of the period on GitHub and the forum; jump in:")


@dataclass(frozen=True, slots=True)
class Built:
    sections: list[Section]
    topics: int
    decisions: int
    actions: int


def sections(chosen: Iterable[str], inputs: Inputs, releases: Section, budget: Budget) -> Built:
    """The chosen technical sections, in order; ``releases`` is built beforehand (its counts open every digest)."""
    chosen = tuple(chosen)
    built: list[Section] = []
    topics = decisions = actions = 0
    for name in chosen:
        if name == "releases":
            built.append(releases)
        elif name == "merged_work":
            built.append(_merged_work_section(inputs.activity, inputs.window, inputs.zone,
                                              inputs.limits.merged_per_repo))
        elif name == "conversations":
            built.append(_conversations_section(inputs.activity, inputs.window, inputs.limits.conversations))
        elif name == "activity_status":
            built.append(activity_status_section(inputs.activity, inputs.community.timezone))
        elif name == "agenda":
            section, topics, decisions, actions = meetings_section(inputs.held, inputs.directory, inputs.community,
                                                                   budget)
            built.append(section)
        elif name == "decisions" and "agenda" not in chosen:
            entries = _flat(inputs.held, "decisions", inputs.directory, inputs.community, budget)
            decisions = len(entries)
            built.append(Section(name="decisions", heading="Decisions", entries=entries))
        elif name == "action_items" and "agenda" not in chosen:
            entries = _flat(inputs.held, "action_items", inputs.directory, inputs.community, budget)
            actions = len(entries)
            built.append(Section(name="action_items", heading="Open action items", entries=entries))
    return Built(built, topics, decisions, actions)
