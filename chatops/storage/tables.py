"""Database rows (SQLModel tables). Row classes say they are rows; ``digests`` holds the plain values.

Every schema change goes through an Alembic revision in ``chatops/storage/migrations/versions/``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Aware datetimes in, aware UTC datetimes out, on SQLite (which has no zones) and PostgreSQL alike."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; pass an aware datetime")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _ts(*, nullable: bool = False, index: bool = False) -> Any:
    return Field(default=None, sa_column=sa.Column(UTCDateTime(), nullable=nullable, index=index))


class ShoutoutRecord(SQLModel, table=True):
    __tablename__ = "shoutouts"
    # The per-giver rate limit counts a giver's recent shout-outs.
    __table_args__ = (
        sa.Index("ix_shoutouts_giver_id_created_at", "giver_id", "created_at"),
        sa.Index("ix_shoutouts_giver_created_at", "giver", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    giver: str = Field(max_length=200)
    giver_id: int | None = Field(default=None, sa_type=sa.BigInteger)
    text: str = Field(sa_type=sa.Text)
    stream: str | None = Field(default=None, max_length=200)
    topic: str | None = Field(default=None, max_length=200)
    # The chat message that gave it; unique so a redelivered message is never recorded twice.
    message_id: int | None = Field(default=None, sa_type=sa.BigInteger, unique=True)
    permalink: str | None = Field(default=None, max_length=500)
    created_at: dt.datetime = Field(sa_column=sa.Column(UTCDateTime(), nullable=False, index=True))
    updated_at: dt.datetime | None = _ts(nullable=True)
    retracted_at: dt.datetime | None = _ts(nullable=True)
    retracted_by: str | None = Field(default=None, max_length=200)


class ShoutoutRecipientRecord(SQLModel, table=True):
    __tablename__ = "shoutout_recipients"

    id: int | None = Field(default=None, primary_key=True)
    shoutout_id: int = Field(foreign_key="shoutouts.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=200, index=True)
    kind: str = Field(default="user", max_length=10)  # user | group | text
    user_id: int | None = Field(default=None, sa_type=sa.BigInteger, index=True)


class HandledMessageRecord(SQLModel, table=True):
    """A chat event compass has claimed; the unique key makes each one handled exactly once."""

    __tablename__ = "handled_messages"

    event_key: str = Field(primary_key=True, max_length=100)  # e.g. "message:1234", "update:1234:1700000000"
    handled_at: dt.datetime = Field(sa_column=sa.Column(UTCDateTime(), nullable=False, index=True))  # for pruning
    reply_message_id: int | None = Field(default=None, sa_type=sa.BigInteger)


class ChatCursorRecord(SQLModel, table=True):
    """The chat catch-up cursor: every message addressed to compass up to ``message_id`` was handled."""

    __tablename__ = "chat_cursor"

    name: str = Field(primary_key=True, max_length=50)  # "chat": one cursor per chat platform
    message_id: int = Field(sa_type=sa.BigInteger)
    updated_at: dt.datetime = Field(sa_column=sa.Column(UTCDateTime(), nullable=False))


class PublicationRecord(SQLModel, table=True):
    """One (digest, period, target): the unique key makes each publication happen once."""

    __tablename__ = "publications"
    __table_args__ = (sa.UniqueConstraint("digest", "period_start", "target", name="uq_publication"),)

    id: int | None = Field(default=None, primary_key=True)
    digest: str = Field(max_length=100)
    period_start: dt.datetime = Field(sa_column=sa.Column(UTCDateTime(), nullable=False))
    period_end: dt.datetime = Field(sa_column=sa.Column(UTCDateTime(), nullable=False))
    target: str = Field(max_length=300)
    status: str = Field(default="pending", max_length=20)  # pending | published | skipped | failed
    external_id: str | None = Field(default=None, max_length=100)
    remote_ref: str | None = Field(default=None, sa_type=sa.Text)  # topic id, message ids, file path (JSON)
    attempts: int = 0
    last_error: str | None = Field(default=None, sa_type=sa.Text)
    created_at: dt.datetime = Field(sa_column=sa.Column(UTCDateTime(), nullable=False))
    published_at: dt.datetime | None = _ts(nullable=True)


class SourceCacheRecord(SQLModel, table=True):
    """HTTP validators and last good bodies of sources, and parse results keyed by content hash."""

    __tablename__ = "source_cache"

    key: str = Field(primary_key=True, max_length=500)
    etag: str | None = Field(default=None, max_length=300)
    last_modified: str | None = Field(default=None, max_length=100)
    body: bytes = Field(sa_type=sa.LargeBinary)
    fetched_at: float | None = None


class DigestStateRecord(SQLModel, table=True):
    """Per-digest switches set at run time (pause/resume from chat)."""

    __tablename__ = "digest_state"

    digest: str = Field(primary_key=True, max_length=100)
    paused: bool = False
    changed_by: str | None = Field(default=None, max_length=200)
    changed_at: dt.datetime | None = _ts(nullable=True)


class ReviewRecord(SQLModel, table=True):
    """A drafted digest period waiting for (or past) review: one per (digest, period)."""

    __tablename__ = "reviews"
    __table_args__ = (sa.UniqueConstraint("digest", "period_start", name="uq_review"),)

    id: int | None = Field(default=None, primary_key=True)
    digest: str = Field(max_length=100)
    period_start: dt.datetime = Field(sa_column=sa.Column(UTCDateTime(), nullable=False))
    period_end: dt.datetime = Field(sa_column=sa.Column(UTCDateTime(), nullable=False))
    mode: str = Field(max_length=10)  # approve | veto
    state: str = Field(default="waiting", max_length=20, index=True)  # waiting | held | approved | skipped | expired
    created_at: dt.datetime = Field(sa_column=sa.Column(UTCDateTime(), nullable=False))
    due_at: dt.datetime | None = _ts(nullable=True)  # veto: published then; approve: expires then
    remind_at: dt.datetime | None = _ts(nullable=True)
    reminded_at: dt.datetime | None = _ts(nullable=True)
    notified_at: dt.datetime | None = _ts(nullable=True)
    decided_by: str | None = Field(default=None, max_length=200)
    decided_at: dt.datetime | None = _ts(nullable=True)
    reason: str | None = Field(default=None, sa_type=sa.Text)
    original: str = Field(default="", sa_type=sa.Text)  # the compiled Markdown the draft started from
    edited: str | None = Field(default=None, sa_type=sa.Text)  # a reviewer's version, published instead
    fresh: str | None = Field(default=None, sa_type=sa.Text)  # newer notes compiled differently after an edit
    version: int = 0  # bumped by every change of the text, so two editors never overwrite each other unseen


class ReviewEventRecord(SQLModel, table=True):
    """Who did what to a draft, and when: the review's history (edits keep their full text)."""

    __tablename__ = "review_events"

    id: int | None = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="reviews.id", index=True, ondelete="CASCADE")
    at: dt.datetime = Field(sa_column=sa.Column(UTCDateTime(), nullable=False))
    who: str = Field(max_length=200)
    action: str = Field(max_length=20)  # drafted | notified | edited | refreshed | approved | held | skipped | ...
    body: str | None = Field(default=None, sa_type=sa.Text)
    note: str | None = Field(default=None, sa_type=sa.Text)


class ReviewHtmlRecord(SQLModel, table=True):
    """A draft's Markdown rendered as HTML for the review page (``digests.html``), stored when the draft is made
    or changed so that the page only reads it: one row per text shown, keyed by ``digests.html.fingerprint``."""

    __tablename__ = "review_html"

    review_id: int = Field(foreign_key="reviews.id", primary_key=True, ondelete="CASCADE")
    fingerprint: str = Field(primary_key=True, max_length=64)
    html: str = Field(sa_type=sa.Text)


class PersonRecord(SQLModel, table=True):
    """One person of the people registry (``digests.people.Person``); names and handles as JSON lists."""

    __tablename__ = "people"

    id: int = Field(sa_column=sa.Column(sa.Integer, primary_key=True, autoincrement=False))
    name: str = Field(max_length=200)  # the canonical display name when saved
    fixed_name: str | None = Field(default=None, max_length=200)  # from config/people.yaml
    names: list[Any] = Field(default_factory=list, sa_column=sa.Column(sa.JSON, nullable=False))  # [[key, name, iso, count]]
    handles: list[Any] = Field(default_factory=list, sa_column=sa.Column(sa.JSON, nullable=False))
    affiliations: list[Any] = Field(default_factory=list, sa_column=sa.Column(sa.JSON, nullable=False))
    user_id: int | None = Field(default=None, sa_type=sa.BigInteger, index=True)
    email: str | None = Field(default=None, max_length=200)
    zulip_name: str | None = Field(default=None, max_length=200)
    pronouns: str | None = Field(default=None, max_length=100)
    configured: bool = False
    opted_out: bool = False
    first_seen: dt.datetime | None = _ts(nullable=True, index=True)
    first_role: str | None = Field(default=None, max_length=30)
    first_label: str | None = Field(default=None, max_length=300)
    first_present: dt.datetime | None = _ts(nullable=True)
    last_seen: dt.datetime | None = _ts(nullable=True)


class PersonSightingRecord(SQLModel, table=True):
    """One appearance of someone in a source, and the rule that linked it (``person_id`` null: not linked)."""

    __tablename__ = "person_sightings"
    __table_args__ = (sa.Index("ix_person_sightings_person_id_seen_at", "person_id", "seen_at"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int | None = Field(default=None, foreign_key="people.id", ondelete="CASCADE")
    source: str = Field(max_length=500, index=True)  # the unit rebuilt together: a notes document, a shout-out
    place: str = Field(max_length=500)  # the meeting or chat thread
    role: str = Field(max_length=30)
    seen_at: dt.datetime = Field(sa_column=sa.Column(UTCDateTime(), nullable=False, index=True))
    label: str = Field(max_length=300)
    name: str | None = Field(default=None, max_length=200)
    handle: str | None = Field(default=None, max_length=100)
    weak_handle: str | None = Field(default=None, max_length=100)
    user_id: int | None = Field(default=None, sa_type=sa.BigInteger)
    email: str | None = Field(default=None, max_length=200)
    affiliation: str | None = Field(default=None, max_length=200)
    pronouns: str | None = Field(default=None, max_length=100)
    rule: str = Field(max_length=40)
    reason: str = Field(max_length=300)


class PeopleSourceRecord(SQLModel, table=True):
    """A source the registry has read, with the fingerprint of what it said then (unchanged: not read again)."""

    __tablename__ = "people_sources"

    source: str = Field(primary_key=True, max_length=500)
    digest: str = Field(max_length=64)
    built_at: dt.datetime = Field(sa_column=sa.Column(UTCDateTime(), nullable=False))


class ForgottenPersonRecord(SQLModel, table=True):
    """An identifier someone asked compass to forget, kept only as a hash so the registry never sees it again."""

    __tablename__ = "people_forgotten"

    key: str = Field(primary_key=True, max_length=64)
    forgotten_at: dt.datetime = Field(sa_column=sa.Column(UTCDateTime(), nullable=False))
