"""The technical digest's sections: releases by project, merged work per repository, conversations to join,
decisions, agenda topics, open action items, and what activity data was missing."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from zoneinfo import ZoneInfo

from digests.activity import Activity, MergedPull, most_active
from digests.digest import CommunityInfo, Entry, Link, Person, Section
from digests.model import ActionItem, AgendaItem, Decision, Meeting, Release, Window
from digests.people import Directory, meeting_key
from digests.sections.common import (
    activity_status_section,
    issue_links,
    people_phrase,
    plural,
    source_link,
    thread_link,
)
from digests.sections.inputs import Inputs

__all__ = ["releases_section", "sections"]

def _release_key(release: Release) -> tuple[str, str]:
    return (re.sub(r"[-_.]+", "-", release.project.lower()), release.version.lower().lstrip("v"))


def releases_section(releases: Sequence[Release]) -> tuple[Section, int, int]:
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


def _statement_entries(meetings: Sequence[Meeting], pick: str, directory: Directory,
                       community: CommunityInfo) -> tuple[Entry, ...]:
    entries = []
    for meeting in meetings:
        statements: tuple[Decision | ActionItem, ...] = getattr(meeting, pick)
        for statement in statements:
            if isinstance(statement, ActionItem) and statement.done:
                continue  # "Open action items": a task marked done is not open
            owner = statement.owner if isinstance(statement, ActionItem) else None
            entries.append(Entry(
                text=statement.reads_alone, date=meeting.date,  # "Topic: decision", so it reads on its own
                people=(directory.person(owner, place=meeting_key(meeting)),) if owner else (),
                links=(source_link(statement.source, meeting, community),),
            ))
    return tuple(entries)


def _agenda_entries(meetings: Sequence[Meeting], directory: Directory, community: CommunityInfo) -> tuple[Entry, ...]:
    entries = []
    for meeting in meetings:
        item: AgendaItem
        for item in meeting.agenda:
            links = [source_link(item.source, meeting, community)]
            links += issue_links(u for u in item.links if u not in item.title)  # a URL in the title is a link already
            entries.append(Entry(
                text=item.title, date=meeting.date,
                people=(directory.person(item.owner, place=meeting_key(meeting)),) if item.owner else (),
                links=tuple(links),
            ))
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


def sections(chosen: Iterable[str], inputs: Inputs, releases: Section) -> list[Section]:
    """The chosen technical sections, in order; ``releases`` is built beforehand (its counts open every digest)."""
    built: list[Section] = []
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
        elif name == "decisions":
            built.append(Section(name="decisions", heading="Decisions",
                                 entries=_statement_entries(inputs.held, "decisions", inputs.directory,
                                                            inputs.community)))
        elif name == "agenda":
            built.append(Section(name="agenda", heading="Topics discussed",
                                 entries=_agenda_entries(inputs.held, inputs.directory, inputs.community)))
        elif name == "action_items":
            built.append(Section(name="action_items", heading="Open action items",
                                 entries=_statement_entries(inputs.held, "action_items", inputs.directory,
                                                            inputs.community)))
    return built
