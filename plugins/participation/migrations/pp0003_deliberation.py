"""participation plugin: deliberation topics, participants, votes and ballots

Revision ID: pp0003_deliberation
Revises: pp0002_volunteers
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "pp0003_deliberation"
down_revision: str | Sequence[str] | None = "pp0002_volunteers"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "participation_ballots",
        sa.Column("vote_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("choice", sa.Integer(), nullable=False),
        sa.Column("cast_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("vote_id", "person_id", name=op.f("pk_participation_ballots")),
    )
    op.create_table(
        "participation_participants",
        sa.Column("topic_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("display_name", sa.String(length=80), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "topic_id", "person_id", name=op.f("pk_participation_participants")
        ),
    )
    op.create_table(
        "participation_topics",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("grid_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=80), nullable=False),
        sa.Column("body", sa.String(length=2000), nullable=False),
        sa.Column("proposed_by", sa.Integer(), nullable=False),
        sa.Column("proposer_kind", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("meeting_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("meeting_place", sa.String(length=120), nullable=False),
        sa.Column("minutes", sa.String(length=4000), nullable=False),
        sa.Column("conclusion", sa.String(length=2000), nullable=False),
        sa.Column("action_category", sa.String(length=64), nullable=True),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.Column("incident_number", sa.String(length=40), nullable=True),
        sa.Column("incident_state", sa.String(length=24), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("concluded_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_participation_topics")),
    )
    op.create_index(
        op.f("ix_participation_topics_grid_id"), "participation_topics", ["grid_id"], unique=False
    )
    op.create_table(
        "participation_votes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("topic_id", sa.Integer(), nullable=False),
        sa.Column("question", sa.String(length=200), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("eligible", sa.String(length=16), nullable=False),
        sa.Column("quorum", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_participation_votes")),
    )
    op.create_index(
        op.f("ix_participation_votes_topic_id"), "participation_votes", ["topic_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_participation_votes_topic_id"), table_name="participation_votes")
    op.drop_table("participation_votes")
    op.drop_index(op.f("ix_participation_topics_grid_id"), table_name="participation_topics")
    op.drop_table("participation_topics")
    op.drop_table("participation_participants")
    op.drop_table("participation_ballots")
