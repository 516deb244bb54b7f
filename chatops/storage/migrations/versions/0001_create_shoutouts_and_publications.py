"""Create shout-outs, their recipients, handled messages and publications.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from chatops.storage.tables import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "shoutouts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("giver", sa.String(200), nullable=False),
        sa.Column("giver_id", sa.BigInteger(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("stream", sa.String(200), nullable=True),
        sa.Column("topic", sa.String(200), nullable=True),
        sa.Column("message_id", sa.BigInteger(), nullable=True, unique=True),
        sa.Column("permalink", sa.String(500), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=True),
        sa.Column("retracted_at", UTCDateTime(), nullable=True),
        sa.Column("retracted_by", sa.String(200), nullable=True),
    )
    op.create_index("ix_shoutouts_created_at", "shoutouts", ["created_at"])
    op.create_table(
        "shoutout_recipients",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("shoutout_id", sa.Integer(), sa.ForeignKey("shoutouts.id", ondelete="CASCADE"), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False, server_default="user"),
        sa.Column("user_id", sa.BigInteger(), nullable=True),
    )
    op.create_index("ix_shoutout_recipients_shoutout_id", "shoutout_recipients", ["shoutout_id"])
    op.create_index("ix_shoutout_recipients_name", "shoutout_recipients", ["name"])
    op.create_index("ix_shoutout_recipients_user_id", "shoutout_recipients", ["user_id"])
    op.create_table(
        "handled_messages",
        sa.Column("event_key", sa.String(100), primary_key=True),
        sa.Column("handled_at", UTCDateTime(), nullable=False),
        sa.Column("reply_message_id", sa.BigInteger(), nullable=True),
    )
    op.create_table(
        "publications",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("digest", sa.String(100), nullable=False),
        sa.Column("period_start", UTCDateTime(), nullable=False),
        sa.Column("period_end", UTCDateTime(), nullable=False),
        sa.Column("target", sa.String(300), nullable=False),
        sa.Column("status", sa.String(20), nullable=False, server_default="pending"),
        sa.Column("external_id", sa.String(100), nullable=True),
        sa.Column("remote_ref", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("published_at", UTCDateTime(), nullable=True),
        sa.UniqueConstraint("digest", "period_start", "target", name="uq_publication"),
    )


def downgrade() -> None:
    op.drop_table("publications")
    op.drop_table("handled_messages")
    op.drop_table("shoutout_recipients")
    op.drop_table("shoutouts")
