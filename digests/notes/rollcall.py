"""The check-in list and the newcomers: who was there, as written."""

from __future__ import annotations

import re

from digests.notes import people as P
from digests.notes.agenda import Agenda
from digests.notes.blocks import Block, Inline, Item, ListBlock, Para, Quote, Raw, Table
from digests.notes.context import (
    _INLINE_LABEL,
    _LIST_SEP,
    _NOT_NEW,
    _Build,
    _Ctx,
    _handle_column,
    _line_inlines,
    _newcomer_name,
    is_absence_label,
    is_placeholder,
)
from digests.notes.records import Attendee

_FIRST_TIME = re.compile(r"\bfirst[- ]time\b(?!\s+(?:in|since)\b)|\bfirst\s+(?:meeting|call)\b(?!\s+(?:of|in|since|this|back)\b)|\bnew\s+here\b|\bnewcomer\b|\bnew\s+to\s+(?:the|this)\s+(?:meeting|call|cafe|café|community|group)\b",
                         re.IGNORECASE)


_NICK = re.compile(r"^[a-z][a-z0-9_\-]{1,30}$")


_HANDLES_ONLY = re.compile(r"^@[A-Za-z0-9][\w\-]{0,38}(?:(?:\s*[,;]\s*|\s+(?:and\s+)?)@[A-Za-z0-9][\w\-]{0,38})+[\s.]*$")
_HANDLE_AT = re.compile(r"@([A-Za-z0-9][\w\-]{0,38})")


def _several(text: str) -> list[P.Row] | None:
    """A roll-call line naming several people: "@dave @erin", "Ann Lee, Bo Chen, Cy Dunn" (three or more names,
    each of one to three words: "Ana Ruiz, Northwind" is a name and an organisation)."""
    if text[:1] == "@":
        if _HANDLES_ONLY.match(text):
            return [P.Row(None, h.lower(), None) for h in _HANDLE_AT.findall(text)]
        return None
    if text.count(",") < 2 or "/" in text or "(" in text or "@" in text:
        return None
    parts = [p.strip(" .") for p in text.split(",")]
    if all(p and P._is_name_like(p, max_words=3) for p in parts):
        return [P.Row(P.clean_name(p), None, None) for p in parts]
    return None


_PRESENCE_HEADERS = frozenset({"present", "attended", "attending", "attendance", "here", "in attendance", "present?",
                               "attended?", "joined"})
_NOT_THERE = frozenset({"", "no", "n", "❌", "✗", "✘", "absent", "regrets", "apologies", "excused", "-", "—", "–",
                        ":x:", "☐", "⬜", "[ ]", "false"})
_PAREN = re.compile(r"\([^()]*\)")


def _split_list(text: str) -> list[str]:
    """The people of a list after a label, split at commas, semicolons and "and" outside parentheses: "Ruth Mensah
    (Secretary), Tom Alvarez (Treasurer, for item 42.4)" is two people."""
    if "(" not in text:
        return _LIST_SEP.split(text)
    kept: list[str] = []
    masked: list[str] = []
    pos = 0
    for m in _PAREN.finditer(text):
        masked.append(text[pos:m.start()])
        masked.append(f"\x00{len(kept)}\x00")
        kept.append(m.group(0))
        pos = m.end()
    masked.append(text[pos:])
    out = []
    for part in _LIST_SEP.split("".join(masked)):
        while "\x00" in part:
            a = part.index("\x00")
            z = part.index("\x00", a + 1)
            part = part[:a] + kept[int(part[a + 1:z])] + part[z + 1:]
        out.append(part)
    return out


class RollCall(Agenda):
    """The check-in list and the newcomers: who was there, as written."""

    def _attendees(self, block: Block, ctx: _Ctx, b: _Build) -> None:
        rows: list[tuple[P.Row, Block]] = []
        if isinstance(block, Para) and block.inline.flat.endswith(":") and "\n" not in block.inline.text:
            # "Directors Absent:" over the names of people who were not there; "Guests:" ends it
            b.absent = is_absence_label(block.inline.flat)
            return
        if b.absent and (isinstance(block, (ListBlock, Raw)) or isinstance(block, Para) and ":" not in block.inline.flat[:32]):
            return
        if isinstance(block, Raw):
            if block.text.lstrip()[:1] != "<":  # names written one a line in indented text (plain-text minutes)
                lines = [line.strip() for line in block.text.splitlines() if line.strip()]
                if lines and all(P._is_name_like(line) for line in lines):
                    rows.extend((P.Row(P.clean_name(line), None, None), block) for line in lines)
        elif isinstance(block, ListBlock):
            columns: list[str] | None = None
            live: list[Item] = []
            # a roster with boxes, some ticked: the unticked did not come
            ticked = any(item.task for item in block.items) and any(item.task is False for item in block.items)
            for item in block.items:
                if item.inline is None or ticked and item.task is False:
                    continue
                for row_text in _line_inlines(item.inline):  # a row written on the next line without a bullet
                    cols = P.column_order(row_text.flat.strip(" _*"))
                    if cols is not None:
                        columns = cols
                        continue
                    if is_placeholder(row_text.flat):
                        continue
                    live.append(item if row_text is item.inline else Item(item.start, inline=row_text))
            handle_col = _handle_column(live) if columns is None else None
            for item in live:
                assert item.inline is not None
                flat = item.inline.flat
                lm = _INLINE_LABEL.match(flat) if ":" in flat[:32] else None
                if lm and "/" not in lm.group(1):
                    if is_absence_label(lm.group(1)):
                        continue  # "- Regrets: Dan"
                    listed = self._people_list(flat, item.inline.links)
                    if self.table.classify(lm.group(1)) == "attendees" or len(listed) >= 2:
                        # "- People: Josh, Niko", "- Team members: nikomatsakis, Josh, scottmcm"
                        rows.extend((row, item) for row in listed)
                        continue
                    if not P._is_name_like(lm.group(1)):  # "- Minutes, driver: Josh", "- Regrets: Dan"
                        continue
                several = _several(flat) if columns is None else None
                if several is not None:
                    rows.extend((row, item) for row in several)  # "- Ann Lee, Bo Chen, Cy Dunn", "- @dave @erin"
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
                if lm and self.table.classify(lm.group(1)) == "attendees" and not is_absence_label(lm.group(1)):
                    # "Present: Alice Smith (@alice), Bob Jones, Carol" is a list of people
                    rows.extend((row, block) for row in self._people_list(line, block.inline.links))
                    continue
                if lm:  # "Apologies: Dan", "Note taker: Min"
                    continue
                several = _several(line)
                if several is not None:
                    rows.extend((row, block) for row in several)
                    continue
                parts = [p.strip() for p in line.split(",")] if "/" not in line and "," in line else [line]
                if len(parts) >= 2 and all(P._is_name_like(p, max_words=3) for p in parts):
                    for p in parts:
                        rows.append((P.Row(p, None, None), block))  # "Chaim Kirby, Jacob Kaplan-Moss, Katie ..."
                    continue
                if not (("/" in line or "@" in line or "|" in line) or len(line.split()) <= 3):
                    continue
                row = P.parse_row(Inline(line, [u for u in block.inline.links if u in line]), columns, None)
                if row is not None and (row.handle or row.affiliation or P._is_name_like(row.name or "")):
                    rows.append((row, block))
        elif isinstance(block, Table) and block.rows:
            header = [P.column_order(f"name / {c.flat}") for c in block.rows[0]]
            tcols: list[str | None] = [h[1] if h and len(h) == 2 else None for h in header]
            # a column saying who came ("| Name | Present |" with ✅/❌, Yes/No): the others did not attend
            here = next((i for i, c in enumerate(block.rows[0]) if c.flat.strip(" *_:").lower() in _PRESENCE_HEADERS), None)
            if here is not None and not any(here < len(cells) and cells[here].flat.strip() for cells in block.rows[1:]):
                here = None  # a column nobody filled in says nothing
            if here is not None:
                tcols[here] = "other"
            for cells in block.rows[1:]:
                if here is not None and (here >= len(cells) or cells[here].flat.strip(" .*_").lower() in _NOT_THERE):
                    continue
                name = handle = aff = pron = None
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
                    elif c == "pronouns":
                        pron = v  # "| Pronouns |": she/her, he/him, they/them as written
                    elif c == "other":
                        continue
                    elif c == "name" or name is None:
                        name = v
                if name and name.endswith(")") and "(" in name:
                    bare = name[: name.rindex("(")].strip()
                    if P._is_name_like(bare):
                        name = bare  # "Davanum Srinivas (Chair)": the role is not the name
                if name or handle:
                    rows.append((P.Row(name, handle, aff, pron), block))
        elif isinstance(block, Quote):
            for inner in block.blocks:
                self._attendees(inner, ctx, b)
        for row, src in rows:
            if P.is_bot(row.name or row.handle or ""):
                continue  # "zodbot (15)" in meetbot's "People present": the bot that took the minutes
            if row.affiliation is not None and row.affiliation.isdigit():
                row.affiliation = None  # "zbyszek (88)": lines said, not an organisation
            elif row.affiliation is not None and P.may_hold(row.affiliation, ("first", "new")) \
                    and _FIRST_TIME.search(row.affiliation) and len(row.affiliation) <= 40:
                row.affiliation = None  # "Nick (@nick) — first time here 👋": a remark, not an organisation
            b.attendees.append(Attendee(name=row.name, handle=row.handle, affiliation=row.affiliation,
                                        pronouns=row.pronouns, source=self.ref(src, ctx.anchor)))
            b.known |= P.known_forms(row.name, row.handle)
            if (isinstance(src, Item) and src.inline is not None and P.may_hold(src.inline.flat, ("first", "new"))
                    and _FIRST_TIME.search(src.inline.flat)):
                b.newcomers.append(row.name or row.handle or "")  # "Ana / Northwind (first time here!)"
            elif row.new:
                b.newcomers.append(row.name or row.handle or "")  # "Present: ..., Ana Ruiz (@ana, first meeting)"

    @staticmethod
    def _people_list(line: str, links: list[str]) -> list[P.Row]:
        """The people after a label: "Present: Alice Smith (@alice), Bob Jones and Carol"."""
        rows = []
        handles = _several(line[line.index(":") + 1:].strip())
        if handles is not None:
            return handles  # "Present: @frank @grace, @heidi"
        for part in _split_list(line[line.index(":") + 1:]):
            part = part.strip(" .")
            if not part or len(part.split()) > 6:
                continue
            row = P.parse_row(Inline(part, [u for u in links if u in part]), None, None)
            nick = (row.name or "") if row is not None and not row.handle else part
            if row is not None and (row.handle or P._is_name_like(row.name or "") or _NICK.match(nick) is not None
                                    and nick not in P.NOT_A_NAME):
                # "nikomatsakis", "dmitri (notes)": nicks, as IRC and GitHub people write themselves
                row.new = "(" in part and P.may_hold(part, ("first", "new")) and _FIRST_TIME.search(part) is not None
                rows.append(row)
        return rows

    def _newcomers(self, block: Block, ctx: _Ctx, b: _Build) -> None:
        inlines: list[Inline] = []
        if isinstance(block, ListBlock):
            inlines = [it.inline for it in block.items if it.inline is not None]
        elif isinstance(block, Para) and not block.inline.all_emphasis:
            inlines = [block.inline] if block.inline.strong_lead or "[name=" in block.inline.flat else []
        for inline in [line for whole in inlines for line in _line_inlines(whole)]:
            if (inline.all_emphasis or is_placeholder(inline.flat)
                    or P.may_hold(inline.flat, ("not", "returning")) and _NOT_NEW.search(inline.flat)):
                continue
            name = _newcomer_name(inline)
            if name and not P.is_placeholder_name(name):
                b.newcomers.append(name)
                b.known |= P.known_forms(name)
        self._scan(block, ctx, b)
