"""Which section each block of a meeting belongs to, told by its heading and by what it holds."""

from __future__ import annotations

import re
from collections.abc import Iterator

from digests.notes import people as P
from digests.notes.blocks import Block, Heading, Inline, ListBlock, Para, Raw, Table, find_urls
from digests.notes.context import (
    _INLINE_LABEL,
    _LABEL_TAIL,
    _OPEN_QUESTIONS,
    _REPO_HEADING,
    _SHORTCODE,
    _TOPIC_NUMBER,
    STATUS_GROUPS,
    _Ctx,
    _generic_heading,
    _names_section,
    _roll_table,
    _unit_inlines,
    is_absence_label,
    is_procedure,
    says_nothing,
)
from digests.notes.dates import heading_date
from digests.notes.rollcall import RollCall
from digests.notes.sections import DEFAULT_HEADINGS, normalize_heading


class Sections(RollCall):
    """Which section each block of a meeting belongs to, told by its heading and by what it holds."""

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
        outcome: tuple[str, int] | None = None  # a status heading's decision and level
        unfolded: set[int] = set()
        bold_at: int | None = None  # the level of the bold lines read as topic headings
        span = _unfold_numbered(span, level, unfolded)
        has_agenda = self._has_agenda(span)
        # One meeting's minutes without an agenda ("Backups", "Mailing list migration" under the title): its headings
        # are its business, as an archive meeting's are
        topical = dated or not has_agenda
        listed_agenda = has_agenda
        has_agenda = dated and has_agenda
        for n, block in enumerate(span):
            written = block  # the block as written (a bold or "Topic:" line may be read as a heading)
            if isinstance(block, Para) and _bold_topic(block):
                top_kind = stack[-1][0] if stack else None
                if bold_at is not None:
                    block = Heading(block.start, level=bold_at, inline=block.inline)  # the next one of the same run
                elif top_kind in ("agenda", "notes") or (top_kind is None and dated and not stack) or (
                        topical and not dated and len(stack) == 1 and top_kind is None):
                    # "**Release planning**" alone on its line, its notes below: a topic written in bold
                    block = Heading(block.start, level=(stack[-1][1] if stack else level) + 1, inline=block.inline)
                    bold_at = block.level
            elif isinstance(block, Para) and block.inline.flat[:8].lower().startswith(("topic", "subtopic")):
                title = _topic_line(block)
                nxt_block = span[n + 1] if n + 1 < len(span) else None
                if title is not None and nxt_block is not None and not isinstance(nxt_block, Heading):
                    # "Topic: Screen Wake Lock API" (scribe minutes, IRC meetings): the notes below are that topic's
                    top_kind = stack[-1][0] if stack else None
                    if bold_at is None and top_kind in (None, "agenda", "notes"):
                        bold_at = (stack[-1][1] if stack else level) + 1
                    if bold_at is not None:
                        block = Heading(block.start, level=bold_at, inline=Inline(title, block.inline.links))
            if isinstance(block, Heading):
                pending_label = None
                lvl = block.level
                if bold_at is not None and lvl <= bold_at and written is block:
                    bold_at = None  # a heading as written ends the run of bold or "Topic:" lines
                if person is not None and person[1] >= lvl:
                    person = None
                if outcome is not None and outcome[1] >= lvl:
                    outcome = None
                anchor = self.anchors.get(id(block))
                while stack and stack[-1][1] >= lvl:
                    stack.pop()
                if sub is not None and sub_level >= lvl:
                    sub = None
                top = stack[-1][0] if stack else None
                flat = block.inline.flat
                found = self.table.classify(flat)
                if found == "agenda" and _TOPIC_NUMBER.match(flat) and not _names_agenda(flat):
                    found = None  # "## 1. Consent agenda": a numbered part of the minutes is a topic
                if found == "decisions" and _OPEN_QUESTIONS.match(normalize_heading(flat)):
                    found = "agenda"  # "Decisions we need": questions to settle, not decisions taken
                generic = _generic_heading(flat)
                if generic is None and (is_absence_label(flat) or found is None and is_procedure(flat)
                                        or found is None and top != "agenda" and self._says_nothing(span, n, lvl)):
                    generic = "skip"  # "Links", "Call to order", "Regrets", a section that only says "None."
                if generic == "skip":
                    stack.append(("skip", lvl, anchor))
                    sub = None
                    continue
                if top == "skip":
                    continue
                if top in ("agenda", "notes") and found is not None and not _names_section(flat, found, self.table) \
                        and not (found in ("decisions", "action_items") and self._starts_with_kind(flat, found)):
                    # "Quick intros round", "Team check-in on the sprint", "=== Review of the decision record template ==="
                    # under "== Notes ==": topics that hold a section word
                    found = None
                if top == "agenda" and sub is not None and lvl > sub_level and found is None:
                    continue  # a heading inside an agenda item's notes
                if top == "agenda" and (generic == "notes" or found == "agenda" and _names_section(flat, found, self.table)):
                    sub = None  # "### Notes" or "### Agenda" under the agenda: its items are topics, it is not one
                    continue
                status = STATUS_GROUPS.get(normalize_heading(flat)) if found is None and len(flat) <= 20 else None
                if status is not None:
                    stack.append(("agenda", lvl, anchor))  # "**Accepted**" over proposals: topics, and their outcome
                    sub = None
                    outcome = (status, lvl) if status else None
                    continue
                nxt = span[n + 1] if n + 1 < len(span) else None
                group = (found is None and isinstance(nxt, Heading) and nxt.level > lvl
                         and self._groups_topics(span, n, lvl)) or _REPO_HEADING.match(flat) is not None
                if group and (top in ("agenda", "notes", "updates", "celebrations") or top is None and (dated or id(block) in unfolded)):
                    # "## Nominated RFCs, PRs and issues" over "###" topics, "### nodejs/node" over a list of issues:
                    # a heading that groups topics is not one
                    stack.append(("agenda", lvl, anchor))
                    sub = None
                    continue
                if top == "agenda" and found is None and self._says_nothing(span, n, lvl):
                    stack.append(("skip", lvl, anchor))  # "### Pending proposals" over "None.": nothing was discussed
                    sub = None
                    continue
                if found is not None and not (top == "agenda" and found == "agenda"):
                    if found == "action_items" and _REVIEWED.search(flat):
                        found = "reviewed"  # "Action items from last meeting": earlier tasks; those done are history
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
                elif (top is None or top == "notes") and (dated or top == "notes" or id(block) in unfolded
                                                          or topical and not self._opens_roll_call(span, n)) and lvl > 1 \
                        and heading_date(flat) is None:
                    stack.append(("agenda", lvl - 1, anchor))  # a topic written as a heading
                    sub, sub_level, sub_anchor = block, lvl, anchor
                    yield block, _Ctx("agenda", anchor, sub, sub_anchor, person=person[0] if person else None)
                elif top is None or top == "notes":
                    stack.append((None, lvl, anchor))
                elif top in ("updates", "celebrations"):
                    name = P.clean_name(_SHORTCODE.sub("", flat))
                    # a numbered part of formal minutes ("4. Metrics") labels its items, it is nobody's name
                    if id(block) not in unfolded and P._is_name_like(name, max_words=3):
                        person = (name, lvl)
                continue
            kind = stack[-1][0] if stack else None
            if kind == "skip" or isinstance(block, Para) and _tool_footer(block.inline.flat):
                continue
            label = None
            if isinstance(block, (ListBlock, Table)) and pending_label:
                label = pending_label
            pending_label = None
            if isinstance(block, Para) and not block.inline.all_emphasis:
                pending_label = self._label_kind(block.inline)
                if pending_label is None and kind not in ("newcomers", "updates", "celebrations") \
                        and _add_your_name(block.inline.flat):
                    pending_label = "attendees"  # "Please add your name below (Name | Affiliation | GitHub handle):"
                lm = _INLINE_LABEL.match(block.inline.flat)
                if pending_label is None and lm and self.table.classify(lm.group(1)) == "attendees":
                    label = "attendees"  # "Attendees: Ana, Bo, Carol"
                elif pending_label is None and "\n" in block.inline.text and ":" in block.inline.text and any(
                        self.table.classify(m.group(1)) == "attendees"
                        for line in block.inline.lines for m in [_INLINE_LABEL.match(line)] if m is not None):
                    label = "attendees"  # a page's properties (Notion): "Created: ...\nParticipants: Ana, Bo"
            elif isinstance(block, Table) and kind != "agenda" and _roll_table(block):
                label = "attendees"  # a table of names and handles, with or without a roll-call heading
            if kind == "notes":
                # a flat list of notes after the agenda was listed ("**Agenda**" 1. 2., then "**Notes**" * ...): the
                # minutes of those topics, not more topics
                kind = "agenda" if isinstance(block, ListBlock) and not (
                    listed_agenda and sub is None and _flat_list(block)) else None
            elif (kind is None and label is None and dated and not has_agenda and isinstance(block, ListBlock)
                  and not stack):
                kind = "agenda"  # topics straight under the meeting's dated heading
            who = person[0] if person is not None and kind in ("updates", "celebrations", "agenda") else None
            yield block, _Ctx(kind, anchor, sub if kind == "agenda" else None, sub_anchor, label, who,
                              outcome=outcome[0] if outcome is not None and kind == "agenda" else None)

    def _groups_topics(self, span: list[Block], n: int, level: int) -> bool:
        """Whether a heading with no body of its own groups topics: one of the headings right below it names no
        section ("## Meeting roundup" over "### Action item review" and "### Pending proposals"), and it is not
        a person's block ("### Rosa Lind" over "#### Kudos")."""
        child: int | None = None
        for block in span[n + 1:]:
            if isinstance(block, Heading):
                if block.level <= level:
                    break
                if child is None:
                    child = block.level
                if block.level == child and self.table.classify(block.inline.flat) is None:
                    return not self._person_heading(span[n], span, n)  # type: ignore[arg-type]
        return False

    def _says_nothing(self, span: list[Block], n: int, level: int) -> bool:
        """Whether the body of the heading at ``span[n]`` only says that nothing was discussed ("None.",
        "Skipped this week.", "Nothing to report this month.")."""
        seen = False
        for block in span[n + 1:]:
            if isinstance(block, Heading):
                if block.level <= level:
                    break
                return False
            for inline in _unit_inlines(block, depth=99):
                if not says_nothing(inline.flat):
                    return False
                seen = True
            if not isinstance(block, (Para, ListBlock)):
                return False
        return seen

    def _starts_with_kind(self, text: str, kind: str) -> bool:
        """"Action items from last week", "Decisions made today": the heading starts with its section's name."""
        words = normalize_heading(text).split()
        return any(self.table.classify(" ".join(words[:k])) == kind for k in (1, 2, 3))

    def _opens_roll_call(self, span: list[Block], n: int) -> bool:
        """"## Welcome" over "Roll call:" and its list: a heading over the check-in is no topic."""
        nxt = span[n + 1] if n + 1 < len(span) else None
        if not isinstance(nxt, Para):
            return isinstance(nxt, Table) and _roll_table(nxt)
        if self._label_kind(nxt.inline) == "attendees":
            return True
        lm = _INLINE_LABEL.match(nxt.inline.flat)
        return lm is not None and self.table.classify(lm.group(1)) == "attendees"

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


# The line a minutes tool signs its output with: "Minutes manually created (not a transcript), formatted by
# scribe.perl version 221", "Generated by MeetBot 0.1.4", "Minutes formatted by Meetingology".
# A heading over earlier tasks: "Action items from last meeting", "Review of previous actions".
_REVIEWED = re.compile(r"\b(?:last|previous|prior|past|earlier)\s+(?:meeting|call|week|time|actions?|action items?)\b|\breview\b", re.IGNORECASE)
_TOOL_FOOTER = re.compile(r"\b(?:generated|formatted|created|produced)\s+(?:by|with|using)\s+\[?(?:scribe\.perl|scribe2?|"
                          r"meetbot|supybot|zodbot|limnoria|meetingology|meeting\s*bot)\b", re.IGNORECASE)


def _tool_footer(text: str) -> bool:
    low = text[:400].lower()
    return ("scribe" in low or "bot" in low or "meetingology" in low) and " by " in low \
        and _TOOL_FOOTER.search(text) is not None


_ADD_NAME = re.compile(r"\b(?:add|put|write|enter)\s+(?:your\s+names?|yourselves|yourself)\b(?:[^.!?\n]{0,60}\b(?:below|here|list))?",
                       re.IGNORECASE)


def _add_your_name(text: str) -> bool:
    """"Please add your name below", "Add yourself to the list:": the sign-in list follows (not an introduction's)."""
    if len(text) > 200 or "your" not in text.lower():
        return False
    low = text.lower()
    if "introduc" in low or "first time" in low or "new to" in low or "update" in low or "agenda" in low:
        return False
    return _ADD_NAME.search(text) is not None and (text.rstrip()[-1:] == ":" or "below" in low)


def _flat_list(block: ListBlock) -> bool:
    return all(not any(isinstance(c, ListBlock) for c in item.blocks) for item in block.items)


_TOPIC_LINE = re.compile(r"^(?:sub)?topic\s*[:\-–—]\s*(?=\S)", re.IGNORECASE)


def _topic_line(block: Para) -> str | None:
    """The title of a "Topic: ..." line alone in its paragraph, or None."""
    text = block.inline.text.strip()
    if "\n" in text or len(text) > 160:
        return None
    m = _TOPIC_LINE.match(text)
    return " ".join(text[m.end():].split()) or None if m else None


def _bold_topic(block: Para) -> bool:
    """A paragraph that is one short bold phrase, not a section's name nor a date: a topic's title."""
    inline = block.inline
    lead = inline.strong_lead
    if lead is None or "\n" in inline.text:
        return False
    flat = inline.flat.strip(" *:")
    if not flat or " ".join(lead.split()).strip(" *:") != flat or len(flat.split()) > 10:
        return False
    return heading_date(flat) is None and not flat.endswith((".", "?", "!"))


def _heading_like(inline: Inline | None) -> bool:
    if inline is None or "\n" in inline.text:
        return False
    flat = inline.flat
    return (0 < len(flat.split()) <= 10 and flat[-1:] not in ".?!" and "/" not in flat and "@" not in flat
            and "://" not in flat)


def _unfold_numbered(span: list[Block], level: int, unfolded: set[int]) -> list[Block]:
    """Numbered items that act as sub-headings ("1. Blockers and help wanted" over a list, "2. Decisions we
    need" over its points, as formal minutes number their parts) become headings one level below the
    heading above them, their nested blocks following (the new headings' ids go into ``unfolded``: the parts of
    formal minutes are its topics). Indented plain text under them (minutes kept as text files) is read as
    paragraphs."""
    if not any(isinstance(b, ListBlock) and b.ordered for b in span):
        return span
    out: list[Block] = []
    current = level
    for n, block in enumerate(span):
        if isinstance(block, Heading):
            current = block.level
        if isinstance(block, ListBlock) and block.ordered and block.items and all(
                _heading_like(item.inline) for item in block.items):
            nxt = span[n + 1] if n + 1 < len(span) else None
            nested = any(item.blocks for item in block.items)
            alone = len(block.items) == 1 and isinstance(nxt, ListBlock) and not nxt.ordered
            if nested or alone:
                for item in block.items:
                    assert item.inline is not None
                    heading = Heading(item.start, level=min(current + 1, 6), inline=item.inline)
                    unfolded.add(id(heading))
                    out.append(heading)
                    for child in item.blocks:
                        if isinstance(child, Raw) and child.text.lstrip()[:1] != "<":
                            out.extend(_text_paras(child))
                        else:
                            out.append(child)
                continue
        out.append(block)
    return out


def _text_paras(raw: Raw) -> list[Block]:
    """Indented plain text (a code block to Markdown) as the paragraphs it is: one per run of non-blank lines."""
    out: list[Block] = []
    for chunk in raw.text.split("\n\n"):
        lines = [line.strip() for line in chunk.splitlines() if line.strip()]
        if lines:
            text = "\n".join(lines)
            out.append(Para(raw.start, inline=Inline(text, find_urls(text))))
    return out


_AGENDA_NAMES = frozenset(DEFAULT_HEADINGS["agenda"])


def _names_agenda(text: str) -> bool:
    return normalize_heading(_TOPIC_NUMBER.sub("", text)) in _AGENDA_NAMES
