"""mediation plugin: the expert pool (专家库) and the experts called into a case

Revision ID: md0005_experts
Revises: md0004_documents
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "md0005_experts"
down_revision: str | Sequence[str] | None = "md0004_documents"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "mediation_experts"


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("grid_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("specialties", sa.JSON(), nullable=False),
        sa.Column("phone", sa.String(length=200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mediation_experts")),
    )
    op.create_index(op.f(f"ix_{TABLE}_grid_id"), TABLE, ["grid_id"], unique=False)
    # existing cases have called no expert: the server default fills them, then goes
    with op.batch_alter_table("mediation_cases") as batch:
        batch.add_column(
            sa.Column("expert_ids", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )
    with op.batch_alter_table("mediation_cases") as batch:
        batch.alter_column("expert_ids", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("mediation_cases") as batch:
        batch.drop_column("expert_ids")
    op.drop_table(TABLE)
