"""dispatch plugin: room for the resident's contact sealed at rest (hub.personal)

The contacts already stored in plain text are sealed by the plugin at start-up
(plugins.dispatch.contacts.seal_legacy), not here: the key lives in the hub, not in Alembic.

Revision ID: d0004_sealed_contact
Revises: d0003_open311_privacy
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "d0004_sealed_contact"
down_revision: str | Sequence[str] | None = "d0003_open311_privacy"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("dispatch_incidents") as batch:
        batch.alter_column(
            "reporter_contact",
            existing_type=sa.String(length=100),
            type_=sa.String(length=600),
            existing_nullable=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("dispatch_incidents") as batch:
        batch.alter_column(
            "reporter_contact",
            existing_type=sa.String(length=600),
            type_=sa.String(length=100),
            existing_nullable=False,
        )
