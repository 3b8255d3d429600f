"""archives plugin: each house's map cell at zoom 16 (`cell_x`, `cell_y`, index on cell_y then
cell_x), so the single-house view of a zoomed-in viewport reads a few cell rows bounded in both
lng and lat instead of the county-wide latitude band the lat/lng index gives. Filled here for
the houses already there (the cell computed in Python: SQLite truncates a CAST, PostgreSQL
rounds); from then on every writer of a house's position keeps it. The formula is written out,
not imported: a migration must not change when the plugin's code does.

Revision ID: a0006_house_cell
Revises: a0005_house_cells
Create Date: 2026-12-06
"""

import math
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a0006_house_cell"
down_revision: str | Sequence[str] | None = "a0005_house_cells"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SIZE = 0.5 / 2**8  # degrees of a zoom-16 cell
BATCH = 5000


def upgrade() -> None:
    op.add_column("archives_houses", sa.Column("cell_x", sa.Integer(), nullable=True))
    op.add_column("archives_houses", sa.Column("cell_y", sa.Integer(), nullable=True))
    bind = op.get_bind()
    found = bind.execute(
        sa.text(
            "SELECT id, lng, lat FROM archives_houses WHERE lng IS NOT NULL AND lat IS NOT NULL"
        )
    ).all()
    rows = [
        {"i": i, "x": math.floor(lng / SIZE), "y": math.floor(lat / SIZE)} for i, lng, lat in found
    ]
    update = sa.text("UPDATE archives_houses SET cell_x = :x, cell_y = :y WHERE id = :i")
    for start in range(0, len(rows), BATCH):
        bind.execute(update, rows[start : start + BATCH])
    op.create_index("ix_archives_houses_cell", "archives_houses", ["cell_y", "cell_x"])


def downgrade() -> None:
    op.drop_index("ix_archives_houses_cell", table_name="archives_houses")
    op.drop_column("archives_houses", "cell_y")
    op.drop_column("archives_houses", "cell_x")
