"""The contract form of a meeting: what ``compass notes parse --format json`` prints (``meeting.schema.json``).

One function for both kinds of meeting that carry the same fields: a ``digests.model.Meeting`` value
(``Meeting.to_contract``) and the notes parser's own record (``digests.notes.records.Meeting``), which
the parsing processes turn into JSON without building the values.
"""

from __future__ import annotations

from typing import Any


def meeting_contract(meeting: Any) -> dict[str, Any]:
    """The contract object of ``meeting``; extra keys (sources, discussion) are allowed by the schema."""
    m = meeting
    source = m.source
    return {
        "date": m.date.isoformat() if m.date else None,
        "title": m.title,
        "attendees": [
            {"name": a.name, "handle": a.handle, "affiliation": a.affiliation, "pronouns": a.pronouns}
            for a in m.attendees
        ],
        "newcomers": list(m.newcomers),
        "celebrations": [
            {"text": c.text, "by": c.by, "people": list(c.people), "markdown": c.markdown or c.text}
            for c in m.celebrations
        ],
        "updates": [{"by": u.by, "text": u.text, "markdown": u.markdown or u.text} for u in m.updates],
        "agenda": [
            {"title": a.title, "owner": a.owner, "minutes": a.minutes, "discussion": list(a.discussion),
             "links": list(a.links)}
            for a in m.agenda
        ],
        "decisions": [{"text": d.text, "topic": d.topic} for d in m.decisions],
        "action_items": [{"text": a.text, "owner": a.owner, "topic": a.topic, "done": a.done} for a in m.action_items],
        "links": list(m.links),
        "cancelled": m.cancelled,
        "documents": list(m.documents or ([m.document] if m.document else [])),
        "warnings": list(m.warnings),
        "source": None if source is None else {
            key: value for key, value in (("document", source.document), ("anchor", source.anchor),
                                          ("line", source.line), ("url", source.url)) if value is not None},
    }
