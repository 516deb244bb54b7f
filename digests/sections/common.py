"""What every digest section shares: links back to the sources, month and day names, plural words (pure)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from digests.activity import Activity, Thread, status_line
from digests.digest import CommunityInfo, Entry, Link, Section
from digests.model import Meeting, SourceRef

__all__ = ["DAYS", "MONTHS", "activity_status_section", "issue_links", "meeting_link", "people_phrase", "plural",
           "source_link", "thread_link"]

_ISSUE = re.compile(r"^https?://github\.com/[\w.-]+/(?P<repo>[\w.-]+)/(?:issues|pull|discussions)/(?P<n>\d+)")

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def basename(document: str) -> str:
    return document.rstrip("/").rsplit("/", 1)[-1] or document


def is_http(text: str | None) -> bool:
    return bool(text) and bool(re.match(r"^https?://", text or "", re.IGNORECASE))


def source_link(ref: SourceRef | None, meeting: Meeting | None, community: CommunityInfo, label: str = "notes") -> Link:
    """A link to where an item came from; a plain label (document and line) when it has no public URL."""
    document = (ref.document if ref else "") or (meeting.document if meeting else "")
    anchor = (ref.anchor if ref else None) or (meeting.anchor if meeting else None)
    if ref is not None and is_http(ref.url):
        return Link(label=label, url=ref.url)
    if meeting is not None and meeting.source is not None and is_http(meeting.source.url) and ref is None:
        return Link(label=label, url=meeting.source.url)
    if is_http(document):
        return Link(label=label, url=document.split("#", 1)[0] + (f"#{anchor}" if anchor else ""))
    if document and community.notes_url:
        url = community.notes_url.rstrip("/") + "/" + basename(document) + (f"#{anchor}" if anchor else "")
        return Link(label=label, url=url)
    line = ref.line if ref and ref.line else None
    where = basename(document) if document else "notes"
    return Link(label=f"{where}" + (f", line {line}" if line else ""), url=None)


def meeting_link(meeting: Meeting, community: CommunityInfo) -> Link:
    return source_link(meeting.source, meeting, community, label="notes")


def issue_links(urls: Iterable[str]) -> list[Link]:
    links: list[Link] = []
    for url in urls:
        if not is_http(url):
            continue
        match = _ISSUE.match(url)
        host = re.sub(r"^https?://(?:www\.)?([^/?#]+).*$", r"\1", url, flags=re.IGNORECASE)
        label = f"{match.group('repo')}#{match.group('n')}" if match else host
        links.append(Link(label=label, url=url))
    return links


_MD_LINK = re.compile(r"\[([^\[\]]+)\]\((https?://[^\s()]+(?:\([^\s()]*\))?[^\s()]*)\)")


def markdown_links(markdown: str) -> list[Link]:
    """The ``[label](url)`` links of an item's Markdown form (notes contract v2), as links a digest shows."""
    if "](" not in markdown:
        return []
    return [Link(label=" ".join(label.split()), url=url) for label, url in _MD_LINK.findall(markdown)]


def plural(count: int, word: str, plural: str | None = None) -> str:
    if count == 1:
        return f"1 {word}"
    return f"{'no' if count == 0 else count} {plural or word + 's'}"


def people_phrase(count: int) -> str:
    return f"{count} {'person' if count == 1 else 'people'}"



def thread_link(thread: Thread) -> Link:
    """``org/repo#12`` for GitHub, the category's name for a forum topic."""
    if thread.platform == "github" and thread.number is not None:
        return Link(label=f"{thread.place}#{thread.number}", url=thread.url)
    return Link(label=f"forum: {thread.place}", url=thread.url)


def activity_status_section(activity: Activity, timezone: str) -> Section:
    """What the activity sections could not show: a source that failed or answered from its cache, what a
    search cap cut. Context, not news: it never makes a digest non-empty on its own."""
    entries = []
    for status in activity.statuses:
        line = status_line(status, timezone)
        if line is None and not status.notes:
            continue
        parts = ([line] if line else []) + list(status.notes)
        text = "; ".join(parts) if line else f"{status.source}: " + "; ".join(parts)
        entries.append(Entry(text=text))
    return Section(name="activity_status", heading="About this digest's activity data", entries=tuple(entries),
                   content=False, intro="Some project activity could not be shown in full:")
