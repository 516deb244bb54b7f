"""Publication rows and the lock that makes one process at a time work on one of them.

A publication is one (digest, period_start, target); the unique constraint ``uq_publication`` makes
each exist once, whoever creates it first. Its ``status`` is a ``Status``, and moves only along
``TRANSITIONS`` (``save_publication`` refuses any other move)::

    pending --claim--> posting --> published | skipped | failed
       |                  ^  (a crash leaves 'posting': the next holder looks the post up first)
       +--> skipped (empty) | failed (cannot compile)        failed --> posting | skipped | failed
       +--> draft (a digest under review: the post is frozen in the row, nothing is sent)
               draft --> draft (edited, refreshed) | pending (approved) | skipped (skipped, expired)

Only the holder of ``publication_lock(database, id)`` may move a row out of ``pending``/``posting``/
``failed``. On PostgreSQL the lock is a session-level advisory lock (``pg_try_advisory_lock``, keyed by a hash of
the project, database and schema names plus the row id) on a connection kept for the duration, so a replica killed with SIGKILL loses the lock with its connection.
On SQLite it is an fcntl byte-range lock on ``<database>.locks`` (released by the kernel when the
process dies) plus a thread lock for threads of one process.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from chatops.storage.db import Database
from chatops.storage.tables import PublicationRecord

log = logging.getLogger(__name__)

__all__ = [
    "ACTIVE",
    "DONE",
    "TRANSITIONS",
    "Status",
    "can_move",
    "ensure_publications",
    "find_period_publications",
    "find_publications",
    "get_publication",
    "list_publications",
    "publication_lock",
    "save_publication",
]



class Status(StrEnum):
    """Where a publication stands; the column holds the value (a plain string in the database)."""

    PENDING = "pending"  # created, nobody has worked on it yet
    POSTING = "posting"  # the post is frozen in the row and a call to the platform may have happened
    PUBLISHED = "published"
    SKIPPED = "skipped"  # the digest was empty for the period
    FAILED = "failed"  # the last attempt failed; the next fire or sweep tries again
    DRAFT = "draft"  # compiled and frozen for review (``chatops.review``); published only once approved


# Every allowed move of ``status``, in one place. Staying put is allowed (a retry records its attempt).
TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.PENDING: frozenset({Status.POSTING, Status.SKIPPED, Status.FAILED, Status.DRAFT}),
    Status.POSTING: frozenset({Status.POSTING, Status.PUBLISHED, Status.FAILED}),
    Status.FAILED: frozenset({Status.POSTING, Status.SKIPPED, Status.FAILED, Status.DRAFT}),
    Status.DRAFT: frozenset({Status.DRAFT, Status.PENDING, Status.SKIPPED}),
    Status.PUBLISHED: frozenset(),
    Status.SKIPPED: frozenset(),
}
DONE = frozenset(status for status, moves in TRANSITIONS.items() if not moves)  # published, skipped
ACTIVE = frozenset({Status.PENDING, Status.POSTING})  # unfinished: the sweep completes them


def can_move(current: str, new: str) -> bool:
    """Whether a publication in ``current`` may move to ``new`` (``TRANSITIONS``)."""
    return Status(new) in TRANSITIONS[Status(current)]

# The first key of the two-int advisory lock, the second being the row id. Advisory locks are database-wide
# while row ids are per schema, so the first key names the project, the database and the schema: two
# deployments (or two test runs) with their own schemas in one database never take each other's locks.
LOCK_NAMESPACE_SQL = "hashtext('compass-publication:' || current_database() || '.' || coalesce(current_schema(), ''))"


def ensure_publications(
    *,
    session: Session,
    digest: str,
    period_start: dt.datetime,
    period_end: dt.datetime,
    targets: Sequence[str],
    now: dt.datetime,
) -> list[PublicationRecord]:
    """Create the missing rows for each target (racing replicas are fine) and return all of them."""

    def existing() -> dict[str, PublicationRecord]:
        found = find_publications(session=session, digest=digest, period_start=period_start, targets=targets)
        return {row.target: row for row in found}

    by_target = existing()
    if all(t in by_target for t in targets):  # the common case after the first fire: read, don't write
        return [by_target[t] for t in targets]
    table = PublicationRecord.__table__  # type: ignore[attr-defined]
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
    rows = [
        {
            "digest": digest,
            "period_start": period_start,
            "period_end": period_end,
            "target": target,
            "status": Status.PENDING.value,
            "attempts": 0,
            "created_at": now,
        }
        for target in targets
        if target not in by_target
    ]
    session.execute(insert(table).values(rows).on_conflict_do_nothing())
    session.commit()
    session.expire_all()
    by_target = existing()
    return [by_target[t] for t in targets if t in by_target]


def find_publications(
    *, session: Session, digest: str, period_start: dt.datetime, targets: Sequence[str]
) -> list[PublicationRecord]:
    """The existing rows of one digest's period for these targets (none are created)."""
    return list(
        session.exec(
            select(PublicationRecord).where(
                PublicationRecord.digest == digest,
                PublicationRecord.period_start == period_start,
                col(PublicationRecord.target).in_(list(targets)),
            )
        ).all()
    )


def find_period_publications(
    *, session: Session, periods: Sequence[tuple[str, dt.datetime]]
) -> dict[tuple[str, dt.datetime], list[PublicationRecord]]:
    """The existing rows of several digests' periods, in one query: by (digest, period start)."""
    if not periods:
        return {}
    wanted = set(periods)
    rows = session.exec(
        select(PublicationRecord).where(
            col(PublicationRecord.digest).in_(sorted({d for d, _ in wanted})),
            col(PublicationRecord.period_start).in_(sorted({p for _, p in wanted})),
        )
    ).all()
    out: dict[tuple[str, dt.datetime], list[PublicationRecord]] = {key: [] for key in periods}
    for row in rows:
        key = (row.digest, row.period_start)  # aware (UTCDateTime): equal instants are equal keys
        if key in out:
            out[key].append(row)
    return out


def get_publication(*, session: Session, publication_id: int) -> PublicationRecord | None:
    session.expire_all()  # another process may have changed it: read it afresh
    return session.get(PublicationRecord, publication_id)


def list_publications(
    *, session: Session, digest: str | None = None, status: str | Sequence[str] | None = None,
    newest: int | None = None,
) -> list[PublicationRecord]:
    """Oldest period first; with ``newest``, only the last ``newest`` rows, newest period first."""
    query = select(PublicationRecord)
    if digest is not None:
        query = query.where(PublicationRecord.digest == digest)
    if isinstance(status, str):
        query = query.where(PublicationRecord.status == status)
    elif status is not None:
        query = query.where(col(PublicationRecord.status).in_(list(status)))
    if newest is not None:
        query = query.order_by(col(PublicationRecord.period_start).desc(), col(PublicationRecord.id).desc()).limit(newest)
        return list(session.exec(query).all())
    return list(session.exec(query.order_by(col(PublicationRecord.period_start), col(PublicationRecord.id))).all())


def save_publication(*, session: Session, row: PublicationRecord, **changes: Any) -> PublicationRecord:
    """Apply ``changes`` to the row and commit at once (each step must survive a crash).

    A change of ``status`` must follow ``TRANSITIONS``; ``ValueError`` names a move that does not.
    """
    if "status" in changes and not can_move(row.status, changes["status"]):
        raise ValueError(f"publication {row.id}: cannot move from {row.status!r} to {changes['status']!r}")
    for key, value in changes.items():
        if key == "status":
            value = Status(value).value
        if key == "remote_ref" and value is not None and not isinstance(value, str):
            value = json.dumps(value, ensure_ascii=False, sort_keys=True)
        setattr(row, key, value)
    session.add(row)
    session.commit()
    return row


# --- locks ------------------------------------------------------------------------------------

_thread_locks: dict[tuple[str, int], threading.Lock] = {}
_thread_locks_guard = threading.Lock()
_lock_files: dict[str, int] = {}


def _thread_lock(key: tuple[str, int]) -> threading.Lock:
    with _thread_locks_guard:
        return _thread_locks.setdefault(key, threading.Lock())


def _sqlite_lock_fd(path: str) -> int:
    # POSIX record locks are dropped when *any* descriptor of the file closes in this process, so
    # each process keeps exactly one descriptor per lock file open for its whole life.
    with _thread_locks_guard:
        fd = _lock_files.get(path)
        if fd is None:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            _lock_files[path] = fd
        return fd


@contextmanager
def publication_lock(database: Database, publication_id: int) -> Iterator[bool]:
    """Try to become the only worker on this publication; yields False if someone else is."""
    if database.dialect == "postgresql":
        with _pg_lock(database, publication_id) as held:
            yield held
        return
    db_path = database.engine.url.database
    key = (db_path or ":memory:", publication_id)
    tlock = _thread_lock(key)
    if not tlock.acquire(blocking=False):
        yield False
        return
    try:
        if not db_path or db_path == ":memory:":
            yield True
            return
        import fcntl

        fd = _sqlite_lock_fd(db_path + ".locks")
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, publication_id)
        except OSError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.lockf(fd, fcntl.LOCK_UN, 1, publication_id)
    finally:
        tlock.release()


@contextmanager
def _pg_lock(database: Database, publication_id: int) -> Iterator[bool]:
    connection = database.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    try:
        held = bool(
            connection.execute(
                sa.text(f"SELECT pg_try_advisory_lock({LOCK_NAMESPACE_SQL}, :id)"), {"id": publication_id}
            ).scalar()
        )
        try:
            yield held
        finally:
            if held:
                connection.execute(
                    sa.text(f"SELECT pg_advisory_unlock({LOCK_NAMESPACE_SQL}, :id)"), {"id": publication_id}
                )
    finally:
        connection.close()
