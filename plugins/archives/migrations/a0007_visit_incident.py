"""archives plugin: an index on the incident a visit's hazard filed (`archives_visits.incident_id`),
so the incident drawer's card finds the person or place an incident names by its id.

Revision ID: a0007_visit_incident
Revises: a0006_house_cell
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "a0007_visit_incident"
down_revision: str | Sequence[str] | None = "a0006_house_cell"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_archives_visits_incident_id", "archives_visits", ["incident_id"])


def downgrade() -> None:
    op.drop_index("ix_archives_visits_incident_id", table_name="archives_visits")
