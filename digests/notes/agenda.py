"""Agenda topics: list items, sub-headings and tables, with their owners, minutes, answers and tasks."""

from __future__ import annotations

import re

from digests.notes import people as P
from digests.notes.blocks import Block, Heading, Inline, Item, ListBlock, Para, Table
from digests.notes.context import (
    _ENUMERATION,
    _IMPERATIVE,
    _LOGISTICS,
    _NAME_ONLY,
    _NUMBER,
    _SHORTCODE,
    _WELCOME,
    _WORDS,
    _block_links,
    _Build,
    _child_inlines,
    _Ctx,
    _generic_heading,
    _title_words,
    _topic,
    _unit_inlines,
    is_placeholder,
    is_procedure,
    split_pseudo_bullets,
    struck,
)
from digests.notes.items import Items
from digests.notes.records import ActionItem, AgendaItem, Decision
from digests.notes.sections import normalize_heading
from digests.notes.statements import is_action_label, outcome_after_colon, split_task

_MEETBOT_LINE = re.compile(r"^(?:AGREED|ACTION|INFO|LINK|IDEA|HELP|VOTE|DECISION|RESOLVED|ACCEPTED|REJECTED):\s")


# A dotted item number before a capitalised title ("42.4 Financial report", "3.1 Budget"), not a version ("3.12 release")
_SECTION_NUMBER = re.compile(r"^\d{1,3}(?:\.\d{1,2})+\.?\s+(?=[A-Z])")



# A bullet that states an outcome ("Agreed to ship.", "We decided to drop 3.8", "Resolved: ..."): not a topic.
_DECIDED_HEADS = frozenset("ADRCWadrcw")
_DECIDED = re.compile(r"(?:we\s+)?(?:agreed|decided|resolved|consensus)\b(?!\s*\?)(?=[^?]*$)", re.IGNORECASE)
# Labels before a topic's title ("Discuss:", "Discussion:", "FYI:", "[Discussion]"): not part of the title.
_LABEL_HEADS = frozenset("DdFf[")
_TOPIC_LABEL = re.compile(r"^(?:(?:discuss(?:ion)?|fyi)\s*:\s+|\[(?:discuss(?:ion)?|fyi)\]\s*)(?=\S)", re.IGNORECASE)
_SHORTCODE_END = re.compile(r"\s:[a-z0-9_+\-]{1,40}:$")  # "1.0 released :tada:": an emoji, not a label's colon

class Agenda(Items):
    """Agenda topics: list items, sub-headings and tables, with their owners, minutes, answers and tasks."""

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
                flat = item.inline.flat if item.inline is not None else ""
                if b.agenda and flat[:1].isupper() and _MEETBOT_LINE.match(flat):
                    # "AGREED: ...", "ACTION: ..." a level too shallow under a meetbot topic: the topic's record
                    under = b.agenda[-1].title
                    record = b.more_discussion.setdefault(len(b.agenda) - 1, ([], {}))
                    record[0].append(flat)
                    for url in item.inline.links if item.inline is not None else ():
                        record[1].setdefault(url, None)
                    self._scan(ListBlock(block.start, items=[item], ordered=block.ordered), self._topic_ctx(ctx, under), b)
                    continue
                self._agenda_item(item, ctx, b, ctx.person)
        elif isinstance(block, Table) and len(block.rows) > 1:
            self._agenda_table(block, ctx, b)
        elif isinstance(block, Para) and ctx.topic is None and b.agenda:
            # a paragraph after the agenda's items ("Conclusion was that ...") is about the item it names
            words = _title_words(b.last_para + " " + block.inline.flat)
            best: str | None = None
            best_shared = 1
            for topic in b.agenda:
                shared = len([w for w in words & _title_words(topic.title) if len(w) >= 4])
                if shared > best_shared:
                    best, best_shared = topic.title, shared
            b.last_para = block.inline.flat
            self._scan(block, self._topic_ctx(ctx, best), b)
        else:
            self._scan(block, ctx, b)

    def _agenda_item(self, item: Item, ctx: _Ctx, b: _Build, person: str | None) -> None:
        if item.inline is None or is_placeholder(item.inline.flat):
            self._scan_item_children(item, ctx, b)
            return
        flat = item.inline.flat
        if struck(flat):
            return  # "~~Discuss the logo~~ (moved)": a struck topic was withdrawn
        if flat[:7].lower() == "welcome" and _WELCOME.search(flat):
            self._celebration(item.inline, item, ctx, b)  # "Welcome @rosa to the team!": a newcomer, not a topic
            return
        if not item.blocks and flat[:1] in _DECIDED_HEADS and _DECIDED.match(flat):
            self._scan_inline(item.inline, item, ctx, b)  # "Agreed to ship 8.2.": a decision among the topics, no topic
            return
        if item.inline.fragments and len(item.inline.flat) <= 40 and not item.blocks and (
                self.table.classify(item.inline.flat) is not None or _generic_heading(item.inline.flat) is not None):
            return  # "[Attendees](#attendees)" in a table of contents: a part of the page, not a topic
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
        if _LOGISTICS.match(title) or is_procedure(title):
            if is_procedure(title):
                self._scan_item_children(item, ctx, b)
            return  # "Next call: Tue, March 28", "Zoom: ...", "init process": about the meeting, not a topic
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
        said: list[str] = []
        strong = head.strong_lead
        if owner is None and minutes is None and strong is not None and ":" in title[:len(strong) + 3]:
            # "**Budget Review**: Alice walked through the numbers": the bold words are the topic, the rest its notes
            bold = " ".join(strong.split()).strip(" :")
            rest = title[len(bold):].lstrip(" *:") if title.startswith(bold) else ""
            if bold and rest and len(rest.split()) >= 3 and 2 <= len(bold.split()) <= 8 and not is_procedure(bold):
                title, said = bold, [rest]
        title = title.strip()
        if title[:1] in _LABEL_HEADS:
            title = _TOPIC_LABEL.sub("", title, count=1)  # "Discuss: budget", "FYI: runners", "[Discussion] X"
        same_line = outcome_after_colon(title) if ": " in title else None
        if same_line is not None:
            title = same_line[0]
        colon = title.endswith(":") and not (title[-2:-1].isalnum() and _SHORTCODE_END.search(title))
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
            discussion=tuple(said) + tuple(pseudo) + tuple(c.flat for c in children if c.flat),
            links=tuple(links), source=self.ref(item, ctx.anchor)))
        topic_ctx = self._topic_ctx(ctx, title)
        if same_line is not None and same_line[1]:  # "#53470 deprecate X: agreed, deprecate in 1.12."
            outcome, task = split_task(same_line[1], b.known) if "; " in same_line[1] else (same_line[1], None)
            self._add_decision(b, Decision(text=outcome, topic=topic_ctx.topic, source=self.ref(item, ctx.anchor)))
            if task is not None:
                self._add_action(b, ActionItem(text=task[0], owner=task[1], topic=topic_ctx.topic,
                                               source=self.ref(item, ctx.anchor)))
        if ctx.outcome:
            self._add_decision(b, Decision(text=ctx.outcome, topic=topic_ctx.topic, source=self.ref(item, ctx.anchor)))
        if lead.explicit and owner and _IMPERATIVE.match(title):
            # "[Lars] Send out the poll for the new slot": a topic that is a task for its owner
            self._add_action(b, ActionItem(text=title, owner=owner, topic=ctx.topic, done=bool(item.task),
                                           source=self.ref(item, ctx.anchor)))
        if same_line is None:
            self._scan_inline(head, item, ctx, b)
        for extra in pseudo:
            self._scan_inline(Inline(extra, []), item, topic_ctx, b)
        self._scan_item_children(item, ctx, b, topic=_topic(title), answers=True)

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
        same = normalize_heading(_ENUMERATION.sub("", text))
        if same and len(same) <= 12:  # "### Q&A" over the notes of the agenda's "3. Q&A": too short for shared words
            for i in b.list_items:
                if normalize_heading(b.agenda[i].title) == same:
                    return i
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
        if title[:1].isdigit():
            title = _SECTION_NUMBER.sub("", title)  # "42.4 Financial report": formal minutes number their items
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
            if t >= len(cells) or not cells[t].flat or is_placeholder(cells[t].flat) or struck(cells[t].flat):
                continue  # a struck row ("~~StatefulSet start ordinal~~") was withdrawn
            title = cells[t].flat
            if title[:1] in _LABEL_HEADS:
                title = _TOPIC_LABEL.sub("", title, count=1)  # "[Discussion] KEP-3973: ..."
            minutes = None
            if m is not None and m < len(cells):
                mm = _NUMBER.search(cells[m].flat)
                minutes = int(mm.group(0)) if mm else None
            owner = cells[o].flat.strip() or None if o is not None and o < len(cells) else None
            disc = (cells[d].flat,) if d is not None and d < len(cells) and cells[d].flat else ()
            links = tuple(dict.fromkeys(u for c in cells for u in c.links))
            b.agenda.append(AgendaItem(title=title, owner=owner, minutes=minutes, discussion=disc,
                                       links=links, source=self.ref(block, ctx.anchor)))
            if disc and d is not None:  # "Weekly rotation from April 8. Decision: Hannah takes the first week."
                self._scan_inline(cells[d], block, self._topic_ctx(ctx, title), b)
