"""mediation plugin: a party linked to an archived person (the archives plugin's resident)

Revision ID: md0007_party_person
Revises: md0006_articles
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "md0007_party_person"
down_revision: str | Sequence[str] | None = "md0006_articles"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "mediation_parties"


def upgrade() -> None:
    op.add_column(TABLE, sa.Column("person_id", sa.Integer(), nullable=True))
    op.add_column(TABLE, sa.Column("person_grid_id", sa.Integer(), nullable=True))
    op.add_column(TABLE, sa.Column("person_masked", sa.String(length=24), nullable=True))
    op.create_index(op.f(f"ix_{TABLE}_person_id"), TABLE, ["person_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f(f"ix_{TABLE}_person_id"), table_name=TABLE)
    with op.batch_alter_table(TABLE) as batch:
        for column in ("person_masked", "person_grid_id", "person_id"):
            batch.drop_column(column)
