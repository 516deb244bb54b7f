"""Assemble ``Meeting`` values from the block tree of one notes document.

A document holds one meeting (a monthly meeting page) or several (a yearly archive with one
``## YYYY-MM-DD`` section per meeting: every heading that is mostly a date, at the shallowest level
such headings use, starts a meeting that runs to the next heading of the same or a higher level).

Inside a meeting, headings are classified by ``SectionTable``; a heading that names no kind and is
deeper than the current section continues it (under an agenda it becomes, or adds discussion to,
an agenda item). A paragraph ending in a label ("Roll call:", "Action points:") gives the list
right after it a kind too.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import PurePosixPath

from digests.model import ActionItem, AgendaItem, Attendee, Celebration, Decision, Meeting, SourceRef, Update
from digests.notes import people as P
from digests.notes.blocks import Block, Document, Heading, Inline, Item, ListBlock, Para, Quote, Raw, Table
from digests.notes.dates import find_date, heading_date, short_date
from digests.notes.sections import SectionTable, normalize_heading
from digests.notes.statements import (
    action_in,
    assent_in,
    decision_in,
    is_action_label,
    is_decision_label,
    may_state,
    owner_of,
    task_in,
)

# Patterns compiled once (the compiled parser would otherwise look them up in re's cache on every call).
_FRONT_LINE = re.compile(r"^([A-Za-z_][\w\-]*)\s*:\s*(.*?)\s*$")
_WORDS = re.compile(r"[a-z]+")
_NUMBER = re.compile(r"\d+")
_BARE_NAME = re.compile(r"^\[?([^\]:(–—]+?)\]?\s*(?:\(|$)")

_SHORTCODE = re.compile(r":[a-z0-9_+\-]+:")
_PLACEHOLDER_WORDS = {
    "name", "names", "your", "github", "handle", "handles", "username", "user", "affiliation", "affiliations",
    "institution", "organization", "organisation", "org", "company", "pronouns", "role", "email", "update",
    "or", "pass", "and", "optional", "here", "add", "item", "items", "topic", "title", "description",
    "person", "e", "g", "eg", "link", "url", "tbd", "todo", "xx", "xxx", "x", "etc", "gh", "employer",
    "project", "projects", "time", "estimate", "minutes", "notes", "note", "yourself", "the", "a", "an",
}
_PLACEHOLDER_RE = re.compile(
    r"^(?:please\s+)?(?:add|insert|put|write|list|include|enter)\b(?:\s+\S+){0,6}?\s+(?:here|below|above)\b.*$|"
    r"^(?:\.\.\.|…|-|—|–|tbd|tba|n/?a|none|nothing|pass|no update)\.?$",
    re.IGNORECASE,
)
_PLACEHOLDER_START = re.compile(r"^(?:please|add|insert|put|write|list|include|enter|\.|…|-|—|–|tb|n/?a|none|nothing|pass|no)",
                                re.IGNORECASE)
_PLACEHOLDER_FIRST = frozenset("paiwletnPAIWLETN.-")
_WORDS = re.compile(r"[a-z]+")
_DATE_LINE = re.compile(r"^(?:meeting\s+)?(?:date|when|day)\s*(?:\(.*?\))?\s*[:\-–—]\s*(?P<rest>.+)$", re.IGNORECASE)
_LABEL_TAIL = re.compile(r"(?:^|[.!?]\s+|\n)(?P<label>[^.!?\n]{1,60}?)\s*:\s*$")
_INLINE_LABEL = re.compile(r"^([A-Za-z][\w ,\-]{0,30}?)\s*:\s+\S")
_ENUMERATION = re.compile(r"^(?:\d{1,2}[.)]|[a-z][.)]|#\d{1,2}:?)\s+")
_LIST_SEP = re.compile(r"\s*(?:,|;|\band\b|&)\s*")
_TITLE_WORD = re.compile(r"[a-z0-9]+")
_PASS_RE = re.compile(r"^(?:pass(?:ed)?|no update|nothing(?: new)?|n/?a|-|—)\.?!?$", re.IGNORECASE)


_NOT_SLUG = re.compile(r"[^\w\- ]")


def slugify(text: str) -> str:
    """GitHub-style heading anchor: lower case, punctuation dropped, spaces to hyphens."""
    text = _SHORTCODE.sub("", text).strip().lower()
    text = _NOT_SLUG.sub("", text)
    return text.replace(" ", "-")


# Built-in knowledge of the stand-ins templates use, for a document read alone (a source's own template is
# learnt from its documents, see digests.notes.template).
_TEMPLATE_TEXT = re.compile(
    r"^(?:none|nothing|n/?a)(?:\s+(?:this|that|for\s+now)(?:\s+(?:time|week|month|meeting))?)?[.!]?$|"
    r"\byour\s+(?:news|report|update|shout[- ]?out|topic|item|question|idea|text|comment|celebration|thanks)s?\b"
    r"(?:\s+(?:here|goes\s+here))?|\bgoes\s+here\b|\bwhat\s+you\s+(?:want|would\s+like)\s+to\s+(?:share|discuss|say|add)\b|"
    r"^\(?(?:estimated\s+)?(?:time|duration)\)?\s*:?\s*(?:topic|subject|title)\.?$|^(?:topic|subject|title|description)\.?$",
    re.IGNORECASE,
)
_TEMPLATE_HINTS = ("none", "nothing", "n/a", "your", "here", "what you", "topic", "subject", "title", "description")


def is_placeholder(text: str) -> bool:
    """Template text left in place: "add item here", "name: update or pass", "_Name / GitHub handle / affiliation_",
    "Your news here!", "None this time"."""
    t = text.strip(" *_`")
    if not t:
        return True
    if len(t) > 90:  # template lines are short
        return False
    low_t = t.lower()
    if any(h in low_t for h in _TEMPLATE_HINTS) and _TEMPLATE_TEXT.search(t):
        return True
    if ("/" in t or "|" in t) and "name" in low_t and P.column_order(t) is not None:
        return True  # "Name / GitHub handle / affiliation": a roll call's column header
    lead = t[0]
    # _PLACEHOLDER_START can only match from these first characters (an ASCII one in any case; a
    # non-ASCII one may have case forms the regex knows, so it is left to the regex).
    start = _PLACEHOLDER_START.match(t) if lead in _PLACEHOLDER_FIRST or not lead.isascii() else None
    if start and _PLACEHOLDER_RE.match(t):
        return True
    low = t.lower()
    first = _WORDS.search(low)
    if first is None or first.group(0) not in _PLACEHOLDER_WORDS:
        return first is None and not any(ch.isdigit() for ch in t) and not t.strip(".…-—– ")
    words = _WORDS.findall(low)
    return bool(words) and all(w in _PLACEHOLDER_WORDS for w in words) and not any(ch.isdigit() for ch in t)


def _front_matter(text: str | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in (text or "").splitlines():
        m = _FRONT_LINE.match(line)
        if m:
            out[m.group(1).lower()] = m.group(2).strip("'\"")
    return out


@dataclass(slots=True)
class _Ctx:
    kind: str | None
    anchor: str | None
    sub: Heading | None = None  # an agenda sub-heading the block sits under
    sub_anchor: str | None = None
    label: str | None = None  # kind given by a "Roll call:" style label just before a list
    person: str | None = None  # "### Chris" above the section: who wrote (or owns) the items below
    topic: str | None = None  # the agenda item or heading the block sits under
    boxes_are_topics: bool = False  # task boxes here are an agenda's bullets, not tasks


@dataclass
class _Build:
    """What one meeting accumulates while its blocks are read."""

    attendees: list[Attendee] = field(default_factory=list)
    newcomers: list[str] = field(default_factory=list)
    celebrations: list[Celebration] = field(default_factory=list)
    updates: list[Update] = field(default_factory=list)
    agenda: list[AgendaItem] = field(default_factory=list)
    fragment_items: dict[str, int] = field(default_factory=dict)  # "#anchor" linked from an agenda item
    list_items: list[int] = field(default_factory=list)  # agenda items that came from list items
    title_words: dict[str, list[int]] = field(default_factory=dict)  # word -> list items whose title has it
    heading_items: dict[int, int] = field(default_factory=dict)  # id(sub-heading) -> agenda item
    # agenda item -> (discussion, links) from the notes under its sub-heading
    more_discussion: dict[int, tuple[list[str], dict[str, None]]] = field(default_factory=dict)
    decisions: list[Decision] = field(default_factory=list)
    actions: list[ActionItem] = field(default_factory=list)
    links: dict[str, None] = field(default_factory=dict)
    known: set[str] = field(default_factory=set)
    seen_statements: set[tuple[str, str]] = field(default_factory=set)
    last_para: str = ""  # the agenda's last paragraph, for the topic of the next one


_ItemMaker = Callable[[Inline, Block, _Ctx, _Build], None]


class Assembler:
    """Builds the meetings of one parsed document (see the module docstring)."""

    def __init__(self, doc: Document, table: SectionTable, document: str, url: str | None,
                 template: frozenset[str] = frozenset()) -> None:
        self.doc = doc
        self.table = table
        self.document = document
        self.url = url
        self.anchors: dict[int, str] = {}
        self._plain: dict[tuple[str | None, str | None, bool], _Ctx] = {}
        self.template: frozenset[str] = template
        counts: dict[str, int] = {}
        for block in doc.blocks:
            if isinstance(block, Heading):
                slug = slugify(block.inline.flat)
                n = counts.get(slug, 0)
                counts[slug] = n + 1
                self.anchors[id(block)] = slug if n == 0 else f"{slug}-{n}"
        self.front = _front_matter(doc.front_matter)

    def _plain_ctx(self, anchor: str | None, topic: str | None = None, boxes_are_topics: bool = False) -> _Ctx:
        """The context of notes nested under an item: no section kind, the item's anchor and topic.
        Contexts are never changed once made, so one per (anchor, topic) serves every nested block."""
        key = (anchor, topic, boxes_are_topics)
        ctx = self._plain.get(key)
        if ctx is None:
            ctx = self._plain[key] = _Ctx(None, anchor, topic=topic, boxes_are_topics=boxes_are_topics)
        return ctx

    # --- references -----------------------------------------------------------------------------

    def ref(self, block: Block, anchor: str | None) -> SourceRef:
        url = None
        if self.url:
            url = f"{self.url}#{anchor}" if anchor else self.url
        return SourceRef(document=self.document, anchor=anchor, line=self.doc.line_of(block.start), url=url)

    # --- meetings -------------------------------------------------------------------------------

    def meetings(self) -> list[Meeting]:
        out = self._meetings()
        if len(out) == 1 and out[0].date is not None:
            out[0] = self._date_sanity(out[0])
        return out

    def _date_sanity(self, meeting: Meeting) -> Meeting:
        """When the file name, the title and a "Date:" line name different days, the most specific wins
        (a "Date:" line, then front matter, then the title, then the file name) and the meeting says so once."""
        found: list[tuple[str, dt.date]] = []
        for block in self.doc.blocks:
            for inline in _unit_inlines(block, depth=1):
                m = _DATE_LINE.match(inline.flat) if inline.flat[:12].lower().lstrip("*_ ").startswith(
                    ("date", "meeting", "when", "day")) else None
                if m:
                    day = find_date(m.group("rest"))
                    if day:
                        found.append(("the Date: line", day[0]))
                        break
            if found:
                break
        front = find_date(self.front.get("date", "")) if "date" in self.front else None
        if front:
            found.append(("front matter", front[0]))
        title = self._doc_title() or meeting.title or ""
        titled = find_date(title) or short_date(title)
        if titled:
            found.append(("the title", titled[0]))
        named = find_date(PurePosixPath(self.document.split("?")[0]).name, compact=True)
        if named:
            found.append(("the file name", named[0]))
        days = {day for _, day in found}
        if len(days) <= 1:
            return meeting
        label, day = found[0]
        candidates = ", ".join(f"{where} {when.isoformat()}" for where, when in found)
        warning = f"{self.document}: dates disagree ({candidates}); using {day.isoformat()} from {label}"
        return meeting.model_copy(update={"date": day, "warnings": (*meeting.warnings, warning)})

    def _meetings(self) -> list[Meeting]:
        blocks = self.doc.blocks
        dated = [(i, b, d) for i, b in enumerate(blocks) if isinstance(b, Heading)
                 for d in [heading_date(b.inline.flat)] if d is not None]
        doc_title = self._doc_title()
        if not dated:
            if not blocks and not self.front:
                return []
            bold_dates = [(i, d) for i, b in enumerate(blocks) if isinstance(b, Para) and _is_bold_line(b)
                          for d in [heading_date(b.inline.flat)] if d is not None]
            if len(bold_dates) >= 2:  # an archive written with "**2024-01-09**" lines instead of headings
                out = []
                for n, (i, date) in enumerate(bold_dates):
                    end = bold_dates[n + 1][0] if n + 1 < len(bold_dates) else len(blocks)
                    para = blocks[i]
                    assert isinstance(para, Para)
                    out.append(self._meeting(blocks[i + 1:end], None, date, 0, doc_title or para.inline.flat,
                                             start=para))
                return out
            return [self._meeting(blocks, None, None, 0, doc_title)]
        level = min(b.level for _, b, _ in dated if isinstance(b, Heading))
        starts = [(i, b, d) for i, b, d in dated if isinstance(b, Heading) and b.level == level]
        if len(starts) == 1:
            # One dated heading below other structure ("### Release 2024-06-01 plan" inside an
            # agenda) is a topic, not the start of the only meeting.
            first = starts[0][0]
            if any(isinstance(b, Heading) and 1 < b.level <= level for b in blocks[:first]):
                return [self._meeting(blocks, None, None, 0, doc_title)]
        out = []
        for n, (i, heading, date) in enumerate(starts):
            end = len(blocks)
            for j in range(i + 1, len(blocks)):
                b = blocks[j]
                if isinstance(b, Heading) and b.level <= level:
                    if (b.level == level and b.level > 1 and (n + 1 == len(starts) or j < starts[n + 1][0])
                            and self.table.classify(b.inline.flat) is not None):
                        continue  # "## Agenda" right under "## 2024-01-09": the meeting's sections, written flat
                    end = j
                    break
            assert isinstance(heading, Heading)
            text = heading.inline.flat
            found = find_date(text) or short_date(text)
            extra = (text[: found[1]] + text[found[2]:]).strip(" -–—:|,") if found else text
            title = text if extra or not doc_title else doc_title
            out.append(self._meeting(blocks[i + 1:end], heading, date, level, title))
        first = starts[0][0]
        if out and first > 0 and not any(isinstance(b, Heading) for b in blocks[:first]):
            # links in a banner above the title belong to the (first) meeting
            banner = [u for b in blocks[:first] for u in _block_links(b)]
            if banner:
                out[0] = out[0].model_copy(update={"links": tuple(dict.fromkeys((*banner, *out[0].links)))})
        return out

    def _doc_title(self) -> str | None:
        for block in self.doc.blocks:
            if isinstance(block, Heading) and block.level == 1:
                return _SHORTCODE.sub("", block.inline.flat).strip() or None
        title = self.front.get("title")
        if title:
            return title
        for block in self.doc.blocks[:1]:  # a bold first line standing in for a title
            if isinstance(block, Para) and block.inline.strong_lead is not None:
                lead = " ".join(block.inline.strong_lead.split())
                if lead == block.inline.flat or lead == block.inline.lines[0]:
                    return lead.strip(" *:") or None
        return None

    def _meeting(self, span: list[Block], heading: Heading | None, date: dt.date | None, level: int,
                 title: str | None, *, start: Block | None = None) -> Meeting:
        b = _Build()
        anchor = self.anchors.get(id(heading)) if heading is not None else None
        entries = list(self._assign(span, level, heading is not None))
        if heading is not None:  # the meeting's own heading comes first in the text
            for url in heading.inline.links:
                b.links.setdefault(url, None)
        for block in span:
            for url in _block_links(block):
                b.links.setdefault(url, None)
        # People first: they make "Kirstie: ..." leads and "Erik to ..." actions recognisable.
        for block, ctx in entries:
            kind = ctx.label or ctx.kind
            if kind == "attendees":
                self._attendees(block, ctx, b)
        for block, ctx in entries:
            kind = ctx.label or ctx.kind
            if kind == "newcomers":
                self._newcomers(block, ctx, b)
        for block, ctx in entries:
            kind = ctx.label or ctx.kind
            if kind in ("attendees", "newcomers"):
                continue
            if kind == "agenda" and not ctx.boxes_are_topics:
                ctx = replace(ctx, boxes_are_topics=True)
            if block.aside:
                self._scan(block, ctx, b)
                continue
            if kind == "updates":
                self._items(block, ctx, b, self._update)
            elif kind == "celebrations":
                self._items(block, ctx, b, self._celebration)
            elif kind == "agenda":
                self._agenda(block, ctx, b)
            elif kind == "decisions":
                self._statements(block, ctx, b, decision=True)
            elif kind == "action_items":
                self._statements(block, ctx, b, decision=False)
            else:
                self._scan(block, ctx, b)
        for index, (discussion, links) in b.more_discussion.items():
            item = b.agenda[index]
            b.agenda[index] = item.model_copy(update={
                "discussion": item.discussion + tuple(discussion),
                "links": tuple(dict.fromkeys(item.links + tuple(links))),
            })
        if date is None:
            date = self._single_date(span)
        if title is None:
            title = self.front.get("title") or PurePosixPath(self.document).stem or None
        if heading is not None:
            source = self.ref(heading, anchor)
        elif start is not None:
            source = self.ref(start, None)
        else:
            source = SourceRef(document=self.document, line=1, url=self.url)
        cancelled = not b.attendees and not b.agenda and _says_cancelled(span)
        return Meeting(
            date=date, title=title, document=self.document, anchor=anchor, cancelled=cancelled,
            attendees=tuple(_dedupe_attendees(b.attendees)), newcomers=tuple(dict.fromkeys(b.newcomers)),
            celebrations=tuple(b.celebrations), updates=tuple(b.updates), agenda=tuple(b.agenda),
            decisions=tuple(b.decisions), action_items=tuple(b.actions), links=tuple(b.links), source=source,
        )

    def _single_date(self, span: list[Block]) -> dt.date | None:
        for block in span:
            for inline in _unit_inlines(block, depth=1):
                m = _DATE_LINE.match(inline.flat)
                if m:
                    found = find_date(m.group("rest"))
                    if found:
                        return found[0]
        for key in ("date", "meeting_date", "day"):
            if key in self.front:
                found = find_date(self.front[key])
                if found:
                    return found[0]
        for block in span:
            if isinstance(block, Heading):
                found = find_date(block.inline.flat)
                if found:
                    return found[0]
        found = find_date(self.front.get("title", ""))
        if found:
            return found[0]
        for block in span[:4]:  # a title line such as "**Minutes – Steering Council – 12 March 2024**"
            if isinstance(block, Para) and len(block.inline.flat) <= 120:
                found = find_date(block.inline.flat)
                if found:
                    return found[0]
        found = find_date(PurePosixPath(self.document.split("?")[0]).name, compact=True)
        return found[0] if found else None

    # --- section assignment -----------------------------------------------------------------------

    def _assign(self, span: list[Block], level: int, dated: bool) -> Iterator[tuple[Block, _Ctx]]:
        """Give every block of a meeting the section it belongs to.

        Sections nest by heading level: a heading closes every open section at its level or deeper.
        A heading that names no kind continues the enclosing section; under an agenda it starts an
        agenda item (and the headings below it belong to that item). Sections are also told by what
        they hold: a heading that names no kind, in a meeting of an archive (``dated``) or under a
        "Notes" heading, is a topic; a name heading over section headings ("### Rosa Lind" then
        "#### Kudos") gives its sections an owner; a table of names and handles is a roll call; and
        in a dated meeting without an agenda section, the lists outside any section are its topics.
        """
        stack: list[tuple[str | None, int, str | None]] = []  # (kind, level, anchor)
        sub: Heading | None = None
        sub_level = 0
        sub_anchor: str | None = None
        anchor: str | None = None
        pending_label: str | None = None
        person: tuple[str, int] | None = None
        has_agenda = dated and self._has_agenda(span)
        for n, block in enumerate(span):
            if isinstance(block, Heading):
                pending_label = None
                lvl = block.level
                if person is not None and person[1] >= lvl:
                    person = None
                anchor = self.anchors.get(id(block))
                while stack and stack[-1][1] >= lvl:
                    stack.pop()
                if sub is not None and sub_level >= lvl:
                    sub = None
                top = stack[-1][0] if stack else None
                flat = block.inline.flat
                found = self.table.classify(flat)
                generic = _generic_heading(flat)
                if generic == "skip":
                    stack.append(("skip", lvl, anchor))
                    sub = None
                    continue
                if top == "skip":
                    continue
                if top == "agenda" and found is not None and found not in ("decisions", "action_items") \
                        and not _names_section(flat, found, self.table):
                    found = None  # "Quick intros round", "Team check-in on the sprint": topics that hold a section word
                if top == "agenda" and sub is not None and lvl > sub_level and found is None:
                    continue  # a heading inside an agenda item's notes
                if top == "agenda" and generic == "notes":
                    sub = None  # "### Notes" under the agenda: its items are topics, it is not one
                    continue
                if found is not None and not (top == "agenda" and found == "agenda"):
                    stack.append((found, lvl, anchor))
                    sub = None
                elif top == "agenda":
                    sub, sub_level, sub_anchor = block, lvl, anchor
                    yield block, _Ctx("agenda", anchor, sub, sub_anchor, person=person[0] if person else None)
                elif top is None and generic == "notes":
                    stack.append(("notes", lvl, anchor))
                elif top is None and self._person_heading(block, span, n):
                    person = (P.clean_name(_SHORTCODE.sub("", flat)), lvl)
                    stack.append((None, lvl, anchor))
                elif (top is None or top == "notes") and (dated or top == "notes") and lvl > 1 \
                        and heading_date(flat) is None:
                    stack.append(("agenda", lvl - 1, anchor))  # a topic written as a heading
                    sub, sub_level, sub_anchor = block, lvl, anchor
                    yield block, _Ctx("agenda", anchor, sub, sub_anchor, person=person[0] if person else None)
                elif top is None or top == "notes":
                    stack.append((None, lvl, anchor))
                elif top in ("updates", "celebrations"):
                    name = P.clean_name(_SHORTCODE.sub("", flat))
                    if P._is_name_like(name, max_words=3):
                        person = (name, lvl)
                continue
            kind = stack[-1][0] if stack else None
            if kind == "skip":
                continue
            label = None
            if isinstance(block, ListBlock) and pending_label:
                label = pending_label
            pending_label = None
            if isinstance(block, Para) and not block.inline.all_emphasis:
                pending_label = self._label_kind(block.inline)
                lm = _INLINE_LABEL.match(block.inline.flat)
                if pending_label is None and lm and self.table.classify(lm.group(1)) == "attendees":
                    label = "attendees"  # "Attendees: Ana, Bo, Carol"
            elif isinstance(block, Table) and kind != "agenda" and _roll_table(block):
                label = "attendees"  # a table of names and handles, with or without a roll-call heading
            if kind == "notes":
                kind = "agenda" if isinstance(block, ListBlock) else None
            elif (kind is None and label is None and dated and not has_agenda and isinstance(block, ListBlock)
                  and not stack):
                kind = "agenda"  # topics straight under the meeting's dated heading
            who = person[0] if person is not None and kind in ("updates", "celebrations", "agenda") else None
            yield block, _Ctx(kind, anchor, sub if kind == "agenda" else None, sub_anchor, label, who)

    def _has_agenda(self, span: list[Block]) -> bool:
        for block in span:
            if isinstance(block, Heading):
                if self.table.classify(block.inline.flat) == "agenda":
                    return True
            elif isinstance(block, Para) and self._label_kind(block.inline) == "agenda":
                return True
        return False

    def _person_heading(self, block: Heading, span: list[Block], n: int) -> bool:
        """"### Rosa Lind" right above "#### Kudos ...": a per-person block whose sections that person owns."""
        name = P.clean_name(_SHORTCODE.sub("", block.inline.flat))
        if not P._is_name_like(name, max_words=3) or any(w[:1].islower() for w in name.split()):
            return False
        nxt = span[n + 1] if n + 1 < len(span) else None
        return (isinstance(nxt, Heading) and nxt.level > block.level
                and self.table.classify(nxt.inline.flat) is not None)

    def _label_kind(self, inline: Inline) -> str | None:
        text = inline.text.strip()
        m = _LABEL_TAIL.search(text) if text[-1:] == ":" else None  # the label ends the (stripped) text
        if m:
            return self.table.classify(m.group("label").strip(" *_"))
        if len(text.split()) <= 3 and "\n" not in text and ":" not in text and "," not in text:
            # a bare "Agenda" line before its list (not "Some side topics": the line must be the label)
            found = self.table.classify(text)
            return found if found is not None and _names_section(text, found, self.table) else None
        if inline.strong_lead is not None and inline.strong_lead.strip() == inline.flat.strip(" *"):
            return self.table.classify(inline.flat)
        return None

    # --- attendees and newcomers -----------------------------------------------------------------

    def _attendees(self, block: Block, ctx: _Ctx, b: _Build) -> None:
        rows: list[tuple[P.Row, Block]] = []
        if isinstance(block, ListBlock):
            columns: list[str] | None = None
            live: list[Item] = []
            for item in block.items:
                if item.inline is None:
                    continue
                for line in _line_inlines(item.inline):  # a row written on the next line without a bullet
                    cols = P.column_order(line.flat.strip(" _*"))
                    if cols is not None:
                        columns = cols
                        continue
                    if is_placeholder(line.flat):
                        continue
                    live.append(item if line is item.inline else Item(item.start, inline=line))
            handle_col = _handle_column(live) if columns is None else None
            for item in live:
                assert item.inline is not None
                flat = item.inline.flat
                lm = _INLINE_LABEL.match(flat) if ":" in flat[:32] else None
                if lm and "/" not in lm.group(1):
                    if self.table.classify(lm.group(1)) == "attendees":  # "- People: Josh, Niko"
                        rows.extend((row, item) for row in self._people_list(flat, item.inline.links))
                        continue
                    if not P._is_name_like(lm.group(1)):  # "- Minutes, driver: Josh", "- Regrets: Dan"
                        continue
                row = P.parse_row(item.inline, columns, handle_col)
                if row is not None:
                    rows.append((row, item))
        elif isinstance(block, Para) and not block.inline.all_emphasis:
            columns = None
            for line in block.inline.lines:
                cols = P.column_order(line.strip(" _*"))
                if cols is not None:
                    columns = cols
                    continue
                if is_placeholder(line) or line.endswith(":"):
                    continue
                lm = _INLINE_LABEL.match(line)
                if lm and self.table.classify(lm.group(1)) == "attendees":
                    # "Present: Alice Smith (@alice), Bob Jones, Carol" is a list of people
                    rows.extend((row, block) for row in self._people_list(line, block.inline.links))
                    continue
                if lm:  # "Apologies: Dan", "Note taker: Min"
                    continue
                if not (("/" in line or "@" in line or "|" in line) or len(line.split()) <= 3):
                    continue
                parts = [p.strip() for p in line.split(",")] if "/" not in line else [line]
                if len(parts) >= 2 and all(P._is_name_like(p, max_words=3) for p in parts):
                    for p in parts:
                        rows.append((P.Row(p, None, None), block))
                    continue
                row = P.parse_row(Inline(line, [u for u in block.inline.links if u in line]), columns, None)
                if row is not None and (row.handle or row.affiliation or P._is_name_like(row.name or "")):
                    rows.append((row, block))
        elif isinstance(block, Table) and block.rows:
            header = [P.column_order(f"name / {c.flat}") for c in block.rows[0]]
            tcols: list[str | None] = [h[1] if h and len(h) == 2 else None for h in header]
            for cells in block.rows[1:]:
                name = handle = aff = None
                for c, cell in zip(tcols, cells):
                    v = cell.flat.strip()
                    if not v or v.lower() in P._EMPTY_FIELD:
                        continue
                    if c == "handle" or (c is None and v.startswith("@")):
                        hm = P.HANDLE_RE.search(v)
                        handle = (hm.group(1) if hm else
                                  next((h for h in map(P.github_handle, cell.links) if h), v.lstrip("@"))).lower()
                    elif c == "affiliation":
                        aff = v
                    elif c == "name" or name is None:
                        name = v
                if name or handle:
                    rows.append((P.Row(name, handle, aff), block))
        elif isinstance(block, Quote):
            for inner in block.blocks:
                self._attendees(inner, ctx, b)
        for row, src in rows:
            b.attendees.append(Attendee(name=row.name, handle=row.handle, affiliation=row.affiliation,
                                        pronouns=row.pronouns, source=self.ref(src, ctx.anchor)))
            b.known |= P.known_forms(row.name, row.handle)

    @staticmethod
    def _people_list(line: str, links: list[str]) -> list[P.Row]:
        """The people after a label: "Present: Alice Smith (@alice), Bob Jones and Carol"."""
        rows = []
        for part in _LIST_SEP.split(line[line.index(":") + 1:]):
            part = part.strip(" .")
            if not part or len(part.split()) > 6:
                continue
            row = P.parse_row(Inline(part, [u for u in links if u in part]), None, None)
            if row is not None and (row.handle or P._is_name_like(row.name or "")):
                rows.append(row)
        return rows

    def _newcomers(self, block: Block, ctx: _Ctx, b: _Build) -> None:
        inlines: list[Inline] = []
        if isinstance(block, ListBlock):
            inlines = [it.inline for it in block.items if it.inline is not None]
        elif isinstance(block, Para) and not block.inline.all_emphasis:
            inlines = [block.inline] if block.inline.strong_lead or "[name=" in block.inline.flat else []
        for inline in [line for whole in inlines for line in _line_inlines(whole)]:
            if inline.all_emphasis or is_placeholder(inline.flat) or _NOT_NEW.search(inline.flat):
                continue
            name = _newcomer_name(inline)
            if name and not P.is_placeholder_name(name):
                b.newcomers.append(name)
                b.known |= P.known_forms(name)
        self._scan(block, ctx, b)

    # --- items ---------------------------------------------------------------------------------------

    def _items(self, block: Block, ctx: _Ctx, b: _Build, make: _ItemMaker) -> None:
        if isinstance(block, ListBlock):
            for item in block.items:
                if item.inline is None or is_placeholder(item.inline.flat):
                    self._scan_item_children(item, ctx, b)
                    continue
                make(item.inline, item, ctx, b)
        elif isinstance(block, Para) and not block.inline.all_emphasis:
            lead = P.split_lead(block.inline, b.known)
            if lead.person and not is_placeholder(block.inline.flat):
                make(block.inline, block, ctx, b)
            else:
                self._scan(block, ctx, b)
        elif isinstance(block, Quote):
            for inner in block.blocks:
                self._items(inner, ctx, b, make)
        else:
            self._scan(block, ctx, b)

    def _item_parts(self, inline: Inline, src: Block, ctx: _Ctx, b: _Build) -> tuple[str | None, str, str, list[Inline]] | None:
        """(by, text, markdown, children) of an update or celebration item; None for template text."""
        lead = P.split_lead(inline, b.known, any_name=True)
        person = lead.person
        if person is not None and P.is_placeholder_name(person):
            return None
        rest = lead.rest if person else inline.flat
        children = _child_inlines(src) if isinstance(src, Item) else []
        if person is None:
            added = _ADDED_BY.search(rest)
            if added:
                person, rest = P.clean_name(added.group("who")), rest[: added.start()].rstrip(" -–—")
            elif (" by " in rest or " from " in rest) and _UPDATE_BY.search(rest) and \
                    re.search(r"\b(?:update|report|news|presentation|demo|announcement|summary)s?\s+(?:by|from)\s", rest,
                              re.IGNORECASE):
                m = _UPDATE_BY.search(rest)
                assert m is not None
                person = P.clean_name(m.group("who"))  # "Infra budget update by Kofi": who gives it
            elif children and _NAME_ONLY.match(rest) and P._is_name_like(rest.strip(" :*")):
                person, rest = P.clean_name(rest.strip(" :*")), ""  # "- Gil" over his sub-bullets
            elif ctx.person:
                person = ctx.person
        # sub-bullets that give someone a task or state a decision are read as such, not as the item's text
        kept = [c for c in children if not self._is_statement(c.flat, b)]
        text = _join(rest, kept)
        if not text or _PASS_RE.match(rest.strip()) and not kept or is_placeholder(text) \
                or is_placeholder(rest) and not kept:
            return None
        markdown = _join(_markdown_of(inline, rest), [Inline(_markdown_of(c, c.flat), []) for c in kept])
        if person:
            b.known |= P.known_forms(person)
        return person, text, markdown if markdown != text else "", kept

    def _is_statement(self, text: str, b: _Build) -> bool:
        if not may_state(text):
            return False
        return decision_in(text) is not None or action_in(text, b.known) is not None or task_in(text, b.known) is not None

    def _update(self, inline: Inline, src: Block, ctx: _Ctx, b: _Build) -> None:
        parts = self._item_parts(inline, src, ctx, b)
        if parts is None:
            return
        by, text, markdown, _ = parts
        b.updates.append(Update(by=by, text=text, markdown=markdown, source=self.ref(src, ctx.anchor)))
        if isinstance(src, Item):
            self._scan_item_children(src, ctx, b, topic=_topic(text.split(" — ")[0]))

    def _celebration(self, inline: Inline, src: Block, ctx: _Ctx, b: _Build) -> None:
        parts = self._item_parts(inline, src, ctx, b)
        if parts is None:
            return
        by, text, markdown, kept = parts
        rest = text.split(" — ")[0] if kept else text
        body = Inline(rest, inline.links, link_texts=inline.link_texts)
        people = P.thanked_people([body, *kept], b.known, exclude=None)
        welcome = _WELCOME.search(rest)
        if welcome:
            for name in P.thanked_people([Inline(welcome.group(0), [])], b.known):
                b.newcomers.append(name)
        b.celebrations.append(Celebration(text=text, by=by, people=tuple(people), markdown=markdown,
                                          source=self.ref(src, ctx.anchor)))
        if isinstance(src, Item):
            self._scan_item_children(src, ctx, b, topic=_topic(rest))

    def _agenda(self, block: Block, ctx: _Ctx, b: _Build) -> None:
        if isinstance(block, Heading):  # a sub-heading under the agenda: attach or add
            self._agenda_for_heading(block, ctx, b)
            return
        if ctx.sub is not None:
            target = self._agenda_for_heading(ctx.sub, ctx, b)
            # Collected here and added to the item once, when the meeting is complete.
            more = b.more_discussion.setdefault(target, ([], {}))
            more[0].extend(x.flat for x in _unit_inlines(block, depth=99) if x.flat and not x.all_emphasis)
            for url in _block_links(block):
                more[1].setdefault(url, None)
            self._scan_topic(block, self._topic_ctx(ctx, b.agenda[target].title), b)
            return
        if isinstance(block, ListBlock):
            for item in block.items:
                self._agenda_item(item, ctx, b, ctx.person)
        elif isinstance(block, Table) and len(block.rows) > 1:
            self._agenda_table(block, ctx, b)
        elif isinstance(block, Para) and ctx.topic is None and b.agenda:
            # a paragraph after the agenda's items ("Conclusion was that ...") is about the item it names
            words = _title_words(b.last_para + " " + block.inline.flat)
            best, best_shared = None, 1
            for item in b.agenda:
                shared = sum(1 for w in words & _title_words(item.title) if len(w) >= 4)
                if shared > best_shared:
                    best, best_shared = item.title, shared
            b.last_para = block.inline.flat
            self._scan(block, self._topic_ctx(ctx, best), b)
        else:
            self._scan(block, ctx, b)

    def _agenda_item(self, item: Item, ctx: _Ctx, b: _Build, person: str | None) -> None:
        if item.inline is None or is_placeholder(item.inline.flat):
            self._scan_item_children(item, ctx, b)
            return
        head, pseudo = split_pseudo_bullets(item.inline)
        lead = P.split_lead(head, b.known)
        if lead.person is not None and P.is_placeholder_name(lead.person):
            return  # "[name=Name] (estimated time): Topic."
        title, owner, minutes = lead.rest, lead.person, lead.minutes
        if owner is None:
            o_title, o_owner, o_minutes = P.agenda_owner(title, b.known)
            if o_owner is not None and P.is_placeholder_name(o_owner):
                return
            if o_owner is not None:
                title, owner, minutes = o_title, o_owner, minutes or o_minutes
        if _LOGISTICS.match(title):
            return  # "Next call: Tue, March 28", "Zoom: ...": about the meeting, not a topic
        if owner is None or minutes is None:
            t_title, t_owner, t_minutes = P.trailing_owner(title)
            if t_minutes is not None and (owner is None or t_owner is None or t_owner == owner):
                title, owner, minutes = t_title, owner or t_owner, minutes or t_minutes
        if owner is None and minutes is None:
            # "**Release 2.0** (Min, 10 min): details" - the owner follows a bold title
            title, owner, minutes = P.inner_owner(title, b.known)
        if owner is None or minutes is None:
            o_title, o_owner, o_minutes = P.agenda_owner(title, b.known)
            if o_owner is not None and P.is_placeholder_name(o_owner):
                return
            if (o_owner is not None and owner is None) or (o_minutes is not None and minutes is None):
                title, owner, minutes = o_title, owner or o_owner, minutes or o_minutes
        title = title.strip()
        colon = title.endswith(":")
        if colon and item.blocks:
            title = title[:-1].rstrip()
        if owner:
            b.known |= P.known_forms(owner)
        owner = owner or person
        sublists = [c for c in item.blocks if isinstance(c, ListBlock)]
        if sublists and (not title or _NAME_ONLY.match(title) and P._is_name_like(title.strip(" :"))
                         and owner is None and (colon or P._is_known(title.strip(" :*"), b.known))):
            # "- Ivo:" / "* Bo Tarn" over sub-bullets: the name owns the topics below
            name = owner or P.clean_name(title.strip(" :"))
            b.known |= P.known_forms(name)
            for lst in sublists:
                for sub in lst.items:
                    self._agenda_item(sub, ctx, b, name)
            return
        if sublists and (is_action_label(title) or is_action_label(_ENUMERATION.sub("", title))):
            # "Follow-ups from the last team call [Teo]": a label; the tasks are the sub-bullets
            self._tasks_under(item, ctx, b, owner, _topic(title))
            return
        if self._is_template(title):
            return
        children = _child_inlines(item)
        links = list(dict.fromkeys(item.inline.links + [u for c in children for u in c.links]))
        index = len(b.agenda)
        b.list_items.append(index)
        for word in _title_words(title or item.inline.flat):
            b.title_words.setdefault(word, []).append(index)
        for frag in item.inline.fragments:
            b.fragment_items.setdefault(frag, index)
        b.agenda.append(AgendaItem(
            title=(title or item.inline.flat).strip(), owner=owner, minutes=minutes,
            discussion=tuple(pseudo) + tuple(c.flat for c in children if c.flat),
            links=tuple(links), source=self.ref(item, ctx.anchor)))
        topic_ctx = self._topic_ctx(ctx, title)
        if lead.explicit and owner and _IMPERATIVE.match(title):
            # "[Lars] Send out the poll for the new slot": a topic that is a task for its owner
            self._add_action(b, ActionItem(text=title, owner=owner, topic=ctx.topic, done=bool(item.task),
                                           source=self.ref(item, ctx.anchor)))
        self._scan_inline(head, item, ctx, b)
        for extra in pseudo:
            self._scan_inline(Inline(extra, []), item, topic_ctx, b)
        self._scan_item_children(item, ctx, b, topic=_topic(title), answers=True)

    def _is_template(self, text: str) -> bool:
        return text.strip() in self.template

    def _topic_ctx(self, ctx: _Ctx, topic: str | None) -> _Ctx:
        if topic == ctx.topic:
            return ctx
        return _Ctx(ctx.kind, ctx.anchor, ctx.sub, ctx.sub_anchor, ctx.label, ctx.person, _topic(topic) if topic else None)

    def _agenda_for_heading(self, heading: Heading, ctx: _Ctx, b: _Build) -> int:
        """The agenda item a sub-heading's notes belong to: the list item linking to the heading's
        anchor, else a list item whose title shares most of the heading's words, else a new item."""
        known_index = b.heading_items.get(id(heading))
        if known_index is not None:
            return known_index
        index = self._match_heading(heading, ctx, b)
        b.heading_items[id(heading)] = index
        return index

    def _match_heading(self, heading: Heading, ctx: _Ctx, b: _Build) -> int:
        anchor = self.anchors.get(id(heading))
        text = _SHORTCODE.sub("", heading.inline.flat).strip()
        if anchor and anchor in b.fragment_items:
            return b.fragment_items[anchor]
        words = _title_words(text)
        candidates: set[int] = set()
        for word in words:
            having = b.title_words.get(word, ())
            if len(having) <= 64:  # a word in very many titles tells them apart from nothing
                candidates.update(having)
        best, best_score = -1, 0.5
        for i in sorted(candidates):
            shared = words & _title_words(b.agenda[i].title)
            if not any(len(w) >= 3 and not w.isdigit() for w in shared):
                continue  # sharing "5" or "ci" is not sharing a topic
            score = len(shared) / len(words)
            if score > best_score or (score == best_score and best < 0):
                best, best_score = i, score
        if best >= 0:
            return best
        lead = P.split_lead(heading.inline, b.known)
        title, owner, minutes = lead.rest, lead.person, lead.minutes
        if owner is None:
            title, owner, minutes = P.trailing_owner(_SHORTCODE.sub("", lead.rest).strip())
        if owner is None or minutes is None:
            o_title, o_owner, o_minutes = P.agenda_owner(title, b.known)
            if o_owner is not None or o_minutes is not None:
                title, owner, minutes = o_title, owner or o_owner, minutes or o_minutes
        title = _ENUMERATION.sub("", title)
        b.agenda.append(AgendaItem(title=title or text, owner=owner, minutes=minutes, links=tuple(heading.inline.links),
                                   source=self.ref(heading, anchor)))
        return len(b.agenda) - 1

    def _agenda_table(self, block: Table, ctx: _Ctx, b: _Build) -> None:
        header = [" ".join(_WORDS.findall(c.flat.lower())) for c in block.rows[0]]
        def col(*names: str) -> int | None:
            for i, h in enumerate(header):
                if any(n == h or n in h.split() for n in names):
                    return i
            return None
        t = col("topic", "item", "title", "agenda", "subject", "what")
        o = col("owner", "who", "presenter", "lead", "name", "by", "speaker")
        m = col("time", "minutes", "mins", "min", "duration", "length")
        d = col("notes", "discussion", "outcome", "details", "comments")
        if t is None:
            t = 0
        for cells in block.rows[1:]:
            if t >= len(cells) or not cells[t].flat or is_placeholder(cells[t].flat):
                continue
            minutes = None
            if m is not None and m < len(cells):
                mm = _NUMBER.search(cells[m].flat)
                minutes = int(mm.group(0)) if mm else None
            owner = cells[o].flat.strip() or None if o is not None and o < len(cells) else None
            disc = (cells[d].flat,) if d is not None and d < len(cells) and cells[d].flat else ()
            links = tuple(dict.fromkeys(u for c in cells for u in c.links))
            b.agenda.append(AgendaItem(title=cells[t].flat, owner=owner, minutes=minutes, discussion=disc,
                                       links=links, source=self.ref(block, ctx.anchor)))

    def _statements(self, block: Block, ctx: _Ctx, b: _Build, *, decision: bool) -> None:
        """Items of a decisions or action-items section (or of a list under such a label)."""
        if isinstance(block, ListBlock):
            for item in block.items:
                if item.inline is None or is_placeholder(item.inline.flat):
                    continue
                if decision:
                    self._decision_item(item.inline, item, ctx, b)
                    self._scan_item_children(item, ctx, b)
                else:
                    self._task_item(item, ctx, b, None, ctx.topic)
            return
        inlines: list[tuple[Inline, Block]] = []
        if isinstance(block, Para) and not block.inline.all_emphasis:
            inlines = [(block.inline, block)]
        elif isinstance(block, Table) and len(block.rows) > 1:
            for cells in block.rows[1:]:
                if cells:
                    inlines.append((Inline(" — ".join(c.flat for c in cells if c.flat), []), block))
        elif isinstance(block, Quote):
            for inner in block.blocks:
                self._statements(inner, ctx, b, decision=decision)
            return
        for inline, src in inlines:
            if is_placeholder(inline.flat):
                continue
            if decision:
                self._decision_item(inline, src, ctx, b)
            else:
                self._task_text(inline, src, ctx, b, None, ctx.topic, False)

    def _decision_item(self, inline: Inline, src: Block, ctx: _Ctx, b: _Build) -> None:
        lead = P.split_lead(inline, b.known)
        if lead.person is not None and P.is_placeholder_name(lead.person):
            return
        text = lead.rest.strip() if lead.person else inline.flat
        if text and not self._is_template(text):
            self._add_decision(b, Decision(text=decision_in(text) or text, topic=ctx.topic,
                                           source=self.ref(src, ctx.anchor)))

    def _task_item(self, item: Item, ctx: _Ctx, b: _Build, owner: str | None, topic: str | None) -> None:
        """One item of a task list: a task itself, or (without an owner of its own, with sub-bullets) the
        topic of the tasks below it ("Our noisy logs" over "find which service ...")."""
        assert item.inline is not None
        sublists = [c for c in item.blocks if isinstance(c, ListBlock)]
        lead = P.split_lead(item.inline, b.known)
        text = lead.rest.strip() if lead.person else item.inline.flat
        if sublists and lead.person is None and action_in(text, b.known) is None and task_in(text, b.known) is None \
                and not _IMPERATIVE.match(text):
            self._tasks_under(item, ctx, b, owner, _topic(text))
            return
        self._task_text(item.inline, item, ctx, b, owner, topic, bool(item.task))
        self._scan_item_children(item, ctx, b, topic=_topic(text))

    def _tasks_under(self, item: Item, ctx: _Ctx, b: _Build, owner: str | None, topic: str | None) -> None:
        for child in item.blocks:
            if isinstance(child, ListBlock):
                for sub in child.items:
                    if sub.inline is not None and not is_placeholder(sub.inline.flat):
                        self._task_item(sub, ctx, b, owner, topic)

    def _task_text(self, inline: Inline, src: Block, ctx: _Ctx, b: _Build, owner: str | None, topic: str | None,
                   done: bool) -> None:
        lead = P.split_lead(inline, b.known, any_name=True)
        if lead.person is not None and P.is_placeholder_name(lead.person):
            return
        text = lead.rest.strip() if lead.person else inline.flat
        if not text or text.rstrip()[-1:] == "?" or self._is_template(text):
            return
        found = action_in(text, b.known)
        if found is None:
            found = task_in(text, b.known)  # type: ignore[assignment]
        body = found[0] if found else text
        who = lead.person or (found[1] if found else None) or owner_of(body, b.known) or owner
        self._add_action(b, ActionItem(text=body, owner=who, topic=topic, done=done, source=self.ref(src, ctx.anchor)))

    # --- scanning for framed statements ---------------------------------------------------------

    def _scan_topic(self, block: Block, ctx: _Ctx, b: _Build) -> None:
        """Notes under a topic heading: answers under it are decisions on that topic."""
        if isinstance(block, ListBlock) and ctx.topic:
            for item in block.items:
                if item.inline is not None and self._answer(item.inline, item, ctx, b):
                    self._scan_item_children(item, ctx, b)
                    continue
                self._scan(ListBlock(block.start, items=[item], ordered=block.ordered), ctx, b)
            return
        self._scan(block, ctx, b)

    def _scan(self, block: Block, ctx: _Ctx, b: _Build) -> None:
        kind = ctx.label or ctx.kind
        if isinstance(block, ListBlock):
            if kind in ("decisions", "action_items") and ctx.label:
                self._statements(block, ctx, b, decision=kind == "decisions")
                return
            for item in block.items:
                if item.inline is not None:
                    if item.task is not None and kind != "attendees" and not ctx.boxes_are_topics:
                        self._task_text(item.inline, item, ctx, b, None, ctx.topic, item.task)
                    else:
                        self._scan_inline(item.inline, item, ctx, b)
                self._scan_item_children(item, ctx, b)
        elif isinstance(block, Para):
            if not block.inline.all_emphasis:
                self._scan_inline(block.inline, block, ctx, b)
        elif isinstance(block, Quote):
            for inner in block.blocks:
                self._scan(inner, ctx, b)
        elif isinstance(block, Table):
            for cells in block.rows[1:]:
                for cell in cells:
                    self._scan_inline(cell, block, ctx, b)

    def _scan_item_children(self, item: Item, ctx: _Ctx, b: _Build, topic: str | None = None,
                            answers: bool = False) -> None:
        """The notes under an item: labels ("Conclusion", "Action items:", "Community kudos:") give their
        sub-bullets a kind; under a topic (``answers``), an assent or "Cancelled." is the decision on it."""
        if not item.blocks:
            return
        label_person: str | None = None
        label_kind: str | None = None
        if item.inline is not None and len(item.inline.flat) <= 80:
            lead = P.split_lead(item.inline, b.known)
            rest = lead.rest.strip()
            if may_state(item.inline.flat) and is_action_label(rest):
                label_kind, label_person = "action_items", lead.person
            elif may_state(item.inline.flat) and is_decision_label(rest):
                label_kind = "decisions"
            elif rest.endswith(":") and len(rest) <= 40:
                found = self.table.classify(rest)
                if found in ("celebrations", "updates") and _names_section(rest, found, self.table):
                    label_kind = found
        # the topic of the notes below: the item's own, else the one it sits under
        sub_topic = topic or ctx.topic
        if label_kind in ("decisions", "action_items"):
            sub_topic = ctx.topic or topic
        inner = self._plain_ctx(ctx.anchor, sub_topic, ctx.boxes_are_topics and label_kind is None)
        for child in item.blocks:
            if not isinstance(child, ListBlock):
                if label_kind is None:
                    self._scan(child, inner, b)
                continue
            if label_kind == "celebrations" or label_kind == "updates":
                make = self._celebration if label_kind == "celebrations" else self._update
                self._items(child, _Ctx(label_kind, ctx.anchor, person=ctx.person, topic=sub_topic), b, make)
                continue
            for sub in child.items:
                if sub.inline is None or is_placeholder(sub.inline.flat):
                    continue
                if label_kind == "decisions":
                    self._conclusion(sub, inner, b)
                    continue
                if label_kind == "action_items":
                    self._task_item(sub, inner, b, label_person, sub_topic)
                    continue
                if answers and self._answer(sub.inline, sub, inner, b):
                    self._scan_item_children(sub, inner, b)
                    continue
                self._scan(ListBlock(child.start, items=[sub], ordered=child.ordered), inner, b)

    def _answer(self, inline: Inline, src: Block, ctx: _Ctx, b: _Build) -> bool:
        """An assent under a question or proposal ("Everyone agrees: yes", "No objections to dropping it",
        "Let's do it!", "Cancelled. Lars will ..."): the decision on the topic, and any task it gives."""
        flat = inline.flat
        if not ctx.topic or not flat:
            return False
        found = assent_in(flat)
        if found is None:
            return False
        self._add_decision(b, Decision(text=found, topic=ctx.topic, source=self.ref(src, ctx.anchor)))
        rest = flat[len(found):].strip() if flat.startswith(found) else ""
        if rest:
            task = task_in(rest, b.known) or action_in(rest, b.known)
            if task is None:
                m = _KNOWN_DOES.match(rest)  # "Called off. Lars removes it from the calendar."
                if m and P._is_known(m.group(1), b.known):
                    task = (rest, m.group(1))
            if task:
                self._add_action(b, ActionItem(text=task[0], owner=task[1], topic=ctx.topic,
                                               source=self.ref(src, ctx.anchor)))
        return True

    def _conclusion(self, sub: Item, ctx: _Ctx, b: _Build) -> None:
        """One point of a "Conclusion" block: a decision; a fragment ("We should") continues in its sub-bullets."""
        assert sub.inline is not None
        text = sub.inline.flat
        kids = _child_inlines(sub)
        if kids and len(text.split()) <= 3 and text[-1:] not in ".!?":
            for kid in kids:
                self._add_decision(b, Decision(text=f"{text.rstrip(' :')} {kid.flat}", topic=ctx.topic,
                                               source=self.ref(sub, ctx.anchor)))
            return
        if not self._is_template(text):
            self._add_decision(b, Decision(text=decision_in(text) or text, topic=ctx.topic,
                                           source=self.ref(sub, ctx.anchor)))
        self._scan_item_children(sub, ctx, b)

    def _scan_inline(self, inline: Inline, src: Block, ctx: _Ctx, b: _Build) -> None:
        flat = inline.flat
        if not flat or inline.all_emphasis and is_placeholder(flat):
            return
        if not may_state(flat):  # nothing below could match
            return
        head, pseudo = split_pseudo_bullets(inline)
        if pseudo:
            for extra in pseudo:
                self._scan_inline(Inline(extra, []), src, ctx, b)
            inline = head
        lead = P.split_lead(inline, b.known)
        text = lead.rest.strip() if lead.person else inline.flat
        if not text or self._is_template(text) or lead.person is not None and P.is_placeholder_name(lead.person):
            return
        kind = ctx.label or ctx.kind
        if kind != "decisions":
            found = decision_in(text)
            if found:
                self._add_decision(b, Decision(text=found, topic=ctx.topic, source=self.ref(src, ctx.anchor)))
                return
        if kind != "action_items":
            act = action_in(text, b.known) or task_in(text, b.known)
            if act is None and lead.person and inline.flat.startswith(lead.person + " "):
                act = task_in(inline.flat, b.known)  # "**Mei** will write the migration guide"
            if act:
                self._add_action(b, ActionItem(text=act[0], owner=act[1], topic=ctx.topic,
                                               source=self.ref(src, ctx.anchor)))

    def _add_decision(self, b: _Build, decision: Decision) -> None:
        key = ("d", decision.text)
        if key in b.seen_statements or not decision.text.strip():
            return
        b.seen_statements.add(key)
        b.decisions.append(decision)

    def _add_action(self, b: _Build, action: ActionItem) -> None:
        key = ("a", action.text)
        if key in b.seen_statements or not action.text.strip():
            return
        b.seen_statements.add(key)
        b.actions.append(action)


# --- helpers -----------------------------------------------------------------------------------

_ADDED_BY = re.compile(r"\s*(?:[-–—]+|\(|\[)?\s*(?:added|posted|submitted|shared|written|suggested)\s+by\s+"
                       r"(?P<who>@?[\w\u00C0-\u024F][\w\u00C0-\u024F'’\-]*(?:\s+[A-Z][\w'’\-]*)?)\s*[)\]]?\s*[.!]?$",
                       re.IGNORECASE)
_NAME_ONLY = re.compile(r"^\*{0,2}@?[A-Z\u00C0-\u024F][\w\u00C0-\u024F'’.\-]*(?:\s+[A-Z\u00C0-\u024F][\w\u00C0-\u024F'’.\-]*){0,2}\*{0,2}\s*:?$")
_WELCOME = re.compile(r"\bwelcome\s+(?!back\b)(?:to\s+)?[A-Z][\w'’\-]*(?:\s+[A-Z][\w'’\-]*)?(?:\s*(?:,|and|&)\s*[A-Z][\w'’\-]*(?:\s+[A-Z][\w'’\-]*)?)*"
                      r"(?=\s+(?:to|as|on|onto|into)\b)", re.IGNORECASE)
# Verbs a task starts with ("[Lars] Send out the poll"): a topic phrased as an order is also a task.
_IMPERATIVE = re.compile(
    r"^(?:send|write|open|review|draft|update|create|add|fix|check|ask|post|book|merge|archive|move|record|schedule|"
    r"prepare|share|reach\s+out|contact|set\s+up|follow\s+up|file|make|find|plan|organi[sz]e|invite|publish|"
    r"release|test|document|remove|clean\s+up|look\s+into|investigate|reply|email|ping|collect|compile|start|finish|"
    r"coordinate|announce|submit|draft|reserve|order|buy|register|cancel|tag|triage|close|label|upload|migrate|"
    r"deploy|install|configure|rename|delete|benchmark|measure|summari[sz]e|circulate|confirm|arrange|run)\b"
    r"(?:\s+(?:out|up|back|over|down|through|off))?\s+(?:the|a|an|our|this|that|these|those|some|all|it|them|his|her|their|"
    r"my|your|one|two|three|each|every|new|more|any|everyone|people|folks)\b",
    re.IGNORECASE,
)
_BARE_URL_TAIL = re.compile(r"\s*(?:\(?\s*https?://\S+\s*\)?\s*)+$")


def _topic(text: str | None) -> str | None:
    """A title as the topic of what was recorded under it: without trailing bare links or colons."""
    if not text:
        return None
    if "://" in text:
        text = _BARE_URL_TAIL.sub("", text)
    text = " ".join(text.split()).rstrip(" :")
    return text or None


def _markdown_of(inline: Inline, rest: str) -> str:
    """``rest`` (the item's text, or its end after a lead) with its Markdown links put back."""
    if not inline.link_texts:
        return rest
    out = rest
    pos = 0
    for label, url in inline.link_texts:
        label = " ".join(label.split())
        if not label or label == url or "://" in label:
            continue  # an autolink: the URL is in the text already
        at = out.find(label, pos)
        if at < 0:
            continue
        link = f"[{label}]({url})"
        out = out[:at] + link + out[at + len(label):]
        pos = at + len(link)
    return out


_LOGISTICS = re.compile(
    r"^(?:next\s+(?:call|meeting|sync|session)|date|time|when|where|location|venue|zoom|zoom\s+link|meeting\s+link|"
    r"video\s+link|call\s+link|recording|facilitator|note[- ]?takers?|notes?\s+by|chair|host|moderator)\s*[:\-–—]\s*\S",
    re.IGNORECASE,
)
_KNOWN_DOES = re.compile(r"^([A-Z][\w'’\-]*)\s+[a-z]+s\s+\S")
_UPDATE_BY = re.compile(r"\s+(?:by|from)\s+(?P<who>[A-Z][\w'’\-]*(?:\s+[A-Z][\w'’\-]*)?)\s*[.!]?$")
_CANCELLED = re.compile(
    r"^(?:(?:the\s+)?(?:meeting|call|cafe|café|session|sync)\s+(?:was\s+|is\s+)?)?(?:cancell?ed|called\s+off|skipped)\b|"
    r"^no\s+(?:meeting|call|cafe|café|session|sync)\b|^(?:we\s+)?did\s+not\s+meet\b|^no\s+quorum\b",
    re.IGNORECASE,
)


_GENERIC_NOTES = frozenset({
    "notes", "note", "minutes", "meeting notes", "meeting minutes", "discussion notes", "notes and discussion",
    "notes discussion", "general notes", "other notes", "raw notes", "live notes", "shared notes", "notes minutes",
})
_SKIP_HEADINGS = ("missed topics", "missed items", "parking lot", "not discussed", "deferred", "breakout",
                  "break out", "breakouts", "for next time", "next time", "carried over", "leftover")


_NOT_NEW = re.compile(r"\bnot\s+(?:really\s+|actually\s+|so\s+)?new\b|\bnot\s+(?:my\s+)?first\s+time\b|\breturning\b", re.IGNORECASE)


def _line_inlines(inline: Inline) -> list[Inline]:
    """An item's lines as separate texts (a lazy continuation line is the next row of a list)."""
    if "\n" not in inline.text:
        return [inline]
    lines = [line for line in inline.lines if line]
    if len(lines) <= 1:
        return [inline]
    return [Inline(line, [u for u in inline.links if u in line]) if n else
            Inline(line, [u for u in inline.links if u in line], inline.strong_lead, inline.code_lead)
            for n, line in enumerate(lines)]


def _says_cancelled(span: list[Block]) -> bool:
    """Whether the first words of a meeting say it did not take place ("No meeting due to lack of
    attendees", "Cancelled (holiday week)")."""
    seen = 0
    for block in span:
        for inline in _unit_inlines(block, depth=1):
            if _CANCELLED.match(inline.flat.lstrip("*_ ")):
                return True
            seen += 1
            if seen >= 2:
                return False
    return False


def _generic_heading(text: str) -> str | None:
    """"notes" for a heading that only says it holds notes ("### Notes", "2031-06-03 notes"), "skip" for one
    whose items were not discussed or are not the meeting's ("Missed topics", "Breakout rooms"), else None."""
    norm = normalize_heading(text)
    if norm in _GENERIC_NOTES:
        return "notes"
    for phrase in _SKIP_HEADINGS:
        if norm.startswith(phrase) or f" {phrase}" in f" {norm}":
            return "skip"
    found = find_date(text)
    if found is not None:
        rest = normalize_heading(text[: found[1]] + " " + text[found[2]:])
        if rest in _GENERIC_NOTES or rest in ("", "meeting", "call", "sync"):
            return "notes"
    return None


def _names_section(text: str, kind: str, table: SectionTable) -> bool:
    """Whether a heading or label is the name of a section, not a topic that holds a section word:
    "Quick updates" or "Check-in :raising_hand:" are; "Quick intros round", "Team check-in on the sprint"
    are not. The words outside the section phrase must be few and not a topic's."""
    norm = normalize_heading(text)
    words = norm.split()
    if len(words) <= 2:
        return True
    return table.classify(" ".join(words[:3])) == kind and len(words) <= 4 or len(words) <= 3 and \
        table.classify(" ".join(words[-2:])) == kind


def _roll_table(block: Table) -> bool:
    """A table whose header names people's columns: a name and a handle or an affiliation."""
    if len(block.rows) < 2:
        return False
    header = [" ".join(_WORDS.findall(c.flat.lower())) for c in block.rows[0]]
    cols = [P.column_order(f"name / {h}") for h in header]
    kinds = {c[1] for c in cols if c and len(c) == 2 and c[1] != "other"}
    named = any(h in ("name", "names", "full name", "your name", "who", "person", "attendee", "attendees")
                for h in header)
    return named and bool(kinds & {"handle", "affiliation", "pronouns"})



def _is_bold_line(block: Para) -> bool:
    lead = block.inline.strong_lead
    return lead is not None and " ".join(lead.split()).strip(" :") == block.inline.flat.strip(" :*")


def split_pseudo_bullets(inline: Inline) -> tuple[Inline, list[str]]:
    """Over-indented sub-bullets are paragraph text to Markdown ("...\n        - Group agreed");
    the writer meant bullets, so lines starting with a bullet marker are split off."""
    if "\n" not in inline.text:
        return inline, []
    lines = inline.text.split("\n")
    head: list[str] = []
    extra: list[list[str]] = []
    for line in lines:
        stripped = line.strip()
        if len(stripped) > 2 and stripped[0] in "-*+" and stripped[1] == " ":
            extra.append([stripped[2:]])
        elif extra:
            extra[-1].append(stripped)
        else:
            head.append(line)
    if not extra:
        return inline, []
    head_text = "\n".join(head)
    texts = [" ".join(" ".join(e).split()) for e in extra]
    head_links = [u for u in inline.links if u in head_text] if "://" in head_text else []
    if len(head_links) < len(inline.links):
        # links in markdown link syntax are not visible in the text; keep them with the head
        head_links = [u for u in inline.links if not any(u in t for t in texts)]
    return Inline(head_text, head_links, inline.strong_lead, inline.code_lead, False), texts


def _handle_column(items: list[Item]) -> int | None:
    """The field position that holds handles in most rows that mark them with '@' or a profile link."""
    votes: dict[int, int] = {}
    for item in items:
        if item.inline is None:
            continue
        for i, f in enumerate(P.split_fields(item.inline.flat)):
            if ("@" in f and P.HANDLE_RE.search(f)) or "github.com/" in f:
                votes[i] = votes.get(i, 0) + 1
                break
    if not votes:
        return None
    return max(votes.items(), key=lambda kv: kv[1])[0]


def _newcomer_name(inline: Inline) -> str | None:
    lead = P.split_lead(inline, None, any_name=True)
    if lead.person:
        return lead.person
    flat = inline.flat
    m = _BARE_NAME.match(flat)  # a bare name, maybe "Name (Affiliation)"
    if m and P._is_name_like(m.group(1)):
        return P.clean_name(m.group(1))
    return None


def _child_inlines(item: Item) -> list[Inline]:
    out: list[Inline] = []
    for block in item.blocks:
        out.extend(_unit_inlines(block, depth=99))
    return [i for i in out if i.flat and not is_placeholder(i.flat)]


def _unit_inlines(block: Block, depth: int) -> list[Inline]:
    """Paragraph and item texts in document order, descending ``depth`` list levels."""
    if isinstance(block, Para):
        return [block.inline]
    if isinstance(block, ListBlock):
        out: list[Inline] = []
        for item in block.items:
            if item.inline is not None:
                out.append(item.inline)
            if depth > 1:
                for child in item.blocks:
                    out.extend(_unit_inlines(child, depth - 1))
        return out
    if isinstance(block, Quote):
        return [i for inner in block.blocks for i in _unit_inlines(inner, depth)]
    return []


def _block_links(block: Block) -> list[str]:
    if isinstance(block, (Para, Heading)):
        return block.inline.links
    if isinstance(block, ListBlock):
        out: list[str] = []
        for item in block.items:
            if item.inline is not None:
                out.extend(item.inline.links)
            for child in item.blocks:
                out.extend(_block_links(child))
        return out
    if isinstance(block, Quote):
        return [u for inner in block.blocks for u in _block_links(inner)]
    if isinstance(block, Table):
        return [u for row in block.rows for cell in row for u in cell.links]
    if isinstance(block, Raw):
        return block.links
    return []


def _join(text: str, children: list[Inline]) -> str:
    text = text.strip()
    kids = [c.flat for c in children if c.flat]
    if not kids:
        return text
    if not text:
        return "; ".join(kids)
    return f"{text} — {'; '.join(kids)}"


_STOP_WORDS = frozenset({"the", "a", "an", "of", "and", "or", "to", "for", "in", "on", "update", "with"})


def _title_words(text: str) -> frozenset[str]:
    return frozenset(w for w in _TITLE_WORD.findall(text.lower()) if w not in _STOP_WORDS)


def _dedupe_attendees(attendees: list[Attendee]) -> list[Attendee]:
    seen: set[tuple[str | None, str | None]] = set()
    out = []
    for a in attendees:
        key = (a.handle, None) if a.handle else (None, (a.name or "").lower())
        if key in seen:
            continue
        seen.add(key)
        out.append(a)
    return out
