"""Updates and celebrations: who posted an item, what it says (with its Markdown links), who is thanked."""

from __future__ import annotations

import re

from digests.notes import people as P
from digests.notes.blocks import Block, Inline, Item, ListBlock, Para, Quote
from digests.notes.context import (
    _ADDED_BY,
    _NAME_ONLY,
    _PASS_RE,
    _UPDATE_BY,
    _WELCOME,
    _Build,
    _child_inlines,
    _Ctx,
    _ItemMaker,
    _join,
    _markdown_of,
    _topic,
    is_placeholder,
)
from digests.notes.outcomes import Outcomes
from digests.notes.records import Celebration, Update

# How an item that thanks someone starts ("Thanks to", "Thank you", "Kudos to", "Shout-out", "Congrats").
_THANKS_HEADS = frozenset(("thank", "kudos", "shout", "congr"))


class Items(Outcomes):
    """Updates and celebrations: who posted an item, what it says (with its Markdown links), who is thanked."""

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
            added = _ADDED_BY.search(rest) if P.may_hold(rest, ("by",)) else None
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
        markdown = _join(_markdown_of(inline, rest), [Inline(_markdown_of(c, c.flat), []) for c in kept], kept)
        if person:
            b.known |= P.known_forms(person)
        return person, text, markdown if markdown != text else "", kept

    def _update(self, inline: Inline, src: Block, ctx: _Ctx, b: _Build) -> None:
        if inline.flat[:5].lower() in _THANKS_HEADS:
            self._celebration(inline, src, ctx, b)  # "Thanks to Sam for fixing CI!" under Updates: a celebration
            return
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
