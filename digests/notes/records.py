"""What the notes parser builds: plain records, turned into ``digests.model`` values only at its edge.

The parser makes tens of thousands of small items for a large notes repository. As compiled records they
cost nothing to build, and the parser needs no pydantic: a process that parses notes (``compass notes
parse`` and its forked workers) neither imports pydantic nor validates every item as it is made. The
fields, their names and their types are those of ``digests.model`` (``Meeting``, ``Decision``, ...), which
the records turn into in one step (``digests.notes.parse_notes``): ``as_values`` gives the JSON form that
``Meeting`` validates, and ``digests.contract.meeting_contract`` the contract form, from either kind.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class SourceRef:
    document: str
    anchor: str | None = None
    line: int | None = None
    url: str | None = None

    def as_values(self) -> dict[str, Any]:
        return {"document": self.document, "anchor": self.anchor, "line": self.line, "url": self.url}


def _ref(source: SourceRef | None) -> dict[str, Any] | None:
    return source.as_values() if source is not None else None


@dataclass(frozen=True)
class Attendee:
    name: str | None = None
    handle: str | None = None
    affiliation: str | None = None
    pronouns: str | None = None
    source: SourceRef | None = None

    def as_values(self) -> dict[str, Any]:
        return {"name": self.name, "handle": self.handle, "affiliation": self.affiliation,
                "pronouns": self.pronouns, "source": _ref(self.source)}


@dataclass(frozen=True)
class Celebration:
    text: str
    by: str | None = None
    people: tuple[str, ...] = ()
    markdown: str = ""
    source: SourceRef | None = None

    def as_values(self) -> dict[str, Any]:
        return {"text": self.text, "by": self.by, "people": list(self.people), "markdown": self.markdown,
                "source": _ref(self.source)}


@dataclass(frozen=True)
class Update:
    text: str
    by: str | None = None
    markdown: str = ""
    source: SourceRef | None = None

    def as_values(self) -> dict[str, Any]:
        return {"by": self.by, "text": self.text, "markdown": self.markdown, "source": _ref(self.source)}


@dataclass(frozen=True)
class AgendaItem:
    title: str
    owner: str | None = None
    minutes: int | None = None
    discussion: tuple[str, ...] = ()
    links: tuple[str, ...] = ()
    source: SourceRef | None = None

    def as_values(self) -> dict[str, Any]:
        return {"title": self.title, "owner": self.owner, "minutes": self.minutes,
                "discussion": list(self.discussion), "links": list(self.links), "source": _ref(self.source)}


@dataclass(frozen=True)
class Decision:
    text: str
    topic: str | None = None
    source: SourceRef | None = None

    def as_values(self) -> dict[str, Any]:
        return {"text": self.text, "topic": self.topic, "source": _ref(self.source)}


@dataclass(frozen=True)
class ActionItem:
    text: str
    owner: str | None = None
    topic: str | None = None
    done: bool = False
    source: SourceRef | None = None

    def as_values(self) -> dict[str, Any]:
        return {"text": self.text, "owner": self.owner, "topic": self.topic, "done": self.done,
                "source": _ref(self.source)}


@dataclass(frozen=True)
class Meeting:
    date: dt.date | None = None
    title: str | None = None
    document: str = ""
    anchor: str | None = None
    attendees: tuple[Attendee, ...] = ()
    newcomers: tuple[str, ...] = ()
    celebrations: tuple[Celebration, ...] = ()
    updates: tuple[Update, ...] = ()
    agenda: tuple[AgendaItem, ...] = ()
    decisions: tuple[Decision, ...] = ()
    action_items: tuple[ActionItem, ...] = ()
    links: tuple[str, ...] = ()
    cancelled: bool = False
    documents: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    source: SourceRef | None = None

    def as_values(self) -> dict[str, Any]:
        """The JSON form of the ``digests.model.Meeting`` this record stands for (what it validates)."""
        return {
            "date": self.date.isoformat() if self.date is not None else None,
            "title": self.title,
            "document": self.document,
            "anchor": self.anchor,
            "attendees": [a.as_values() for a in self.attendees],
            "newcomers": list(self.newcomers),
            "celebrations": [c.as_values() for c in self.celebrations],
            "updates": [u.as_values() for u in self.updates],
            "agenda": [a.as_values() for a in self.agenda],
            "decisions": [d.as_values() for d in self.decisions],
            "action_items": [a.as_values() for a in self.action_items],
            "links": list(self.links),
            "cancelled": self.cancelled,
            "documents": list(self.documents),
            "warnings": list(self.warnings),
            "source": _ref(self.source),
        }
