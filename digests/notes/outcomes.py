"""Decisions and action items: the sections that hold them, and the statements framed anywhere else."""

from __future__ import annotations

import re

from digests.notes import people as P
from digests.notes.blocks import Block, Inline, Item, ListBlock, Para, Quote, Table
from digests.notes.context import (
    _IMPERATIVE,
    _KNOWN_DOES,
    Stage,
    _Build,
    _child_inlines,
    _Ctx,
    _names_section,
    _topic,
    is_placeholder,
    says_nothing,
    split_pseudo_bullets,
    struck,
)
from digests.notes.records import ActionItem, AgendaItem, Decision
from digests.notes.statements import (
    action_in,
    assent_in,
    decision_in,
    is_action_label,
    is_decision_label,
    may_state,
    motion_moved,
    motion_outcome,
    owner_of,
    personal_assent,
    split_task,
    task_in,
)

_TASK_WORDS = re.compile(r"[\w@#]+")
_MENTION_LEAD = re.compile(
    r"^@(?P<who>[A-Z\u00C0-\u024F][\w\u00C0-\u024F'’\-]*(?:\s+[A-Z\u00C0-\u024F][\w\u00C0-\u024F'’\-]*){1,2}|[\w\-]{1,39})"
    r"\s*[:\-–—]?\s+(?=[a-z])"
)


# The columns of a table of tasks (CNCF, Confluence and Notion action-item tables).
_HEADER_WORDS = re.compile(r"[a-z]+")
_TASK_COLUMNS = frozenset({"action", "actions", "action item", "action items", "task", "tasks", "item", "todo", "to do",
                           "description", "what", "next step", "next steps", "follow up"})
_OWNER_COLUMNS = frozenset({"owner", "owners", "assignee", "assignees", "assigned to", "who", "responsible", "person",
                            "lead"})
_STATUS_COLUMNS = frozenset({"status", "state", "done", "complete", "completed"})
_DONE_WORDS = frozenset({"done", "closed", "complete", "completed", "finished", "resolved", "yes", "y", "x", "✓", "✅",
                         "✔", "✔️",
                         "☑", "☑️", "[x]", ":white_check_mark:", ":heavy_check_mark:"})



_NAME_VERB = re.compile(r"^([A-Z\u00C0-\u024F][\w\u00C0-\u024F'’\-]*)\s+[a-z]+\s+\S")


def _named_first(text: str, known: set[str]) -> str | None:
    """The owner of a task-list line that starts with the first name of someone the notes know and a verb
    ("Tim writes up the proposal", "Zach merge JEP 122"): lines of an action list name their owner first."""
    if not text[:1].isupper():
        return None
    m = _NAME_VERB.match(text)
    if m is None or len(m.group(1)) < 2 or m.group(1).lower() in _NOT_OWNER_WORDS:
        return None
    return m.group(1) if P._is_known(m.group(1), known) else None


_NOT_OWNER_WORDS = frozenset({"the", "a", "an", "we", "i", "it", "this", "that", "all", "everyone", "team"})

# Table columns that hold what was decided ("| Decision | Owner | Date |").
_DECISION_COLUMNS = frozenset(("decision", "decisions", "resolution", "outcome", "decision made", "what was decided"))

class Outcomes(Stage):
    """Decisions and action items: the sections that hold them, and the statements framed anywhere else."""

    def _is_statement(self, text: str, b: _Build) -> bool:
        if not may_state(text):
            return False
        return decision_in(text) is not None or action_in(text, b.known) is not None or task_in(text, b.known) is not None

    def _statements(self, block: Block, ctx: _Ctx, b: _Build, *, decision: bool) -> None:
        """Items of a decisions or action-items section (or of a list under such a label)."""
        if isinstance(block, ListBlock):
            for item in block.items:
                if item.inline is None or is_placeholder(item.inline.flat) or struck(item.inline.flat):
                    continue  # "~~Ana: book the venue~~": a struck task or decision was withdrawn
                if decision:
                    self._decision_item(item.inline, item, ctx, b)
                    self._scan_item_children(item, ctx, b)
                else:
                    self._task_item(item, ctx, b, None, ctx.topic)
            return
        inlines: list[tuple[Inline, Block]] = []
        if isinstance(block, Para) and not block.inline.all_emphasis:
            inlines = [(block.inline, block)]
        elif isinstance(block, Table) and len(block.rows) > 1 and not decision and self._task_table(block, ctx, b):
            return
        elif isinstance(block, Table) and len(block.rows) > 1:
            # "| Decision | Owner | Date |": the decision column says what was decided; the others are about it
            said = next((n for n, c in enumerate(block.rows[0]) if c.flat.strip(" *_:").lower() in _DECISION_COLUMNS), None) \
                if decision else None
            for cells in block.rows[1:]:
                if said is not None and said < len(cells) and cells[said].flat:
                    inlines.append((cells[said], block))
                elif cells:
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

    def _task_table(self, block: Table, ctx: _Ctx, b: _Build) -> bool:
        """A table of tasks with a task column and an owner column ("| Action | Owner | Due | Status |"): one task a
        row, its owner from its column, done when the status says so. False when the columns are not found."""
        header = [" ".join(_HEADER_WORDS.findall(c.flat.lower())) for c in block.rows[0]]
        what = next((i for i, h in enumerate(header) if h in _TASK_COLUMNS), None)
        who = next((i for i, h in enumerate(header) if h in _OWNER_COLUMNS), None)
        if what is None or who is None:
            return False
        state = next((i for i, h in enumerate(header) if h in _STATUS_COLUMNS), None)
        for cells in block.rows[1:]:
            if what >= len(cells) or not cells[what].flat.strip() or is_placeholder(cells[what].flat):
                continue
            owner = P.clean_name(cells[who].flat) if who < len(cells) else ""
            status = cells[state].flat.strip().lower() if state is not None and state < len(cells) else ""
            self._add_action(b, ActionItem(text=cells[what].flat.strip(), owner=owner or None, topic=ctx.topic,
                                           done=status.strip(" .!*") in _DONE_WORDS, source=self.ref(block, ctx.anchor)))
        return True

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
            name = text.strip(" *:")
            if name.lower() == "unassigned" or P._is_known(name, b.known):
                # meetbot's "Action items, by person": "* melwitt" over that person's tasks
                self._tasks_under(item, ctx, b, None if name.lower() == "unassigned" else name, topic)
                return
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
        if not text or self._is_template(text) or says_nothing(text.strip("()")):
            return
        if len(inline.link_texts) == 1 and " ".join(inline.link_texts[0][0].split()) == inline.flat:
            return  # "[Action items list](https://...)": a link to the list, not a task
        if lead.person is None and text[:1] == "@":
            m = _MENTION_LEAD.match(text)  # "@ngoldbaum open a tracking issue", "@Tomás Ortega schedule the window"
            if m and not text[m.end():].startswith(("to ", "will ", "shall ")):  # "@adrinjalali to ..." stays whole
                who = m.group("who")
                lead = P.Lead(who if " " in who else who.lower(), text[m.end():], explicit=True)
                text = lead.rest
        if text.rstrip()[-1:] == "?":
            # a question in a task list is a topic to discuss ("[AN] Who should own the status page?")
            b.agenda.append(AgendaItem(title=text, owner=lead.person, source=self.ref(src, ctx.anchor)))
            return
        found = action_in(text, b.known)
        if found is None:
            found = task_in(text, b.known)
        body = found[0] if found else text
        who = lead.person or (found[1] if found else None) or owner_of(body, b.known) or owner \
            or _named_first(body, b.known)
        self._add_action(b, ActionItem(text=body, owner=who, topic=topic, done=done, source=self.ref(src, ctx.anchor)))

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
        if lead.person is None and motion_moved(text):
            b.motion = (text, ctx.topic)
            return
        if kind != "decisions":
            found = decision_in(text)
            if found and b.motion is not None and b.motion[1] == ctx.topic and motion_outcome(found):
                found = f"{b.motion[0]} {found}"  # "The motion carried." after the motion it decides
                b.motion = None
            if found and lead.person is not None and personal_assent(text):
                found = None  # "scottmcm: agreed, ..." is one person's view
            if found:
                if "; " in found:
                    found, task = split_task(found, b.known)
                    if task is not None:
                        self._add_action(b, ActionItem(text=task[0], owner=task[1], topic=ctx.topic,
                                                       source=self.ref(src, ctx.anchor)))
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
        if decision.topic and " " not in decision.text.strip():
            key = ("d", f"{decision.topic}\n{decision.text}")  # "Accepted" on two proposals: two decisions
        if key in b.seen_statements or not decision.text.strip():
            return
        b.seen_statements.add(key)
        b.decisions.append(decision)

    def _add_action(self, b: _Build, action: ActionItem) -> None:
        # The same task in the discussion and in the action list ("Rob will send X." / "Rob to send X") is one task.
        key = ("a", " ".join(w for w in _TASK_WORDS.findall(action.text.lower()) if w not in ("will", "to", "shall")))
        if key in b.seen_statements or not action.text.strip():
            return
        b.seen_statements.add(key)
        b.actions.append(action)
