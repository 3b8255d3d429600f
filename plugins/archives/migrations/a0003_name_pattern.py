"""archives plugin: a pattern index on residents' names, for the name-prefix search on
PostgreSQL (LIKE 'x%' uses a plain index there only under the C collation); on SQLite it is a
second plain index on the name, which the search (a range) can use too.

Revision ID: a0003_name_pattern
Revises: a0002_field_work
Create Date: 2026-12-06
"""

from collections.abc import Sequence

from alembic import op

revision: str = "a0003_name_pattern"
down_revision: str | Sequence[str] | None = "a0002_field_work"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_archives_residents_name_pattern",
        "archives_residents",
        ["name"],
        unique=False,
        postgresql_ops={"name": "text_pattern_ops"},
    )


def downgrade() -> None:
    op.drop_index("ix_archives_residents_name_pattern", table_name="archives_residents")
