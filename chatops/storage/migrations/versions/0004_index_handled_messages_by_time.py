"""Index handled messages by time for pruning.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_handled_messages_handled_at", "handled_messages", ["handled_at"])


def downgrade() -> None:
    op.drop_index("ix_handled_messages_handled_at", table_name="handled_messages")
