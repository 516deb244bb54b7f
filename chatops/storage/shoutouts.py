"""The shout-out repository: record, list, edit and retract thank-yous, and claim chat events once.

Functions are named verb_noun and take keyword-only arguments; each works inside the caller's session
(``Database.session()`` commits on success), so a command can record a shout-out and claim its chat
message in one transaction.

Example usage::

    with database.session() as session:
        saved = record_shoutout(session=session, shoutout=shoutout)
        week = list_shoutouts(session=session, since=monday, until=next_monday)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from chatops.storage.tables import (
    ChatCursorRecord,
    HandledMessageRecord,
    ShoutoutRecipientRecord,
    ShoutoutRecord,
)
from digests.model import Recipient, Shoutout, Window

__all__ = [
    "ShoutoutNotFoundError",
    "chat_cursor",
    "claim_event",
    "claim_events",
    "clear_attempt",
    "clear_attempts",
    "count_recent_shoutouts",
    "count_recent_shoutouts_by_giver",
    "edit_shoutout",
    "event_reply",
    "get_shoutout",
    "get_shoutout_by_message",
    "handled_among",
    "list_shoutouts",
    "list_shoutouts_after",
    "list_shoutouts_for_person",
    "mark_attempt",
    "mark_attempts",
    "newest_handled_message",
    "prune_handled_events",
    "record_event_replies",
    "record_event_reply",
    "record_shoutout",
    "record_shoutouts",
    "retract_shoutout",
    "save_chat_cursor",
    "unconfirmed_shoutouts",
]

_CHUNK = 500  # ids per IN (...) query, well under SQLite's variable limit
_SHOUTOUTS: sa.Table = ShoutoutRecord.__table__  # type: ignore[attr-defined]
_RECIPIENTS: sa.Table = ShoutoutRecipientRecord.__table__  # type: ignore[attr-defined]
_HANDLED: sa.Table = HandledMessageRecord.__table__  # type: ignore[attr-defined]


class ShoutoutNotFoundError(LookupError):
    def __init__(self, shoutout_id: int) -> None:
        self.shoutout_id = shoutout_id
        super().__init__(f"No shout-out with id {shoutout_id}")


def _value(row: ShoutoutRecord, recipients: Sequence[ShoutoutRecipientRecord]) -> Shoutout:
    return Shoutout(
        id=row.id,
        giver=row.giver,
        giver_id=row.giver_id,
        recipients=tuple(
            Recipient(name=r.name, kind=r.kind, user_id=r.user_id)  # type: ignore[arg-type]
            for r in sorted(recipients, key=lambda r: r.id or 0)
        ),
        text=row.text,
        created_at=row.created_at,
        stream=row.stream,
        topic=row.topic,
        message_id=row.message_id,
        permalink=row.permalink,
    )


def _recipients_of(session: Session, ids: Iterable[int]) -> dict[int, list[ShoutoutRecipientRecord]]:
    out: dict[int, list[ShoutoutRecipientRecord]] = {}
    id_list = list(ids)
    for start in range(0, len(id_list), _CHUNK):
        chunk = id_list[start : start + _CHUNK]
        rows = session.exec(select(ShoutoutRecipientRecord).where(col(ShoutoutRecipientRecord.shoutout_id).in_(chunk)))
        for r in rows:
            out.setdefault(r.shoutout_id, []).append(r)
    return out


def _values(session: Session, rows: Sequence[ShoutoutRecord]) -> list[Shoutout]:
    recipients = _recipients_of(session, [r.id for r in rows if r.id is not None])
    return [_value(r, recipients.get(r.id or 0, [])) for r in rows]


def _shoutout_row(shoutout: Shoutout) -> dict[str, Any]:
    return {
        "giver": shoutout.giver[:200], "giver_id": shoutout.giver_id, "text": shoutout.text,
        "stream": shoutout.stream, "topic": shoutout.topic, "message_id": shoutout.message_id,
        "permalink": shoutout.permalink, "created_at": shoutout.created_at,
    }


def _recipient_rows(shoutout_id: int, recipients: Iterable[Recipient]) -> list[dict[str, Any]]:
    return [{"shoutout_id": shoutout_id, "name": r.name[:200], "kind": r.kind, "user_id": r.user_id} for r in recipients]


def record_shoutout(*, session: Session, shoutout: Shoutout) -> Shoutout:
    """Store ``shoutout`` with its recipients and return it with its new ``id``."""
    # Core statements rather than ORM objects: this runs once per chat command, and the unit of work
    # costs several times the INSERTs themselves (profiled in bench/chat.py).
    connection = session.connection()  # Core on the session's connection: no ORM bookkeeping needed here
    new_id = connection.execute(_INSERT_SHOUTOUT, _shoutout_row(shoutout)).scalar_one()
    if shoutout.recipients:
        connection.execute(_INSERT_RECIPIENTS, _recipient_rows(new_id, shoutout.recipients))
    return shoutout.model_copy(update={"id": int(new_id)})


def record_shoutouts(*, session: Session, shoutouts: Sequence[Shoutout]) -> list[Shoutout]:
    """Store several shout-outs, in order, with one INSERT per table; return them with their new ids.

    The same rows as ``record_shoutout`` one at a time (ids ascending in the given order), for a burst
    of chat commands recorded in one transaction: SQLAlchemy's "insertmanyvalues" sends one multi-row
    ``INSERT ... RETURNING`` whose ids come back in the order of the parameters.
    """
    if not shoutouts:
        return []
    if len(shoutouts) == 1:
        return [record_shoutout(session=session, shoutout=shoutouts[0])]
    connection = session.connection()
    ids = [int(i) for i in connection.execute(_INSERT_SHOUTOUTS, [_shoutout_row(s) for s in shoutouts]).scalars()]
    if len(ids) != len(shoutouts):
        raise RuntimeError(f"recorded {len(ids)} of {len(shoutouts)} shout-outs")  # rolls the batch back
    recipients = [row for new_id, s in zip(ids, shoutouts, strict=True) for row in _recipient_rows(new_id, s.recipients)]
    if recipients:
        connection.execute(_INSERT_RECIPIENTS, recipients)
    return [s.model_copy(update={"id": new_id}) for new_id, s in zip(ids, shoutouts, strict=True)]


def list_shoutouts(
    *,
    session: Session,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    window: Window | None = None,
) -> list[Shoutout]:
    """The shout-outs given in ``[since, until)`` (or ``window``), oldest first; retracted ones excluded.

    Only rows inside the period are read (``created_at`` is indexed).
    """
    if window is not None:
        since, until = window.since, window.until
    # One Core query joining the recipients, rather than ORM objects and a second IN (...) query: a digest
    # reads hundreds of rows, and building and tracking ORM instances cost several times the query
    # (bench/digest.py).
    query = _LIST_SHOUTOUTS
    if since is not None:
        query = query.where(_SHOUTOUTS.c.created_at >= since)
    if until is not None:
        query = query.where(_SHOUTOUTS.c.created_at < until)
    out: list[Shoutout] = []
    current: Any = None
    recipients: list[Recipient] = []

    def flush() -> None:
        if current is not None:
            out.append(Shoutout(
                id=current.id, giver=current.giver, giver_id=current.giver_id, recipients=tuple(recipients),
                text=current.text, created_at=current.created_at, stream=current.stream, topic=current.topic,
                message_id=current.message_id, permalink=current.permalink,
            ))

    for row in session.connection().execute(query):
        if current is None or row.id != current.id:
            flush()
            current, recipients = row, []
        if row.r_name is not None:
            recipients.append(Recipient(name=row.r_name, kind=row.r_kind, user_id=row.r_user_id))
    flush()
    return out


def list_shoutouts_after(*, session: Session, after_id: int, limit: int | None = None) -> list[Shoutout]:
    """The shout-outs recorded after the one with id ``after_id`` (by primary key), oldest first; taken-back
    ones excluded. For readers that follow the table (the people registry), not for digests."""
    query = select(ShoutoutRecord).where(col(ShoutoutRecord.id) > after_id, col(ShoutoutRecord.retracted_at).is_(None))
    query = query.order_by(col(ShoutoutRecord.id))
    if limit is not None:
        query = query.limit(limit)
    return _values(session, list(session.exec(query)))


_LIST_SHOUTOUTS = (
    sa.select(
        _SHOUTOUTS.c.id, _SHOUTOUTS.c.giver, _SHOUTOUTS.c.giver_id, _SHOUTOUTS.c.text, _SHOUTOUTS.c.created_at,
        _SHOUTOUTS.c.stream, _SHOUTOUTS.c.topic, _SHOUTOUTS.c.message_id, _SHOUTOUTS.c.permalink,
        _RECIPIENTS.c.name.label("r_name"), _RECIPIENTS.c.kind.label("r_kind"), _RECIPIENTS.c.user_id.label("r_user_id"),
    )
    .select_from(_SHOUTOUTS.outerjoin(_RECIPIENTS, _RECIPIENTS.c.shoutout_id == _SHOUTOUTS.c.id))
    .where(_SHOUTOUTS.c.retracted_at.is_(None))
    .order_by(_SHOUTOUTS.c.created_at, _SHOUTOUTS.c.id, _RECIPIENTS.c.id)
)


def list_shoutouts_for_person(
    *,
    session: Session,
    name: str | None = None,
    user_id: int | None = None,
    giver: bool = False,
    since: dt.datetime | None = None,
    limit: int = 20,
) -> list[Shoutout]:
    """Shout-outs received by a person (matched by user id, else by name), newest first.

    With ``giver=True`` the person is matched as the giver instead.
    """
    query = select(ShoutoutRecord).where(col(ShoutoutRecord.retracted_at).is_(None))
    if giver:
        if user_id is not None:
            query = query.where(col(ShoutoutRecord.giver_id) == user_id)
        else:
            query = query.where(sa.func.lower(col(ShoutoutRecord.giver)) == (name or "").lower())
    else:
        sub = select(ShoutoutRecipientRecord.shoutout_id)
        if user_id is not None:
            sub = sub.where(col(ShoutoutRecipientRecord.user_id) == user_id)
        else:
            sub = sub.where(sa.func.lower(col(ShoutoutRecipientRecord.name)) == (name or "").lower())
        query = query.where(col(ShoutoutRecord.id).in_(sub))
    if since is not None:
        query = query.where(col(ShoutoutRecord.created_at) >= since)
    rows = session.exec(query.order_by(col(ShoutoutRecord.created_at).desc(), col(ShoutoutRecord.id).desc()).limit(limit)).all()
    return _values(session, rows)


def get_shoutout(*, session: Session, shoutout_id: int) -> tuple[Shoutout, dt.datetime | None]:
    """The shout-out and its retraction time (``None`` if live); ``ShoutoutNotFoundError`` if unknown."""
    row = session.get(ShoutoutRecord, shoutout_id)
    if row is None:
        raise ShoutoutNotFoundError(shoutout_id)
    return _values(session, [row])[0], row.retracted_at


def get_shoutout_by_message(*, session: Session, message_id: int) -> Shoutout | None:
    """The live shout-out recorded from chat message ``message_id``, if any."""
    row = session.exec(
        select(ShoutoutRecord).where(col(ShoutoutRecord.message_id) == message_id, col(ShoutoutRecord.retracted_at).is_(None))
    ).first()
    return None if row is None else _values(session, [row])[0]


def retract_shoutout(*, session: Session, shoutout_id: int, by: str, at: dt.datetime) -> Shoutout:
    """Mark a shout-out retracted: it stays in the table but leaves every future listing and digest."""
    row = session.get(ShoutoutRecord, shoutout_id, with_for_update=True)
    if row is None:
        raise ShoutoutNotFoundError(shoutout_id)
    if row.retracted_at is None:
        row.retracted_at = at
        row.retracted_by = by[:200]
        session.add(row)
        session.flush()
    return _values(session, [row])[0]


def edit_shoutout(
    *,
    session: Session,
    shoutout_id: int,
    text: str,
    at: dt.datetime,
    recipients: Sequence[Recipient] | None = None,
) -> Shoutout:
    """Replace a shout-out's text (and, when given, its recipients)."""
    row = session.get(ShoutoutRecord, shoutout_id, with_for_update=True)
    if row is None:
        raise ShoutoutNotFoundError(shoutout_id)
    row.text = text
    row.updated_at = at
    session.add(row)
    if recipients is not None:
        session.execute(sa.delete(ShoutoutRecipientRecord).where(col(ShoutoutRecipientRecord.shoutout_id) == shoutout_id))
        session.add_all(
            ShoutoutRecipientRecord(shoutout_id=shoutout_id, name=r.name[:200], kind=r.kind, user_id=r.user_id)
            for r in recipients
        )
    session.flush()
    return _values(session, [row])[0]


def count_recent_shoutouts(
    *, session: Session, since: dt.datetime, giver_id: int | None = None, giver: str | None = None
) -> int:
    """How many shout-outs one giver has recorded since ``since`` (retracted ones count: the limit is on giving)."""
    query = _COUNT_BY_ID if giver_id is not None else _COUNT_BY_NAME
    who = giver_id if giver_id is not None else (giver or "")
    return int(session.connection().execute(query, {"since": since, "who": who}).scalar_one())


def count_recent_shoutouts_by_giver(
    *, session: Session, since: dt.datetime, giver_ids: Iterable[int] = (), givers: Iterable[str] = ()
) -> dict[int | str, int]:
    """``count_recent_shoutouts`` for several givers at once: by user id for ``giver_ids``, by name for ``givers``.

    Keys are the ids and names asked for; a giver with none since ``since`` maps to 0.
    """
    counts: dict[int | str, int] = {}
    connection = session.connection()
    for query, wanted in ((_COUNT_BY_IDS, set(giver_ids)), (_COUNT_BY_NAMES, set(givers))):
        found: list[Any] = list(wanted)
        for start in range(0, len(found), _CHUNK):
            chunk = found[start : start + _CHUNK]
            counts.update(dict.fromkeys(chunk, 0))
            for who, count in connection.execute(query, {"since": since, "who": chunk}):
                counts[who] = int(count)
    return counts


def _count_by(column: Any) -> Any:
    return (
        sa.select(sa.func.count()).select_from(_SHOUTOUTS)
        .where(_SHOUTOUTS.c.created_at >= sa.bindparam("since"), column == sa.bindparam("who"))
    )


def _count_grouped_by(column: Any) -> Any:
    return (
        sa.select(column, sa.func.count()).select_from(_SHOUTOUTS)
        .where(_SHOUTOUTS.c.created_at >= sa.bindparam("since"), column.in_(sa.bindparam("who", expanding=True)))
        .group_by(column)
    )


# Built once: these run for every shout-out, and building a statement costs more than running it.
_COUNT_BY_ID = _count_by(_SHOUTOUTS.c.giver_id)
_COUNT_BY_NAME = _count_by(_SHOUTOUTS.c.giver)
_COUNT_BY_IDS = _count_grouped_by(_SHOUTOUTS.c.giver_id)
_COUNT_BY_NAMES = _count_grouped_by(_SHOUTOUTS.c.giver)
_INSERT_SHOUTOUT = _SHOUTOUTS.insert().returning(_SHOUTOUTS.c.id)
_INSERT_SHOUTOUTS = _SHOUTOUTS.insert().returning(_SHOUTOUTS.c.id, sort_by_parameter_order=True)
_INSERT_RECIPIENTS = _RECIPIENTS.insert()


def claim_event(*, session: Session, event_key: str, at: dt.datetime) -> bool:
    """Claim a chat event for this process; ``False`` if another handler already claimed it.

    The claim is an ``INSERT ... ON CONFLICT DO NOTHING`` inside the caller's transaction. On PostgreSQL a
    concurrent claim of the same key waits for this transaction: if it commits the other one skips, if it
    rolls back (the process died) the other one takes over. Hold the transaction open until the event's
    side effects (the reply) are done.
    """
    values: dict[str, Any] = {"event_key": event_key[:100], "handled_at": at}
    stmt = _CLAIM[session.get_bind().dialect.name]
    # RETURNING rather than rowcount: drivers disagree on rowcount for a skipped conflict.
    return session.connection().execute(stmt, values).first() is not None


def claim_events(*, session: Session, event_keys: Sequence[str], at: dt.datetime) -> set[str]:
    """``claim_event`` for several events with one statement; the keys this call claimed.

    A key already claimed (or given twice) is claimed at most once. For a batch recorded in one
    transaction (SQLite); see ``claim_event`` for how claims behave between processes.
    """
    keys = list(dict.fromkeys(k[:100] for k in event_keys))
    if not keys:
        return set()
    if len(keys) == 1:
        return set(keys) if claim_event(session=session, event_key=keys[0], at=at) else set()
    stmt = _CLAIM[session.get_bind().dialect.name]
    rows = session.connection().execute(stmt, [{"event_key": k, "handled_at": at} for k in keys])
    return {row[0] for row in rows}


def _claim_statement(dialect: str) -> Any:
    from sqlalchemy.dialects import postgresql, sqlite

    insert: Any = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(_HANDLED).on_conflict_do_nothing(index_elements=["event_key"]).returning(_HANDLED.c.event_key)


_CLAIM = {"postgresql": _claim_statement("postgresql"), "sqlite": _claim_statement("sqlite")}


def mark_attempt(*, session: Session, event_key: str, at: dt.datetime) -> bool:
    """Note, in its own committed transaction, that a process is about to act on ``event_key``.

    Returns ``False`` when a mark was already there: another process tried before, and may have died
    after acting (its claim rolled back, this mark did not). ``clear_attempt`` removes the mark in the
    same transaction as the claim, so a finished event leaves none.
    """
    return claim_event(session=session, event_key=f"attempt:{event_key}", at=at)


def mark_attempts(*, session: Session, event_keys: Sequence[str], at: dt.datetime) -> set[str]:
    """``mark_attempt`` for several events with one statement: the keys marked now (the others already were)."""
    marked = claim_events(session=session, event_keys=[f"attempt:{k}" for k in event_keys], at=at)
    return {k for k in event_keys if f"attempt:{k}"[:100] in marked}


def clear_attempt(*, session: Session, event_key: str) -> None:
    session.execute(sa.delete(_HANDLED).where(_HANDLED.c.event_key == f"attempt:{event_key}"[:100]))


def clear_attempts(*, session: Session, event_keys: Sequence[str]) -> None:
    """``clear_attempt`` for several events with one statement."""
    if event_keys:
        session.connection().execute(
            _CLEAR_ATTEMPTS, {"keys": [f"attempt:{k}"[:100] for k in event_keys]}
        )


_CLEAR_ATTEMPTS = sa.delete(_HANDLED).where(_HANDLED.c.event_key.in_(sa.bindparam("keys", expanding=True)))


def record_event_reply(*, session: Session, event_key: str, reply_message_id: int | None) -> None:
    """Remember which chat message answered a claimed event."""
    session.execute(
        sa.update(HandledMessageRecord)
        .where(col(HandledMessageRecord.event_key) == event_key[:100])
        .values(reply_message_id=reply_message_id)
    )


def record_event_replies(*, session: Session, replies: Mapping[str, int | None]) -> None:
    """``record_event_reply`` for several events with one (executemany) statement."""
    if replies:
        session.connection().execute(
            _RECORD_REPLY, [{"key": key[:100], "reply": reply} for key, reply in replies.items()]
        )


_RECORD_REPLY = (
    sa.update(_HANDLED).where(_HANDLED.c.event_key == sa.bindparam("key")).values(reply_message_id=sa.bindparam("reply"))
)


def event_reply(*, session: Session, event_key: str) -> tuple[bool, int | None]:
    """Whether ``event_key`` was claimed (committed), and the id of its reply if known."""
    row = session.get(HandledMessageRecord, event_key[:100])
    return (row is not None, None if row is None else row.reply_message_id)


HANDLED_KEEP = dt.timedelta(days=30)  # claims older than this are forgotten
ATTEMPT_KEEP = dt.timedelta(days=1)  # attempt marks left by a replica that died, older than this


def prune_handled_events(
    *, session: Session, now: dt.datetime, keep: dt.timedelta = HANDLED_KEEP, keep_attempts: dt.timedelta = ATTEMPT_KEEP
) -> int:
    """Delete claims older than ``keep`` and stale attempt marks older than ``keep_attempts``; how many went.

    A claim only matters while its message can still be delivered again (a retry, a replica catching up
    after a restart); Zulip redelivers nothing a month old. A fresh attempt mark is kept: a replica may
    be acting on it right now.
    """
    result = session.connection().execute(
        sa.delete(_HANDLED).where(sa.or_(
            _HANDLED.c.handled_at < now - keep,
            sa.and_(_HANDLED.c.event_key.like("attempt:%"), _HANDLED.c.handled_at < now - keep_attempts),
        ))
    )
    return int(result.rowcount or 0)


def newest_handled_message(*, session: Session, recent: int = 100) -> int | None:
    """The highest chat message id among the ``recent`` most recently claimed messages, if any.

    Keys are text (``message:<id>``), so the newest claims by time are read and their ids compared.
    """
    keys = session.connection().execute(
        sa.select(_HANDLED.c.event_key).where(_HANDLED.c.event_key.like("message:%"))
        .order_by(_HANDLED.c.handled_at.desc()).limit(recent)
    ).scalars()
    ids = [int(k.split(":", 1)[1]) for k in keys if k.split(":", 1)[1].isdigit()]
    return max(ids, default=None)


# --- the chat catch-up cursor and owed confirmations ---------------------------------------------

def chat_cursor(*, session: Session, name: str = "chat") -> int | None:
    """The catch-up cursor: every message addressed to compass with an id up to it was handled."""
    row = session.get(ChatCursorRecord, name)
    return None if row is None else int(row.message_id)


def save_chat_cursor(*, session: Session, message_id: int, at: dt.datetime, name: str = "chat") -> None:
    """Move the cursor forward to ``message_id`` (never back: replicas may save theirs in any order)."""
    table: sa.Table = ChatCursorRecord.__table__  # type: ignore[attr-defined]
    from sqlalchemy.dialects import postgresql, sqlite

    insert: Any = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = insert(table).values(name=name, message_id=message_id, updated_at=at)
    statement = statement.on_conflict_do_update(
        index_elements=["name"], set_={"message_id": message_id, "updated_at": at},
        where=table.c.message_id < message_id,
    )
    session.connection().execute(statement)


def handled_among(*, session: Session, message_ids: Iterable[int]) -> set[int]:
    """Which of ``message_ids`` were claimed (handled) already."""
    ids = list(message_ids)
    found: set[int] = set()
    for start in range(0, len(ids), _CHUNK):
        keys = [f"message:{i}" for i in ids[start : start + _CHUNK]]
        rows = session.connection().execute(sa.select(_HANDLED.c.event_key).where(_HANDLED.c.event_key.in_(keys)))
        found.update(int(k.split(":", 1)[1]) for (k,) in rows)
    return found


def unconfirmed_shoutouts(*, session: Session, since: dt.datetime | None = None,
                          before: dt.datetime | None = None) -> list[Shoutout]:
    """Shout-outs recorded from a chat message whose confirmation is not known to have been posted
    (their claim has no reply id): a process died, or the reply failed, between recording and replying."""
    key = sa.literal("message:") + sa.cast(_SHOUTOUTS.c.message_id, sa.String)
    query = (
        sa.select(_SHOUTOUTS.c.id)
        .select_from(_SHOUTOUTS.join(_HANDLED, _HANDLED.c.event_key == key))
        .where(_SHOUTOUTS.c.message_id.is_not(None), _HANDLED.c.reply_message_id.is_(None),
               _SHOUTOUTS.c.retracted_at.is_(None))
        .order_by(_SHOUTOUTS.c.message_id)
    )
    if since is not None:
        query = query.where(_SHOUTOUTS.c.created_at >= since)
    if before is not None:
        query = query.where(_HANDLED.c.handled_at < before)
    ids = [int(i) for (i,) in session.connection().execute(query)]
    if not ids:
        return []
    rows: list[ShoutoutRecord] = []
    for start in range(0, len(ids), _CHUNK):
        rows.extend(session.exec(select(ShoutoutRecord).where(col(ShoutoutRecord.id).in_(ids[start : start + _CHUNK]))))
    return sorted(_values(session, rows), key=lambda s: s.message_id or 0)
