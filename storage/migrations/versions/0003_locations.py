"""location track points

Revision ID: 0003_locations
Revises: 0001_core
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.sql

revision: str = "0003_locations"
down_revision: str | Sequence[str] | None = "0001_core"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "location_points",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("at", storage.sql.UTCDateTime(timezone=True), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("accuracy", sa.Float(), nullable=True),
        sa.Column("heading", sa.Float(), nullable=True),
        sa.Column("speed", sa.Float(), nullable=True),
        sa.Column("battery", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], name=op.f("fk_location_points_person_id_people"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_location_points")),
    )
    with op.batch_alter_table("location_points", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_location_points_at"), ["at"], unique=False)
        batch_op.create_index("ix_location_points_person_at", ["person_id", "at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("location_points", schema=None) as batch_op:
        batch_op.drop_index("ix_location_points_person_at")
        batch_op.drop_index(batch_op.f("ix_location_points_at"))
    op.drop_table("location_points")
