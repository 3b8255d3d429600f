"""party plugin: when dispatch last described each known incident (the trimming counts from it)

Revision ID: p0008_known_case_seen
Revises: p0007_promo_versions
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "p0008_known_case_seen"
down_revision: str | Sequence[str] | None = "p0007_promo_versions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "party_known_cases"


def upgrade() -> None:
    # SQLite cannot add a column whose default is the time: add it empty, fill it, then forbid
    # NULL (a table rebuild there). Rows from before count as seen at the upgrade, so none is
    # trimmed sooner than the retention after it.
    op.add_column(TABLE, sa.Column("seen_at", sa.DateTime(timezone=True), nullable=True))
    known = sa.table(TABLE, sa.column("seen_at", sa.DateTime(timezone=True)))
    op.execute(known.update().values(seen_at=sa.func.current_timestamp()))
    with op.batch_alter_table(TABLE) as batch:
        batch.alter_column("seen_at", existing_type=sa.DateTime(timezone=True), nullable=False)
    op.create_index(op.f(f"ix_{TABLE}_seen_at"), TABLE, ["seen_at"])


def downgrade() -> None:
    op.drop_index(op.f(f"ix_{TABLE}_seen_at"), table_name=TABLE)
    with op.batch_alter_table(TABLE) as batch:
        batch.drop_column("seen_at")
