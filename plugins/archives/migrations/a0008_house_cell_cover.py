"""archives plugin: on PostgreSQL the (cell_y, cell_x) index carries the columns the
single-house map view draws (INCLUDE lng, lat, grid_id, id, address_text, code, use), so a
zoomed-in viewport is an index-only scan. Before, PostgreSQL ANDed the cell index with the
lat/lng index (which reads the county-wide latitude band) and then visited one heap page per
house: houses are written in import order, so a viewport's few hundred houses lie on as many
pages (400,000 houses: ~480 buffers and 16-25 ms per viewport; with the index ~28 buffers and
0.5-2 ms; docs/benchmarks.md). SQLite keeps the plain index (it has no INCLUDE).

Revision ID: a0008_house_cell_cover
Revises: a0007_visit_incident
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "a0008_house_cell_cover"
down_revision: str | Sequence[str] | None = "a0007_visit_incident"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX, TABLE = "ix_archives_houses_cell", "archives_houses"
DRAWN = ["lng", "lat", "grid_id", "id", "address_text", "code", "use"]


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    if _postgres():
        op.drop_index(INDEX, table_name=TABLE)
        op.create_index(INDEX, TABLE, ["cell_y", "cell_x"], postgresql_include=DRAWN)


def downgrade() -> None:
    if _postgres():
        op.drop_index(INDEX, table_name=TABLE)
        op.create_index(INDEX, TABLE, ["cell_y", "cell_x"])
