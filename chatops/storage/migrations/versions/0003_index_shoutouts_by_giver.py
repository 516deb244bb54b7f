"""Index shout-outs by giver and time for the rate limit.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_shoutouts_giver_id_created_at", "shoutouts", ["giver_id", "created_at"])
    op.create_index("ix_shoutouts_giver_created_at", "shoutouts", ["giver", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_shoutouts_giver_created_at", table_name="shoutouts")
    op.drop_index("ix_shoutouts_giver_id_created_at", table_name="shoutouts")
