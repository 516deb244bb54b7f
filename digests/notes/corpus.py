"""What the documents of one notes source say together: template text, the same meeting kept twice.

Notes are filled-in copies of a template, so a line that appears verbatim in many meetings of one source
("_Name / GitHub handle / affiliation_", "Your news here!", a standing agenda line) is the template's,
never content: it is learnt here from the source's own meetings and taken out of every item list. A
document read alone has only the built-in knowledge of common placeholders (``is_placeholder``).

A meeting is sometimes kept twice (a yearly archive and a per-meeting page): meetings of different
documents on the same day that share their title, people or topics are one meeting, its items once, and
``Meeting.documents`` names every document it came from.

Example usage::

    reading = read_source([("notes/2031.md", meetings_a), ("notes/2031-03-14.md", meetings_b)])
    reading.meetings        # merged, template text removed, in date order of first appearance
    reading.template        # the lines recognised as template text
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

__all__ = ["SourceReading", "read_source", "template_key"]

# A meeting here is a ``Meeting`` or its contract form (a dict, as ``Meeting.to_contract`` gives and
# ``compass notes parse`` prints): the CLI reads a source together without building the models again.
AnyMeeting = Any


def _get(obj: Any, key: str) -> Any:
    return obj[key] if isinstance(obj, dict) else getattr(obj, key)


def _copy(meeting: AnyMeeting, update: dict[str, Any]) -> AnyMeeting:
    if isinstance(meeting, dict):
        return {**meeting, **{k: list(v) if isinstance(v, tuple) else v for k, v in update.items()}}
    return meeting.model_copy(update=update)


def _documents(meeting: AnyMeeting) -> tuple[str, ...]:
    if isinstance(meeting, dict):
        return tuple(meeting.get("documents") or ())
    return tuple(meeting.documents or ((meeting.document,) if meeting.document else ()))

# A text counts as template when it appears in at least this many meetings of a source, and in at least
# this share of them: a template's lines are in nearly every copy, content rarely repeats word for word.
MIN_MEETINGS = 3
MIN_SHARE = 0.5

_ITEM_FIELDS = ("celebrations", "updates", "agenda", "decisions", "action_items")
_NON_WORD = re.compile(r"[^0-9a-z]+")


@lru_cache(maxsize=8192)  # a source's texts repeat (every copy of the template, every merged meeting)
def template_key(text: str) -> str:
    """The form two copies of a template line share: lower case, punctuation and emphasis dropped."""
    return _NON_WORD.sub(" ", text.lower()).strip()


def _item_text(kind: str, item: Any) -> str:
    if kind == "agenda":
        return str(_get(item, "title"))
    by = _get(item, "by") if kind in ("celebrations", "updates") else None
    text = str(_get(item, "text"))
    return f"{by}: {text}" if kind in ("celebrations", "updates") and by else text


@dataclass
class SourceReading:
    meetings: list[AnyMeeting]  # of the kind given: Meeting values or contract dicts
    template: list[str] = field(default_factory=list)  # texts recognised as template, as first written
    merged: int = 0  # meetings found in more than one document


def read_source(documents: Sequence[tuple[str, Sequence[AnyMeeting]]]) -> SourceReading:
    """The meetings of one source's documents, read together (see the module docstring). Pure: the same
    documents in the same order give the same reading."""
    meetings, merged = _merge_duplicates(documents)
    template = _learn_template(meetings)
    if template:
        meetings = [_without(m, template) for m in meetings]
    return SourceReading(meetings=meetings, template=list(template.values()), merged=merged)


# --- template text ---------------------------------------------------------------------------------


def _learn_template(meetings: Sequence[AnyMeeting]) -> dict[str, str]:
    n = len(meetings)
    if n < MIN_MEETINGS:
        return {}
    counts: dict[str, int] = {}
    first: dict[str, str] = {}
    for meeting in meetings:
        seen: set[str] = set()
        for kind in _ITEM_FIELDS:
            for item in _get(meeting, kind):
                text = _item_text(kind, item)
                key = template_key(text)
                if key and key not in seen:
                    seen.add(key)
                    counts[key] = counts.get(key, 0) + 1
                    first.setdefault(key, text)
    need = max(MIN_MEETINGS, int(n * MIN_SHARE + 0.999))
    return {key: first[key] for key, count in counts.items() if count >= need}


def _without(meeting: AnyMeeting, template: dict[str, str]) -> AnyMeeting:
    update: dict[str, Any] = {}
    for kind in _ITEM_FIELDS:
        items = _get(meeting, kind)
        kept = tuple(i for i in items if template_key(_item_text(kind, i)) not in template)
        if len(kept) != len(items):
            update[kind] = kept
    return _copy(meeting, update) if update else meeting


# --- the same meeting in two documents ---------------------------------------------------------------


def _person_key(attendee: Any) -> str:
    return str(_get(attendee, "handle") or template_key(_get(attendee, "name") or ""))


def _people(meeting: AnyMeeting) -> set[str]:
    return {_person_key(a) for a in _get(meeting, "attendees") if _get(a, "handle") or _get(a, "name")}


def _topics(meeting: AnyMeeting) -> set[str]:
    return {template_key(_get(a, "title")) for a in _get(meeting, "agenda")}


def _same(a: AnyMeeting, b: AnyMeeting) -> bool:
    """Two meetings of different documents on the same day are one when they share their title, half
    their people or half their topics (an archive's copy and a page's copy of one call)."""
    date = _get(a, "date")
    if date is None or date != _get(b, "date") or set(_documents(a)) & set(_documents(b)):
        return False
    ta, tb = _get(a, "title"), _get(b, "title")
    if ta and tb and template_key(ta) == template_key(tb):
        return True
    for left, right in ((_people(a), _people(b)), (_topics(a), _topics(b))):
        if left and right and len(left & right) * 2 >= min(len(left), len(right)):
            return True
    return not (_get(a, "attendees") or _get(a, "agenda") or _get(b, "attendees") or _get(b, "agenda"))


def _merge_duplicates(documents: Sequence[tuple[str, Sequence[AnyMeeting]]]) -> tuple[list[AnyMeeting], int]:
    out: list[AnyMeeting] = []
    by_date: dict[Any, list[int]] = {}
    merged = 0
    for _, meetings in documents:
        for meeting in meetings:
            date = _get(meeting, "date")
            twin = None
            for index in by_date.get(date, ()) if date is not None else ():
                if _same(out[index], meeting):
                    twin = index
                    break
            if twin is None:
                by_date.setdefault(date, []).append(len(out))
                out.append(meeting)
            else:
                if len(_documents(out[twin])) <= 1:
                    merged += 1
                out[twin] = _merge(out[twin], meeting)
    return out, merged


def _union(first: Iterable[Any], second: Iterable[Any], key: Any) -> tuple[Any, ...]:
    items = list(first)
    seen = {key(i) for i in items}
    for item in second:
        k = key(item)
        if k not in seen:
            seen.add(k)
            items.append(item)
    return tuple(items)


def _size(m: AnyMeeting) -> int:
    return sum(len(_get(m, k)) for k in (*_ITEM_FIELDS, "attendees", "newcomers"))


_COPIED_FIELDS = ("cancelled", "attendees", "newcomers", "links", *_ITEM_FIELDS)


def _merge(a: AnyMeeting, b: AnyMeeting) -> AnyMeeting:
    """One meeting from two copies: the fuller copy first, the other's items added once."""
    documents = tuple(dict.fromkeys((*_documents(a), *_documents(b))))
    if all(_get(a, k) == _get(b, k) for k in _COPIED_FIELDS):
        return _copy(a, {"documents": documents})  # word for word the same meeting: only the documents add up
    base, other = (a, b) if _size(a) >= _size(b) else (b, a)
    update: dict[str, Any] = {
        "documents": documents,
        "attendees": _union(_get(base, "attendees"), _get(other, "attendees"), _person_key),
        "newcomers": _union(_get(base, "newcomers"), _get(other, "newcomers"), template_key),
        "links": _union(_get(base, "links"), _get(other, "links"), lambda u: u),
        "cancelled": bool(_get(base, "cancelled") and _get(other, "cancelled")),
    }
    for kind in _ITEM_FIELDS:
        update[kind] = _union(_get(base, kind), _get(other, kind),
                              lambda i, kind=kind: template_key(_item_text(kind, i)))
    return _copy(base, update)
