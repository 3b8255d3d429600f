"""archives plugin: the look-up digests of ID numbers and phones become the SDK's
`ctx.personal.lookup` (a key derived from the deployment's sealing key) instead of an HMAC under
the plugin's own key; the plugin's key table `archives_keys` goes. Existing digests are
recomputed from the sealed values (opened with the deployment's key, kept by the hub in
`hub_settings`), so exact look-up keeps working on an existing archive.

Revision ID: a0004_lookup_digest
Revises: a0003_name_pattern
Create Date: 2026-12-06
"""

import base64
import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from hub.sdk import PersonalBox

revision: str = "a0004_lookup_digest"
down_revision: str | Sequence[str] | None = "a0003_name_pattern"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEALING_KEY = "personal.sealing_key"  # hub/personal.py's row in hub_settings
NOT_DIGITS = re.compile(r"\D")
BATCH = 5000


def upgrade() -> None:
    bind = op.get_bind()
    box = _deployment_box(bind)
    if box is not None:
        _rehash(bind, box, "archives_residents", ("id", "id_sealed", "phone_sealed"))
        _rehash(bind, box, "archives_places", ("id", None, "phone_sealed"))
    op.drop_table("archives_keys")


def downgrade() -> None:
    # the old digests were under a key that no longer exists: the table comes back empty
    op.create_table(
        "archives_keys",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_archives_keys")),
    )


def _deployment_box(bind: sa.Connection) -> PersonalBox | None:
    """The hub's sealing box, or None when nothing can have been sealed yet."""
    if not sa.inspect(bind).has_table("hub_settings"):
        return None
    value = bind.execute(
        sa.text("SELECT value FROM hub_settings WHERE key = :key"), {"key": SEALING_KEY}
    ).scalar()
    return None if value is None else PersonalBox(base64.urlsafe_b64decode(value))


def _rehash(
    bind: sa.Connection, box: PersonalBox, table: str, cols: tuple[str | None, ...]
) -> None:
    id_col = cols[1]
    wanted = ", ".join(c for c in cols if c)
    last = 0
    while rows := bind.execute(
        sa.text(f"SELECT {wanted} FROM {table} WHERE id > :last ORDER BY id LIMIT {BATCH}"),
        {"last": last},
    ).all():
        updates = [_digests(box, row, id_col is not None) for row in rows]
        sets = ["phone_hash = :phone_hash"] + (["id_hash = :id_hash"] if id_col else [])
        bind.execute(sa.text(f"UPDATE {table} SET {', '.join(sets)} WHERE id = :id"), updates)
        last = rows[-1][0]


def _digests(box: PersonalBox, row: Sequence[object], has_id: bool) -> dict[str, object]:
    phone_sealed = str(row[-1] or "")
    phone = NOT_DIGITS.sub("", box.open(phone_sealed)) if phone_sealed else ""
    out: dict[str, object] = {
        "id": row[0],
        "phone_hash": box.lookup(phone, "phone") if phone else None,
    }
    if has_id:
        out["id_hash"] = box.lookup(box.open(str(row[1])).strip().upper(), "id_number")
    return out
