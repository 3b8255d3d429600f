"""archives plugin: `archives_house_cells`, the houses counted per map cell of each cluster zoom
(8 to 15) and grid, so the map's cluster view of a county sums a few thousand cells instead of
grouping every house. Filled here from the houses already in the archive; from then on the
writers of houses keep it (plugins/archives/cells.py). The cell formula is written out here, not
imported: a migration must not change when the plugin's code does.

Revision ID: a0005_house_cells
Revises: a0004_lookup_digest
Create Date: 2026-12-06
"""

import math
from collections import defaultdict
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a0005_house_cells"
down_revision: str | Sequence[str] | None = "a0004_lookup_digest"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LEVELS = range(8, 16)
BATCH = 5000


def upgrade() -> None:
    cells = op.create_table(
        "archives_house_cells",
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("grid_id", sa.Integer(), nullable=False),
        sa.Column("cx", sa.Integer(), nullable=False),
        sa.Column("cy", sa.Integer(), nullable=False),
        sa.Column("houses", sa.Integer(), nullable=False),
        sa.Column("sum_lng", sa.Float(), nullable=False),
        sa.Column("sum_lat", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("level", "grid_id", "cx", "cy"),
    )
    rows = _count(op.get_bind())
    for start in range(0, len(rows), BATCH):
        op.bulk_insert(cells, rows[start : start + BATCH])


def _count(bind: sa.Connection) -> list[dict[str, float | int]]:
    found = bind.execute(
        sa.text(
            "SELECT grid_id, lng, lat FROM archives_houses "
            "WHERE lng IS NOT NULL AND lat IS NOT NULL"
        )
    )
    sums: dict[tuple[int, int, int, int], list[float]] = defaultdict(lambda: [0, 0.0, 0.0])
    for grid_id, lng, lat in found:
        for level in LEVELS:
            size = 0.5 / float(2 ** (level - 8))
            cell = sums[(level, grid_id, math.floor(lng / size), math.floor(lat / size))]
            cell[0] += 1
            cell[1] += lng
            cell[2] += lat
    return [
        {"level": k[0], "grid_id": k[1], "cx": k[2], "cy": k[3], "houses": int(v[0]),
         "sum_lng": v[1], "sum_lat": v[2]}
        for k, v in sums.items()
    ]  # fmt: skip


def downgrade() -> None:
    op.drop_table("archives_house_cells")
