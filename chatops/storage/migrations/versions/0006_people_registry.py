"""Add the people registry: people, their sightings, the sources read and forgotten identifiers.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from chatops.storage.tables import UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "people",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("fixed_name", sa.String(200), nullable=True),
        sa.Column("names", sa.JSON(), nullable=False),
        sa.Column("handles", sa.JSON(), nullable=False),
        sa.Column("affiliations", sa.JSON(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=True),
        sa.Column("email", sa.String(200), nullable=True),
        sa.Column("zulip_name", sa.String(200), nullable=True),
        sa.Column("pronouns", sa.String(100), nullable=True),
        sa.Column("configured", sa.Boolean(), nullable=False),
        sa.Column("opted_out", sa.Boolean(), nullable=False),
        sa.Column("first_seen", UTCDateTime(), nullable=True),
        sa.Column("first_role", sa.String(30), nullable=True),
        sa.Column("first_label", sa.String(300), nullable=True),
        sa.Column("first_present", UTCDateTime(), nullable=True),
        sa.Column("last_seen", UTCDateTime(), nullable=True),
    )
    op.create_index("ix_people_user_id", "people", ["user_id"])
    op.create_index("ix_people_first_seen", "people", ["first_seen"])
    op.create_table(
        "person_sightings",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("person_id", sa.Integer(), sa.ForeignKey("people.id", ondelete="CASCADE"), nullable=True),
        sa.Column("source", sa.String(500), nullable=False),
        sa.Column("place", sa.String(500), nullable=False),
        sa.Column("role", sa.String(30), nullable=False),
        sa.Column("seen_at", UTCDateTime(), nullable=False),
        sa.Column("label", sa.String(300), nullable=False),
        sa.Column("name", sa.String(200), nullable=True),
        sa.Column("handle", sa.String(100), nullable=True),
        sa.Column("weak_handle", sa.String(100), nullable=True),
        sa.Column("user_id", sa.BigInteger(), nullable=True),
        sa.Column("email", sa.String(200), nullable=True),
        sa.Column("affiliation", sa.String(200), nullable=True),
        sa.Column("pronouns", sa.String(100), nullable=True),
        sa.Column("rule", sa.String(40), nullable=False),
        sa.Column("reason", sa.String(300), nullable=False),
    )
    op.create_index("ix_person_sightings_source", "person_sightings", ["source"])
    op.create_index("ix_person_sightings_seen_at", "person_sightings", ["seen_at"])
    op.create_index("ix_person_sightings_person_id_seen_at", "person_sightings", ["person_id", "seen_at"])
    op.create_table(
        "people_sources",
        sa.Column("source", sa.String(500), primary_key=True),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("built_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "people_forgotten",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("forgotten_at", UTCDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("people_forgotten")
    op.drop_table("people_sources")
    op.drop_table("person_sightings")
    op.drop_table("people")
