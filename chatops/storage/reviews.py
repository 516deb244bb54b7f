"""Review rows (one per drafted digest period) and their history.

A review's ``state`` moves only by a conditional ``UPDATE ... WHERE state IN (...)`` (``decide``): two
reviewers, or two replicas, acting at the same moment cannot both win, and the loser reads who did.

::

    waiting --> approved | held | skipped | expired        held --> approved | skipped | expired

The text a reviewer edits is ``edited`` (``original`` is what compass compiled); ``version`` grows with
every change of either, and ``save_text`` refuses a change made against an older version.

A draft's HTML for the review page is kept beside it (``ReviewHtmlRecord``), one row per Markdown text shown,
keyed by its fingerprint (``digests.html.fingerprint``): a text that changed is simply not found.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from chatops.storage.tables import ReviewEventRecord, ReviewHtmlRecord, ReviewRecord

__all__ = [
    "OPEN",
    "ReviewState",
    "add_event",
    "create_review",
    "decide",
    "find_review",
    "get_review",
    "list_events",
    "list_reviews",
    "load_html",
    "mark_once",
    "save_html",
    "save_text",
]


class ReviewState(StrEnum):
    WAITING = "waiting"  # drafted; reviewers told
    HELD = "held"  # a reviewer stopped it (veto: not published when the window ends)
    APPROVED = "approved"  # released for publication (by a reviewer, or by the end of a veto window)
    SKIPPED = "skipped"  # a reviewer dropped this period
    EXPIRED = "expired"  # approve mode: nobody approved in time; nothing was published


OPEN = (ReviewState.WAITING, ReviewState.HELD)


def create_review(
    *,
    session: Session,
    digest: str,
    period_start: dt.datetime,
    period_end: dt.datetime,
    mode: str,
    now: dt.datetime,
    due_at: dt.datetime | None,
    remind_at: dt.datetime | None,
    original: str,
) -> tuple[ReviewRecord, bool]:
    """The review of this period, created if missing; ``True`` when this call created it."""
    found = find_review(session=session, digest=digest, period_start=period_start)
    if found is not None:
        return found, False
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
    table = ReviewRecord.__table__  # type: ignore[attr-defined]
    result = session.execute(
        insert(table).values(
            digest=digest, period_start=period_start, period_end=period_end, mode=mode,
            state=ReviewState.WAITING.value, created_at=now, due_at=due_at, remind_at=remind_at,
            original=original, version=0,
        ).on_conflict_do_nothing()
    )
    session.commit()
    row = find_review(session=session, digest=digest, period_start=period_start)
    assert row is not None
    return row, bool(getattr(result, "rowcount", 0))


def find_review(*, session: Session, digest: str, period_start: dt.datetime) -> ReviewRecord | None:
    session.expire_all()
    return session.exec(
        select(ReviewRecord).where(ReviewRecord.digest == digest, ReviewRecord.period_start == period_start)
    ).first()


def get_review(*, session: Session, review_id: int) -> ReviewRecord | None:
    session.expire_all()  # another process may have changed it
    return session.get(ReviewRecord, review_id)


def list_reviews(
    *, session: Session, digest: str | None = None, states: Sequence[str] | None = None, limit: int | None = None
) -> list[ReviewRecord]:
    """Newest period first."""
    query = select(ReviewRecord)
    if digest is not None:
        query = query.where(ReviewRecord.digest == digest)
    if states is not None:
        query = query.where(col(ReviewRecord.state).in_([str(s) for s in states]))
    query = query.order_by(col(ReviewRecord.period_start).desc(), col(ReviewRecord.id).desc())
    if limit is not None:
        query = query.limit(limit)
    return list(session.exec(query).all())


def decide(
    *,
    session: Session,
    review_id: int,
    from_states: Sequence[str],
    to_state: str,
    by: str,
    at: dt.datetime,
    reason: str | None = None,
) -> bool:
    """Move the review to ``to_state`` if it is in one of ``from_states``; whether this call moved it.
    Commits, so that the winner is settled before anything follows."""
    table = ReviewRecord.__table__  # type: ignore[attr-defined]
    result = session.execute(
        sa.update(table)
        .where(table.c.id == review_id, table.c.state.in_([str(s) for s in from_states]))
        .values(state=str(to_state), decided_by=by, decided_at=at, reason=reason)
    )
    session.commit()
    return bool(getattr(result, "rowcount", 0))


def mark_once(*, session: Session, review_id: int, column: str, at: dt.datetime) -> bool:
    """Set ``column`` (``notified_at``, ``reminded_at``) if it is still empty; whether this call set it."""
    table = ReviewRecord.__table__  # type: ignore[attr-defined]
    result = session.execute(
        sa.update(table).where(table.c.id == review_id, table.c[column].is_(None)).values({column: at})
    )
    session.commit()
    return bool(getattr(result, "rowcount", 0))


def save_text(*, session: Session, review_id: int, version: int, **values: Any) -> bool:
    """Change ``original``/``edited``/``fresh`` if the review is still at ``version`` (and open or
    approved-but-unpublished is not allowed: open only); whether it changed. Bumps the version."""
    table = ReviewRecord.__table__  # type: ignore[attr-defined]
    result = session.execute(
        sa.update(table)
        .where(table.c.id == review_id, table.c.version == version, table.c.state.in_([str(s) for s in OPEN]))
        .values(version=version + 1, **values)
    )
    session.commit()
    return bool(getattr(result, "rowcount", 0))


def add_event(
    *, session: Session, review_id: int, who: str, action: str, at: dt.datetime,
    body: str | None = None, note: str | None = None,
) -> None:
    session.add(ReviewEventRecord(review_id=review_id, who=who[:200], action=action, at=at, body=body, note=note))
    session.commit()


def list_events(*, session: Session, review_id: int) -> list[ReviewEventRecord]:
    """Oldest first."""
    return list(
        session.exec(
            select(ReviewEventRecord).where(ReviewEventRecord.review_id == review_id)
            .order_by(col(ReviewEventRecord.at), col(ReviewEventRecord.id))
        ).all()
    )


def load_html(*, session: Session, review_id: int, fingerprints: Sequence[str]) -> dict[str, str]:
    """The stored HTML of a review's texts, by fingerprint (those not stored are missing)."""
    if not fingerprints:
        return {}
    rows = session.exec(
        select(ReviewHtmlRecord.fingerprint, ReviewHtmlRecord.html).where(
            ReviewHtmlRecord.review_id == review_id, col(ReviewHtmlRecord.fingerprint).in_(list(set(fingerprints))))
    ).all()
    return dict(rows)


def save_html(*, session: Session, review_id: int, html: dict[str, str], keep_only: bool = False) -> None:
    """Store HTML by fingerprint for a review (a fingerprint stored already is left as it is: the same text
    renders the same). ``keep_only``: drop the review's other renderings (texts it no longer shows)."""
    table = ReviewHtmlRecord.__table__  # type: ignore[attr-defined]
    if keep_only:
        session.execute(sa.delete(table).where(table.c.review_id == review_id,
                                               table.c.fingerprint.not_in(list(html))))
    stored = set(load_html(session=session, review_id=review_id, fingerprints=list(html)))
    missing = [{"review_id": review_id, "fingerprint": key, "html": value}
               for key, value in html.items() if key not in stored]
    if missing:
        dialect = session.get_bind().dialect.name
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
        session.execute(insert(table).values(missing).on_conflict_do_nothing())  # another writer, same text
    session.commit()
