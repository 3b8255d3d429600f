"""escalation plugin: a chain keeps the default policy a plugin offered with its request

Revision ID: e0002_policy_spec
Revises: e0001_escalation
Create Date: 2026-12-07 01:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e0002_policy_spec"
down_revision: str | Sequence[str] | None = "e0001_escalation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("escalation_chains", sa.Column("policy_spec", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("escalation_chains") as batch:
        batch.drop_column("policy_spec")
