"""Recordings: `subject` (`<kind>:<id>` of what a recording belongs to) replaces `incident_id`

Media names no plugin: a group call's recording belongs to the owner of its channel (the
channel's ref: "incident:12", "grid:3"), a plugin subject's to that subject ("sos:5"). Existing
rows are carried over: incident_id 12 becomes "incident:12", a channel's recording takes the
channel's ref, a subject's recording ("rec:<kind>:<id>") takes "<kind>:<id>".

Revision ID: 0009_recording_subject
Revises: 0008_auth_limits
Create Date: 2026-12-06 15:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_recording_subject"
down_revision: str | Sequence[str] | None = "0008_auth_limits"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RECORDINGS = sa.table(
    "recordings",
    sa.column("id", sa.String),
    sa.column("kind", sa.String),
    sa.column("room", sa.String),
    sa.column("channel_id", sa.Integer),
    sa.column("incident_id", sa.Integer),
    sa.column("subject", sa.String),
)
CHANNELS = sa.table("channels", sa.column("id", sa.Integer), sa.column("ref", sa.String))
OWN_KINDS = ("call", "group", "ptt")  # recording's own kinds; any other is a plugin's subject


def upgrade() -> None:
    with op.batch_alter_table("recordings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("subject", sa.String(length=128), nullable=True))
        batch_op.create_index(batch_op.f("ix_recordings_subject"), ["subject"], unique=False)
    conn = op.get_bind()
    for row in conn.execute(sa.select(RECORDINGS, CHANNELS.c.ref).outerjoin(
        CHANNELS, CHANNELS.c.id == RECORDINGS.c.channel_id
    )).mappings().all():  # fmt: skip
        subject = _subject(row)
        if subject is not None:
            conn.execute(
                RECORDINGS.update().where(RECORDINGS.c.id == row["id"]).values(subject=subject)
            )
    with op.batch_alter_table("recordings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recordings_incident_id"))
        batch_op.drop_column("incident_id")


def _subject(row: sa.RowMapping) -> str | None:
    if row["incident_id"] is not None:
        return f"incident:{row['incident_id']}"
    if row["ref"] is not None:
        return str(row["ref"])
    prefix = f"rec:{row['kind']}:"
    if row["kind"] not in OWN_KINDS and str(row["room"]).startswith(prefix):
        return f"{row['kind']}:{str(row['room'])[len(prefix) :]}"
    return None


def downgrade() -> None:
    with op.batch_alter_table("recordings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("incident_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_recordings_incident_id"), ["incident_id"])
    conn = op.get_bind()
    found = sa.select(RECORDINGS.c.id, RECORDINGS.c.subject).where(
        RECORDINGS.c.subject.like("incident:%")
    )
    for recording_id, subject in conn.execute(found).all():
        number = subject.removeprefix("incident:")
        if number.isdigit() and int(number) < 2**31:
            update = RECORDINGS.update().where(RECORDINGS.c.id == recording_id)
            conn.execute(update.values(incident_id=int(number)))
    with op.batch_alter_table("recordings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recordings_subject"))
        batch_op.drop_column("subject")
