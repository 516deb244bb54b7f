"""Assemble ``Meeting`` values from the block tree of one notes document.

A document holds one meeting (a monthly meeting page) or several (a yearly archive with one
``## YYYY-MM-DD`` section per meeting: every heading that is mostly a date, at the shallowest level
such headings use, starts a meeting that runs to the next heading of the same or a higher level).

Inside a meeting, headings are classified by ``SectionTable``; a heading that names no kind and is
deeper than the current section continues it (under an agenda it becomes, or adds discussion to,
an agenda item). A paragraph ending in a label ("Roll call:", "Action points:") gives the list
right after it a kind too.

The ``Assembler`` does the work in stages, one class each, every one a subclass of the one before:

- ``context.Stage``: the document, its anchors, the heading table, references (and the helpers all share);
- ``outcomes.Outcomes``: decisions and action items, in their sections and framed anywhere else;
- ``items.Items``: updates and celebrations; ``agenda.Agenda``: topics, owners, minutes;
- ``rollcall.RollCall``: attendees and newcomers; ``assign.Sections``: which section each block is in;
- ``meetings.Assembler``: where each meeting starts, its date and title, and the stages in order.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace
from pathlib import PurePosixPath

from digests.notes.assign import Sections
from digests.notes.blocks import Block, Heading, ListBlock, Para
from digests.notes.context import (
    _CANCELLED,
    _DATE_LINE,
    _SHORTCODE,
    _block_links,
    _Build,
    _Ctx,
    _dedupe_attendees,
    _is_bold_line,
    _says_cancelled,
    _title_words,
    _unit_inlines,
    is_placeholder,
    slugify,
)
from digests.notes.dates import find_date, heading_date, month_heading_rest, short_date
from digests.notes.records import Attendee, Meeting, SourceRef
from digests.notes.sections import normalize_heading
from digests.notes.statements import may_state

__all__ = ["Assembler", "is_placeholder", "slugify"]

# A title wrapped in a text rule ("=====" over a setext heading, as meetbot's minutes are) and meetbot's
# "#channel: Meeting name (2024-03-04)" header: the meeting's name is what is left.
_RULE_EDGES = re.compile(r"^[=\-_*#~]{3,}\s*|\s*[=\-_*#~]{3,}$")
_CHANNEL_TITLE = re.compile(r"^#[\w.\-]+:\s+(?P<name>\S.*?)(?:\s*\(\s*(?:19|20)\d\d-\d\d-\d\d\s*\))?$")


_HANDLE = re.compile(r"@([A-Za-z0-9][A-Za-z0-9\-]{0,38})")
_HANDLES = re.compile(r"^@[A-Za-z0-9][A-Za-z0-9\-]{0,38}(?:\s*[,;]?\s*@[A-Za-z0-9][A-Za-z0-9\-]{0,38})+\s*$")


def clean_title(title: str | None) -> str | None:
    if not title:
        return title
    first = title[:1]
    if first in "=-_*#~" or title[-1:] in "=-_*#~":
        title = _RULE_EDGES.sub("", title)
        if title[:1] == "#":
            m = _CHANNEL_TITLE.match(title)
            if m:
                title = m.group("name")
    return title or None


# What a dated heading says besides its date when it only says "a meeting".
_WEEKDAYS = frozenset({"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "mon", "tue",
                       "tues", "wed", "thu", "thur", "thurs", "fri", "sat", "sun", "th", "st", "nd", "rd", "of", "the"})
_GENERIC_TITLES = frozenset({"meeting", "meetings", "notes", "minutes", "meeting notes", "meeting minutes", "call",
                             "sync", "weekly meeting", "weekly call", "weekly sync", "meeting agenda", "agenda"})


class Assembler(Sections):
    """Builds the meetings of one parsed document (see the module docstring)."""

    def meetings(self) -> list[Meeting]:
        out = self._meetings()
        if len(out) == 1 and out[0].date is not None:
            out[0] = self._date_sanity(out[0])
        return out

    def _date_sanity(self, meeting: Meeting) -> Meeting:
        """When the file name, the title and a "Date:" line name different days, the most specific wins
        (a "Date:" line, then front matter, then the title, then the file name) and the meeting says so once."""
        found: list[tuple[str, dt.date]] = []
        for block in self.doc.blocks[:40]:  # a "Date:" line sits near the top
            for inline in _unit_inlines(block, depth=1):
                m = _DATE_LINE.match(inline.flat) if inline.flat[:12].lower().lstrip("*_ ").startswith(
                    ("date", "meeting", "when", "day")) else None
                if m:
                    stated = find_date(m.group("rest"))
                    if stated:
                        found.append(("the Date: line", stated[0]))
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
        return replace(meeting, date=day, warnings=(*meeting.warnings, warning))

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
            extra = (text[: found[1]] + text[found[2]:]).strip(" -–—:|,/") if found else month_heading_rest(text)
            present: list[str] = []
            if extra[:1] == "@" and _HANDLES.match(extra):
                present = [h.lower() for h in _HANDLE.findall(extra)]  # "2024-03-06 / @rsc, @griesemer": who met
                extra = ""
            said_cancelled = False
            if extra and _CANCELLED.match(extra.strip("()[]*_ ~")) is not None:
                said_cancelled = True  # "## 2021-02-18 (cancelled)", "## 2021-01-21 — CANCELLED"
                extra = ""
            if extra and doc_title and (normalize_heading(extra) in _GENERIC_TITLES
                                        or all(w in _WEEKDAYS for w in normalize_heading(extra).split())):
                # "## Meeting - March 14, 2024", "## Thursday 18th March 2021" in an archive: the archive's title
                # names the meeting
                extra = ""
            title = text if extra or not doc_title else doc_title
            out.append(self._meeting(blocks[i + 1:end], heading, date, level, title, present=present,
                                     said_cancelled=said_cancelled))
        first = starts[0][0]
        if out and first > 0 and not any(isinstance(b, Heading) for b in blocks[:first]):
            # links in a banner above the title belong to the (first) meeting
            banner = [u for b in blocks[:first] for u in _block_links(b)]
            if banner:
                out[0] = replace(out[0], links=tuple(dict.fromkeys((*banner, *out[0].links))))
        return out

    def _doc_title(self) -> str | None:
        for block in self.doc.blocks:
            if isinstance(block, Heading) and block.level == 1:
                return _SHORTCODE.sub("", block.inline.flat).strip() or None
        title = self.front.get("title")
        if title:
            return title
        first = self.doc.blocks[0] if self.doc.blocks else None
        if isinstance(first, Para) and first.inline.flat[:1] == "#":  # meetbot: "#debian-meeting: Debian tech-ctte"
            m = _CHANNEL_TITLE.match(first.inline.lines[0]) if first.inline.lines else None
            if m:
                return m.group("name")
        for block in self.doc.blocks[:1]:  # a bold first line standing in for a title
            if isinstance(block, Para) and block.inline.strong_lead is not None:
                lead = " ".join(block.inline.strong_lead.split())
                if lead == block.inline.flat or lead == block.inline.lines[0]:
                    return lead.strip(" *:") or None
        return None

    def _meeting(self, span: list[Block], heading: Heading | None, date: dt.date | None, level: int,
                 title: str | None, *, start: Block | None = None, present: list[str] | None = None,
                 said_cancelled: bool = False) -> Meeting:
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
        for handle in present or ():
            b.attendees.append(Attendee(handle=handle, source=self.ref(heading or span[0], anchor)))
            b.known.add(handle)
        for block, ctx in entries:
            kind = ctx.label or ctx.kind
            if kind == "newcomers":
                self._newcomers(block, ctx, b)
        for block, ctx in entries:
            kind = ctx.label or ctx.kind
            if kind in ("attendees", "newcomers"):
                continue
            if kind == "agenda":
                ctx.boxes_are_topics = True  # each block's context is its own: set, not copied
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
            elif kind is None and b.agenda and ctx.topic is None and isinstance(block, ListBlock):
                self._notes_list(block, ctx, b)
            elif kind == "reviewed":  # a review of earlier tasks: those still open carry over, those done are history
                before = len(b.actions)
                self._statements(block, ctx, b, decision=False)
                b.actions[before:] = [a for a in b.actions[before:] if not a.done]
            else:
                self._scan(block, ctx, b)
        for index, (discussion, links) in b.more_discussion.items():
            item = b.agenda[index]
            b.agenda[index] = replace(item, discussion=item.discussion + tuple(discussion),
                                      links=tuple(dict.fromkeys(item.links + tuple(links))))
        if date is None:
            date = self._single_date(span)
        if title is None:
            title = self.front.get("title") or PurePosixPath(self.document).stem or None
        title = clean_title(title)
        if heading is not None:
            source = self.ref(heading, anchor)
        elif start is not None:
            source = self.ref(start, None)
        else:
            source = SourceRef(document=self.document, line=1, url=self.url)
        cancelled = not b.attendees and not b.agenda and (said_cancelled or _says_cancelled(span))
        return Meeting(
            date=date, title=title, document=self.document, anchor=anchor, cancelled=cancelled,
            attendees=tuple(_dedupe_attendees(b.attendees)), newcomers=tuple(dict.fromkeys(b.newcomers)),
            celebrations=tuple(b.celebrations), updates=tuple(b.updates), agenda=tuple(b.agenda),
            decisions=tuple(b.decisions), action_items=tuple(b.actions), links=tuple(b.links), source=source,
        )

    def _notes_list(self, block: ListBlock, ctx: _Ctx, b: _Build) -> None:
        """A flat list of notes after a listed agenda: each bullet is about the topic it shares words with."""
        if not any(item.inline is not None and may_state(item.inline.flat) for item in block.items):
            self._scan(block, ctx, b)  # no outcome or task in it: read as before, no word matching to pay for
            return
        topics = [(t.title, {w for w in _title_words(t.title) if len(w) >= 4}) for t in b.agenda]
        for item in block.items:
            words = _title_words(item.inline.flat) if item.inline is not None else frozenset()
            best: str | None = None
            best_shared = 1
            for title, tw in topics:
                shared = len(words & tw)
                if shared > best_shared:
                    best, best_shared = title, shared
            one = ListBlock(block.start, items=[item], ordered=block.ordered)
            self._scan(one, self._topic_ctx(ctx, best) if best is not None else ctx, b)

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
            if isinstance(block, Heading) and block.level == 1:
                found = find_date(block.inline.flat)
                if found:
                    return found[0]
        found = find_date(self.front.get("title", ""))
        if found:
            return found[0]
        # a title line such as "**Minutes – Steering Council – 12 March 2024**", before the dates of topic headings
        # ("### 1. Approval of the minutes of 2024-03-05")
        for block in span[:4]:
            if isinstance(block, Para) and len(block.inline.flat) <= 120 and _is_bold_line(block):
                found = find_date(block.inline.flat)
                if found:
                    return found[0]
        for block in span:
            if isinstance(block, Heading):
                found = find_date(block.inline.flat)
                if found:
                    return found[0]
        for block in span[:4]:
            if isinstance(block, Para) and len(block.inline.flat) <= 120:
                found = find_date(block.inline.flat)
                if found:
                    return found[0]
        found = find_date(PurePosixPath(self.document.split("?")[0]).name, compact=True)
        return found[0] if found else None

