"""What every digest section shares: links back to the sources, month and day names, plural words (pure)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

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


def meeting_url(meeting: Meeting | None) -> str | None:
    """The published page of ``meeting`` at its heading: what every item of the meeting links to.

    The notes source names it (``published`` URL template, a forge's web view, an HTTP document); a local
    file with no published page has none, and the item then carries no link (never a file name or line).
    """
    if meeting is None:
        return None
    if meeting.source is not None and is_http(meeting.source.url):
        return meeting.source.url
    if is_http(meeting.document):
        return meeting.document.split("#", 1)[0] + (f"#{meeting.anchor}" if meeting.anchor else "")
    return None


def source_link(ref: SourceRef | None, meeting: Meeting | None, community: CommunityInfo,
                label: str = "notes") -> tuple[Link, ...]:
    """The link an item of ``meeting`` carries: its meeting's published page, or nothing.

    ``ref`` may be a chat message or another page with a URL of its own, which is kept.
    """
    if ref is not None and is_http(ref.url) and (meeting is None or not _same_document(ref, meeting)):
        return (Link(label=label, url=ref.url),)
    url = meeting_url(meeting)
    return (Link(label=label, url=url),) if url else ()


def _same_document(ref: SourceRef, meeting: Meeting) -> bool:
    return ref.document == meeting.document or ref.document in getattr(meeting, "documents", ())


def meeting_link(meeting: Meeting, community: CommunityInfo) -> tuple[Link, ...]:
    return source_link(None, meeting, community, label="notes")


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
# --- one clean line from a note -----------------------------------------------------------------

_OWNER_MARKUP = [
    re.compile(r"\\?\[(?:name|time|color)=[^\]\n]*\\?\]", re.IGNORECASE),  # HackMD [name=X], \[time=15 minutes\]
    re.compile(r"\s*\[[^\]\n]{1,40}?(?:\s*[-–]\s*)?\d+\s*(?:-\s*\d+\s*)?(?:m|mins?|minutes?)\??\]", re.IGNORECASE),
    re.compile(r"\s*\((?:[^()\n]{0,40}?,\s*)?~?\d+\s*(?:-\s*\d+\s*)?(?:m|mins?|minutes?)\.?\)", re.IGNORECASE),
    re.compile(r"\s*\([^()\n]{1,30}\+\?[^()\n]*\)"),
    re.compile(r"^\s*(?:late addition|fyi|update|new)\s*:\s*", re.IGNORECASE),
    re.compile(r"\s+\+\d+\s*$"),  # "+3": votes
]
_LEAD_OWNER = re.compile(
    r"^\s*(?:\*\*)?(?P<who>[A-Z][\w'.-]*(?:\s*(?:/|&|c/o|and)\s*[A-Z][\w'.-]*)*(?:\s+[A-Z][\w'.-]*)?)"
    r"\s*(?:\((?:[^()\n]*)\)|\d+\s*(?:-\s*\d+\s*)?(?:m|mins?|minutes?))?\s*:(?:\*\*)?\s+(?=\S)",
)
_LOWER_LEAD = re.compile(r"^\s*(?P<who>[a-z][\w.-]{1,20})\s*:\s+(?=\S)")
_TRAILING_BRACKET_NAME = re.compile(r"\s*\[(?P<who>[A-Z][\w.-]*(?:[\s/][A-Z][\w.-]*){0,2})\]\s*$")
_MD_LINK_TEXT = re.compile(r"\[([^\]\n]+)\]\((https?://[^)\s]+)\)")
_BARE_URL = re.compile(r"https?://\S+")
_LINK_OR_URL = re.compile(r"\[[^\]\n]*\]\([^)\s]*\)|https?://[^\s)\]]+")
_DOMAIN = re.compile(r"(?:https?://)?(?:www\.)?[\w-]+(?:\.[\w-]+)+(?:/\S*)?|[\w.-]+/[\w.-]+#\d+|#?\d+")
_PLACEHOLDER = re.compile(
    r"^(?:tbd|tba|todo|n/?a|none(?: this time)?|nothing|-+|\.\.\.|…|your (?:news|report|topic|name)\b.*|"
    r"topic|name|item|add (?:your|items?)\b.*|\(?estimated time\)?.*)$",
    re.IGNORECASE,
)
_CLAUSE = re.compile(r"(?<=\w)(?:[.;!?](?=\s)|\s[-–—]\s|:\s|,\s(?:and|but|so|because|which|since|as)\b|\s\((?=\w))")


_CODE_SPAN = re.compile(r"`[^`\n]*`")
_EMPHASIS_UNDERSCORE = re.compile(r"(?<!\w)__(?=\S)(.+?)(?<=\S)__(?!\w)")


def _outside_code(text: str, change: Callable[[str], str]) -> str:
    """``change`` applied to the parts of ``text`` outside inline code spans (code is kept as written)."""
    out, position = [], 0
    for match in _CODE_SPAN.finditer(text):
        out.append(change(text[position:match.start()]))
        out.append(match.group(0))
        position = match.end()
    out.append(change(text[position:]))
    return "".join(out)


def _plain_emphasis(text: str) -> str:
    text = re.sub(r"(\*\*|__)(.+?)\1", r"\2", text)
    text = re.sub(r"(?<![\w*])\*(?!\s)([^*\n]+?)(?<!\s)\*(?![\w*])", r"\1", text)
    return re.sub(r"(?<![\w_])_(?!\s)([^_\n]+?)(?<!\s)_(?![\w_])", r"\1", text)


def strip_markup(text: str) -> str:
    """A note's line without the owner and time markup around it: ``[name=X]``, ``[Priya/Lars - 5 mins?]``,
    ``(Mei +?, 10 min)``, ``Lars (5-10 min):``, ``**All:**``, ``LATE ADDITION: mei:``, ``\\[time=15 minutes\\]``,
    a trailing ``+3``; Markdown emphasis goes too (the text reads as plain words). Inline code is kept as it is."""
    text = _outside_code(" ".join(text.split()), lambda part: _EMPHASIS_UNDERSCORE.sub(r"\1", part.replace("**", "")))
    for pattern in _OWNER_MARKUP:
        text = pattern.sub(" ", text)
    text = " ".join(text.split()).replace(" :", ":")
    for _ in range(2):
        match = _LEAD_OWNER.match(text) or _LOWER_LEAD.match(text)
        if match and len(match.group("who")) <= 40 and len(text) - match.end() >= 3:
            text = text[match.end():]
    text = _TRAILING_BRACKET_NAME.sub("", text)
    text = _outside_code(text, _plain_emphasis)
    text = text.replace("\\[", "[").replace("\\]", "]")
    return " ".join(text.split()).strip(" -–—:;,")


_TEMPLATE_OWNER = re.compile(r"^(?:name|your ?name|you|first last|full name|\(?name\)?|xxx|tbd)$", re.IGNORECASE)


def is_template_owner(owner: str | None) -> bool:
    """Whether an item's owner is a template's blank ("NAME", "[name=yourname]"): the item is template text."""
    return bool(owner) and bool(_TEMPLATE_OWNER.match((owner or "").strip(" *:[]")))


def is_label_or_filler(text: str) -> bool:
    """Whether a cleaned line says nothing on its own: a heading word ending in ':' ("Action Items:",
    "Big bits of work:"), a placeholder ("TBD", "Your news here"), or only links ("[github.com](...)")."""
    bare = text.strip()
    if not bare:
        return True
    if bare.endswith(":") and len(bare.split()) <= 5:
        return True
    if _DOMAIN.fullmatch(bare.strip(" .!")):
        return True
    words = _BARE_URL.sub(" ", _MD_LINK_TEXT.sub(lambda m: " " if _DOMAIN.fullmatch(m.group(1).strip()) else m.group(1),
                                               bare))
    words = re.sub(r"\b(?:see|ref|link|links|here|issue|pr|and|,|&)\b", " ", words, flags=re.IGNORECASE)
    if not re.search(r"[A-Za-z]{2,}", words):
        return True
    return bool(_PLACEHOLDER.match(bare.strip(" .!:")))


def cut_at_clause(text: str, limit: int) -> str:
    """``text`` at most ``limit`` characters: cut at the last clause boundary (". ", "; ", " - ", ": ",
    ", and ...") that keeps at least a third of it, else at a word, with an ellipsis."""
    if len(text) <= limit:
        return text
    # Never inside a link or a URL: a cut there would break it (and an ellipsis would join its address).
    spans = [(m.start(), m.end()) for m in _LINK_OR_URL.finditer(text)]

    def inside(position: int) -> bool:
        return any(start < position < end for start, end in spans)

    best, end_of_sentence = -1, False
    for match in _CLAUSE.finditer(text):
        stop = match.group(0) in ("?", "!", ".")
        position = match.start() + (1 if stop else 0)
        if limit // 3 <= position <= limit and not inside(position):
            best, end_of_sentence = position, stop
    if best > 0:
        kept = text[:best]
        # A whole sentence ("... or wait for Fall?") needs no ellipsis, nor does a clause ending in a link.
        if end_of_sentence or any(end == best for _, end in spans):
            return kept.rstrip(" ,;:-–—")
        return kept.rstrip(" ,;:-–—") + "\u2026"
    cut = text[: limit - 1]
    if " " in cut[limit // 2:]:
        cut = cut[: cut.rfind(" ")]
    for start, end in spans:
        if start < len(cut) < end:
            cut = cut[:start]
    return cut.rstrip(" ,;:-–—") + " \u2026" if cut.rstrip().endswith(")") else cut.rstrip(" ,;:-–—") + "\u2026"


def topic_line(title: str, limit: int) -> str | None:
    """An agenda topic as one clean line, or None when it says nothing on its own (see ``is_label_or_filler``).
    URLs in the title become their link text or go (the item's links are shown beside it)."""
    if is_label_or_filler(" ".join(title.replace("**", "").split())):
        return None
    text = strip_markup(title)
    if is_label_or_filler(text):
        return None
    text = _MD_LINK_TEXT.sub(r"\1", text)
    text = _BARE_URL.sub("", text)
    text = re.sub(r"\s*[:(]\s*\)?\s*$", "", " ".join(text.split()))
    text = re.sub(r"\s+(?:ref(?:\s+issue)?|see|link)\s*$", "", text, flags=re.IGNORECASE).strip(" -–—:;,")
    if is_label_or_filler(text):
        return None
    return cut_at_clause(text, limit)
