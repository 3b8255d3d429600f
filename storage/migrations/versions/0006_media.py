"""Media service: recordings and camera sources (media/recording, media/camera)

Revision ID: 0006_media
Revises: 0005_calls
Create Date: 2026-11-26 01:05:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.sql

revision: str = "0006_media"
down_revision: str | Sequence[str] | None = "0005_calls"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_RECORDING_INDEXES = (
    "call_id",
    "channel_id",
    "ended_at",
    "grid_id",
    "incident_id",
    "kind",
    "room",
    "started_at",
    "state",
)


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete=ondelete
    )


def upgrade() -> None:
    op.create_table(
        "recordings",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("room", sa.String(length=128), nullable=False),
        sa.Column("call_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("channel_id", sa.Integer(), nullable=True),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.Column("grid_id", sa.Integer(), nullable=True),
        sa.Column("started_by", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("media", sa.String(length=8), nullable=False),
        sa.Column("container", sa.String(length=16), nullable=False),
        sa.Column("codec", sa.String(length=32), nullable=False),
        sa.Column("content_type", sa.String(length=64), nullable=False),
        sa.Column("path", sa.String(length=512), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("error", sa.String(length=255), nullable=True),
        sa.Column("started_at", storage.sql.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", storage.sql.UTCDateTime(timezone=True), nullable=True),
        sa.Column("duration_s", sa.Float(), nullable=True),
        _fk("recordings", "call_id", "calls", "SET NULL"),
        _fk("recordings", "channel_id", "channels", "SET NULL"),
        _fk("recordings", "grid_id", "grids", "SET NULL"),
        _fk("recordings", "started_by", "people", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recordings")),
    )
    with op.batch_alter_table("recordings", schema=None) as batch_op:
        for column in _RECORDING_INDEXES:
            batch_op.create_index(batch_op.f(f"ix_recordings_{column}"), [column], unique=False)
    op.create_table(
        "recording_participants",
        sa.Column("recording_id", sa.String(length=32), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["recording_id"],
            ["recordings.id"],
            name=op.f("fk_recording_participants_recording_id_recordings"),
            ondelete="CASCADE",
        ),
        _fk("recording_participants", "person_id", "people", "CASCADE"),
        sa.PrimaryKeyConstraint(
            "recording_id", "person_id", name=op.f("pk_recording_participants")
        ),
    )
    with op.batch_alter_table("recording_participants", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_recording_participants_person_id"), ["person_id"], unique=False
        )
    op.create_table(
        "cameras",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("source_kind", sa.String(length=8), nullable=False),
        sa.Column("source", sa.String(length=1024), nullable=False),
        sa.Column("grid_id", sa.Integer(), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", storage.sql.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", storage.sql.UTCDateTime(timezone=True), nullable=False),
        _fk("cameras", "grid_id", "grids", "SET NULL"),
        _fk("cameras", "created_by", "people", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cameras")),
    )
    with op.batch_alter_table("cameras", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cameras_grid_id"), ["grid_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("cameras", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cameras_grid_id"))
    op.drop_table("cameras")
    with op.batch_alter_table("recording_participants", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recording_participants_person_id"))
    op.drop_table("recording_participants")
    with op.batch_alter_table("recordings", schema=None) as batch_op:
        for column in reversed(_RECORDING_INDEXES):
            batch_op.drop_index(batch_op.f(f"ix_recordings_{column}"))
    op.drop_table("recordings")
