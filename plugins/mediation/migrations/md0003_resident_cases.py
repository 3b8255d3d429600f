"""mediation plugin: cases residents apply for (tracking code, hashed client address)

Revision ID: md0003_resident_cases
Revises: md0002_questions
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "md0003_resident_cases"
down_revision: str | Sequence[str] | None = "md0002_questions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "mediation_cases"


def upgrade() -> None:
    with op.batch_alter_table(TABLE) as batch:
        batch.add_column(sa.Column("tracking_code", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("client_hash", sa.String(length=64), nullable=True))
        batch.create_unique_constraint(op.f("uq_mediation_cases_tracking_code"), ["tracking_code"])
        batch.create_index(op.f("ix_mediation_cases_client_hash"), ["client_hash"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table(TABLE) as batch:
        batch.drop_index(op.f("ix_mediation_cases_client_hash"))
        batch.drop_constraint(op.f("uq_mediation_cases_tracking_code"), type_="unique")
        batch.drop_column("client_hash")
        batch.drop_column("tracking_code")
