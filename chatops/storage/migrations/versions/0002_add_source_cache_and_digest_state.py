"""Add the source cache and per-digest state.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from chatops.storage.tables import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "source_cache",
        sa.Column("key", sa.String(500), primary_key=True),
        sa.Column("etag", sa.String(300), nullable=True),
        sa.Column("last_modified", sa.String(100), nullable=True),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("fetched_at", sa.Float(), nullable=True),
    )
    op.create_table(
        "digest_state",
        sa.Column("digest", sa.String(100), primary_key=True),
        sa.Column("paused", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("changed_by", sa.String(200), nullable=True),
        sa.Column("changed_at", UTCDateTime(), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("digest_state")
    op.drop_table("source_cache")
