"""alarms plugin: a rule's alarm keeps what it compared (metric, op, threshold)

Consoles word an alarm in their own language from these facts instead of reading back the
English message. Alarms raised by a rule before this revision get them from their message
(`{rule}: {metric} {value} {op} {threshold}`, plugins/alarms/rules.py); a device's own alarms
have none.

Revision ID: a0002_alarm_facts
Revises: a0001_alarms
Create Date: 2026-12-06
"""

import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a0002_alarm_facts"
down_revision: str | Sequence[str] | None = "a0001_alarms"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NUMBER = r"-?\d+(?:\.\d+)?(?:e[+-]?\d+)?"
RULE_READING = re.compile(rf"^.*: (\w+) ({_NUMBER}) (gt|ge|lt|le|eq|ne) ({_NUMBER})$")
ALARMS = sa.table(
    "alarms",
    sa.column("id", sa.BigInteger()),
    sa.column("message", sa.Text()),
    sa.column("metric", sa.String(64)),
    sa.column("op", sa.String(2)),
    sa.column("threshold", sa.Float()),
)


def upgrade() -> None:
    with op.batch_alter_table("alarms") as batch:
        batch.add_column(sa.Column("metric", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("op", sa.String(length=2), nullable=True))
        batch.add_column(sa.Column("threshold", sa.Float(), nullable=True))
    _facts_from_messages()


def _facts_from_messages() -> None:
    conn = op.get_bind()
    rows = conn.execute(
        sa.select(ALARMS.c.id, ALARMS.c.message).where(ALARMS.c.message.like("%: %"))
    )
    for alarm_id, message in rows.all():
        reading = RULE_READING.match(message or "")
        if reading and len(reading[1]) <= 64:
            facts = {"metric": reading[1], "op": reading[3], "threshold": float(reading[4])}
            conn.execute(sa.update(ALARMS).where(ALARMS.c.id == alarm_id).values(**facts))


def downgrade() -> None:
    with op.batch_alter_table("alarms") as batch:
        batch.drop_column("threshold")
        batch.drop_column("op")
        batch.drop_column("metric")
