"""Which kind of section a heading (or a list label such as "Roll call:") introduces.

Notes drift: "Check-in :raising_hand:", "### Attendees", "Roll call", "Sign-in" all mean the same
thing. A heading is normalised (``:shortcodes:``, emoji and punctuation dropped, lower case) and
matched against phrases per kind; the longest phrase found wins, so "Action items" is an action
list, not an agenda, and "Reports and celebrations" is celebrations.

Admins extend the table from config with a mapping kind -> extra phrases::

    table = SectionTable({"celebrations": ["Bravo corner"], "agenda": ["Sujets"]})
    table.classify("## Bravo corner :trophy:")  # -> "celebrations"
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Literal, get_args

SectionKind = Literal["attendees", "newcomers", "updates", "celebrations", "agenda", "decisions", "action_items"]
SECTION_KINDS: tuple[str, ...] = get_args(SectionKind)

DEFAULT_HEADINGS: Mapping[str, tuple[str, ...]] = {
    "attendees": (
        "attendees", "attendance", "attending", "present", "participants", "roll call", "rollcall",
        "check in", "checkin", "check ins", "sign in", "signin", "sign ins", "who is here", "who s here",
        "in attendance", "members present", "people present", "people", "attendee list",
    ),
    "newcomers": (
        "introductions", "introduction", "introduce yourself", "introduce yourselves", "intros",
        "newcomers", "new attendees", "new faces", "new members", "welcome newcomers", "first time here",
        "new participants",
    ),
    "updates": (
        "quick updates", "updates", "status updates", "status update", "round robin", "round table",
        "roundtable", "project updates", "team updates", "news", "progress", "what s new",
        "lightning updates", "weekly updates", "what is everyone working on", "what are you working on",
        "working on", "round the table", "around the table", "status round", "progress since last sync",
        "highlights", "community highlights", "announcements", "informational items", "news and updates",
        "project news", "status reports", "status report", "check ins from each person", "weekly status", "tour de table",
        "tour of the table", "table round",
    ),
    "celebrations": (
        "celebrations", "celebration", "reports and celebrations", "shout outs", "shoutouts",
        "shout out", "kudos", "thanks", "thank yous", "thank you", "things to celebrate", "wins",
        "good news", "gratitude", "appreciation", "appreciations", "celebrate", "reports",
        "kudos i want to share", "kudos and anything else", "victories", "hall of fame",
    ),
    "agenda": (
        "agenda", "agenda items", "discussion", "discussion items", "discussion topics", "topics", "contents",
        "table of contents",
        "talking points", "items to discuss", "main topics", "open discussion", "open for discussion",
        "for discussion", "to discuss", "recurring items", "standing items", "recurring topics", "new items",
        "other items", "discussion points", "agenda and notes", "agenda notes",
    ),
    "decisions": (
        "decisions", "decision", "decisions made", "decision log", "resolutions", "agreements",
        "outcomes", "conclusions", "what we decided",
    ),
    "action_items": (
        "action items", "action item", "action points", "actions", "next actions", "next steps",
        "todo", "todos", "to do", "to dos", "follow ups", "follow up", "followups", "tasks", "ais",
        "takeaways and next steps", "action list", "actionable items", "actionables",
    ),
}

_SHORTCODE = re.compile(r":[a-z0-9_+\-]+:")
_NON_WORD = re.compile(r"[^0-9a-z]+")


@lru_cache(maxsize=4096)  # the same headings and labels come back in every meeting of a source
def normalize_heading(text: str) -> str:
    """``"Celebrations and Shout-Outs :tada:"`` -> ``"celebrations and shout outs"``."""
    text = text.lower()
    if ":" in text:
        text = _SHORTCODE.sub(" ", text)
    return _NON_WORD.sub(" ", text).strip()


class SectionTable:
    """Heading phrases per section kind: the defaults plus what config adds."""

    def __init__(self, extra: Mapping[str, Iterable[str]] | None = None) -> None:
        phrases: dict[str, set[str]] = {k: {normalize_heading(p) for p in v} for k, v in DEFAULT_HEADINGS.items()}
        for kind, more in (extra or {}).items():
            if kind not in phrases:
                raise ValueError(
                    f"unknown notes section kind {kind!r}; expected one of: {', '.join(SECTION_KINDS)}"
                )
            if isinstance(more, str):
                more = [more]
            for phrase in more:
                norm = normalize_heading(str(phrase))
                if not norm:
                    raise ValueError(f"heading phrase {phrase!r} for {kind!r} has no letters or digits")
                phrases[kind].add(norm)
        # Longest phrases first; padded with spaces so a phrase only matches whole words.
        self._ordered: list[tuple[str, str]] = sorted(
            ((f" {p} ", k) for k, ps in phrases.items() for p in ps), key=lambda pk: (-len(pk[0]), pk[0])
        )
        self._cache: dict[str, str | None] = {}

    def classify(self, text: str) -> str | None:
        """The section kind a heading or label names, or None."""
        cached = self._cache.get(text, "")
        if cached != "":
            return cached
        norm = f" {normalize_heading(text)} "
        found: str | None = None
        if len(norm) <= 80:  # a long sentence is not a heading we can trust
            for phrase, kind in self._ordered:
                if phrase in norm:
                    found = kind
                    break
            if found == "celebrations" and _NEWS.search(norm):
                found = "updates"  # "News and kudos": a news section, where thanks are still celebrations
        if len(self._cache) < 4096:
            self._cache[text] = found
        return found


_NEWS = re.compile(r" (?:news|highlights|announcements) ")


@lru_cache(maxsize=32)
def _table_for(extra: tuple[tuple[str, tuple[str, ...]], ...]) -> SectionTable:
    return SectionTable(dict(extra))


def section_table(headings: Mapping[str, Iterable[str]] | SectionTable | None) -> SectionTable:
    """A (cached) table for the given extra phrases."""
    if isinstance(headings, SectionTable):
        return headings
    if not headings:
        return _table_for(())
    key = tuple(sorted((k, tuple([v] if isinstance(v, str) else v)) for k, v in headings.items()))
    return _table_for(key)
