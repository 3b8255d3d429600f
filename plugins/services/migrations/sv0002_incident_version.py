"""services plugin: the incident version a proxy request last followed

Revision ID: sv0002_incident_version
Revises: sv0001_services
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "sv0002_incident_version"
down_revision: str | Sequence[str] | None = "sv0001_services"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Bus messages may come again or out of order: a request follows only newer versions.
    with op.batch_alter_table("services_proxy_requests") as batch:
        batch.add_column(
            sa.Column("incident_version", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("services_proxy_requests") as batch:
        batch.drop_column("incident_version")
