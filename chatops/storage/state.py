"""Per-digest run-time switches: pause and resume a digest from chat.

Example usage::

    with database.session() as session:
        set_paused(session=session, digest="community-monthly", paused=True, by="Ann", at=now)
        is_paused(session=session, digest="community-monthly")   # True
"""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, col, select

from chatops.storage.tables import DigestStateRecord

__all__ = ["is_paused", "paused_digests", "set_paused"]


def set_paused(*, session: Session, digest: str, paused: bool, by: str, at: dt.datetime) -> bool:
    """Pause or resume ``digest``; returns whether the state changed."""
    row = session.get(DigestStateRecord, digest, with_for_update=True)
    if row is None:
        row = DigestStateRecord(digest=digest, paused=False)
    changed = row.paused != paused
    row.paused = paused
    row.changed_by = by[:200]
    row.changed_at = at
    session.add(row)
    session.flush()
    return changed


def is_paused(*, session: Session, digest: str) -> bool:
    row = session.get(DigestStateRecord, digest)
    return bool(row is not None and row.paused)


def paused_digests(*, session: Session) -> set[str]:
    """The names of every paused digest."""
    return set(session.exec(select(DigestStateRecord.digest).where(col(DigestStateRecord.paused).is_(True))).all())
