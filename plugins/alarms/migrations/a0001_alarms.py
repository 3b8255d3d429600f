"""alarms plugin: device frames, alarms, their history, telemetry rules and rule state

Revision ID: a0001_alarms
Revises:
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a0001_alarms"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("alarms",)
depends_on: str | Sequence[str] | None = "0001_core"

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "alarm_frames",
        sa.Column(
            "device_id",
            sa.Integer(),
            sa.ForeignKey(
                "devices.id", name="fk_alarm_frames_device_id_devices", ondelete="CASCADE"
            ),
            nullable=False,
        ),
        sa.Column("seq", sa.BigInteger(), nullable=False, autoincrement=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("ts", sa.Float(), nullable=False),
        sa.Column("received_at", sa.Float(), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("device_id", "seq", name="pk_alarm_frames"),
    )
    op.create_index("ix_alarm_frames_received_at", "alarm_frames", ["received_at"])
    op.create_table(
        "alarms",
        sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column(
            "device_id",
            sa.Integer(),
            sa.ForeignKey("devices.id", name="fk_alarms_device_id_devices", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("device_code", sa.String(64), nullable=False),
        sa.Column("grid_id", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(64), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("active_key", sa.String(96), nullable=True),
        sa.Column("acknowledged", sa.Boolean(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("first_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cleared_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("incident_wanted", sa.Boolean(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.Column("incident_requested_at", sa.Float(), nullable=True),
        sa.UniqueConstraint("active_key", name="uq_alarms_active_key"),
    )
    op.create_index("ix_alarms_active_grid", "alarms", ["active", "grid_id"])
    op.create_index("ix_alarms_incident_wanted", "alarms", ["incident_wanted"])
    op.create_table(
        "alarm_events",
        sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column(
            "alarm_id",
            BIG_ID,
            sa.ForeignKey("alarms.id", name="fk_alarm_events_alarm_id_alarms", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(120), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
    )
    op.create_index("ix_alarm_events_alarm_id", "alarm_events", ["alarm_id"])
    op.create_table(
        "alarm_rules",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("device_type", sa.String(64), nullable=True),
        sa.Column(
            "device_id",
            sa.Integer(),
            sa.ForeignKey(
                "devices.id", name="fk_alarm_rules_device_id_devices", ondelete="CASCADE"
            ),
            nullable=True,
        ),
        sa.Column("metric", sa.String(64), nullable=False),
        sa.Column("op", sa.String(2), nullable=False),
        sa.Column("threshold", sa.Float(), nullable=False),
        sa.Column("duration_s", sa.Float(), nullable=False),
        sa.Column("repeat", sa.Integer(), nullable=False),
        sa.Column("alarm_type", sa.String(64), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("auto_clear", sa.Boolean(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
    )
    op.create_table(
        "alarm_rule_states",
        sa.Column(
            "rule_id",
            sa.Integer(),
            sa.ForeignKey(
                "alarm_rules.id",
                name="fk_alarm_rule_states_rule_id_alarm_rules",
                ondelete="CASCADE",
            ),
            nullable=False,
        ),
        sa.Column(
            "device_id",
            sa.Integer(),
            sa.ForeignKey(
                "devices.id", name="fk_alarm_rule_states_device_id_devices", ondelete="CASCADE"
            ),
            nullable=False,
        ),
        sa.Column("since", sa.Float(), nullable=True),
        sa.Column("streak", sa.Integer(), nullable=False),
        sa.Column("raised", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("rule_id", "device_id", name="pk_alarm_rule_states"),
    )


def downgrade() -> None:
    for table in ("alarm_rule_states", "alarm_rules", "alarm_events", "alarms"):
        op.drop_table(table)
    op.drop_index("ix_alarm_frames_received_at", table_name="alarm_frames")
    op.drop_table("alarm_frames")
