"""archives plugin: standard addresses, houses, households, residents, key-group tags, places,
organisations, and the plugin's own keys (the look-up hashes' HMAC key)

Revision ID: a0001_archives
Revises:
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a0001_archives"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("archives",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "archives_addresses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("grid_id", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("full_name", sa.String(length=300), nullable=False),
        sa.Column("lng", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["archives_addresses.id"],
            name=op.f("fk_archives_addresses_parent_id_archives_addresses"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_archives_addresses")),
    )
    op.create_index(
        op.f("ix_archives_addresses_grid_id"), "archives_addresses", ["grid_id"], unique=False
    )
    op.create_index(
        op.f("ix_archives_addresses_parent_id"), "archives_addresses", ["parent_id"], unique=False
    )
    op.create_table(
        "archives_keys",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_archives_keys")),
    )
    op.create_table(
        "archives_tags",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name_zh", sa.String(length=50), nullable=False),
        sa.Column("name_en", sa.String(length=80), nullable=False),
        sa.Column("care_level", sa.Integer(), nullable=False),
        sa.Column("visit_interval_days", sa.Integer(), nullable=False),
        sa.Column("visible_roles", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_archives_tags")),
    )
    op.create_table(
        "archives_houses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("grid_id", sa.Integer(), nullable=False),
        sa.Column("address_id", sa.Integer(), nullable=True),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("address_text", sa.String(length=300), nullable=False),
        sa.Column("house_type", sa.String(length=16), nullable=False),
        sa.Column("use", sa.String(length=16), nullable=False),
        sa.Column("owner_name", sa.String(length=50), nullable=False),
        sa.Column("owner_resident_id", sa.Integer(), nullable=True),
        sa.Column("area_m2", sa.Float(), nullable=True),
        sa.Column("floors", sa.Integer(), nullable=True),
        sa.Column("lng", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["address_id"],
            ["archives_addresses.id"],
            name=op.f("fk_archives_houses_address_id_archives_addresses"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_archives_houses")),
        sa.UniqueConstraint("code", name=op.f("uq_archives_houses_code")),
    )
    op.create_index(
        op.f("ix_archives_houses_address_id"), "archives_houses", ["address_id"], unique=False
    )
    op.create_index(
        op.f("ix_archives_houses_grid_id"), "archives_houses", ["grid_id"], unique=False
    )
    op.create_index("ix_archives_houses_lat_lng", "archives_houses", ["lat", "lng"], unique=False)
    op.create_index(
        op.f("ix_archives_houses_owner_resident_id"),
        "archives_houses",
        ["owner_resident_id"],
        unique=False,
    )
    op.create_table(
        "archives_orgs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("grid_id", sa.Integer(), nullable=False),
        sa.Column("address_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("leader_name", sa.String(length=50), nullable=False),
        sa.Column("phone_sealed", sa.String(length=200), nullable=False),
        sa.Column("phone_masked", sa.String(length=24), nullable=False),
        sa.Column("members", sa.Integer(), nullable=True),
        sa.Column("address_text", sa.String(length=300), nullable=False),
        sa.Column("lng", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["address_id"],
            ["archives_addresses.id"],
            name=op.f("fk_archives_orgs_address_id_archives_addresses"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_archives_orgs")),
    )
    op.create_index(
        op.f("ix_archives_orgs_address_id"), "archives_orgs", ["address_id"], unique=False
    )
    op.create_index(op.f("ix_archives_orgs_grid_id"), "archives_orgs", ["grid_id"], unique=False)
    op.create_index(op.f("ix_archives_orgs_name"), "archives_orgs", ["name"], unique=False)
    op.create_table(
        "archives_places",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("grid_id", sa.Integer(), nullable=False),
        sa.Column("address_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("risk_level", sa.String(length=8), nullable=False),
        sa.Column("inspection_interval_days", sa.Integer(), nullable=False),
        sa.Column("credit_code", sa.String(length=18), nullable=False),
        sa.Column("contact_name", sa.String(length=50), nullable=False),
        sa.Column("phone_sealed", sa.String(length=200), nullable=False),
        sa.Column("phone_hash", sa.String(length=64), nullable=True),
        sa.Column("phone_masked", sa.String(length=24), nullable=False),
        sa.Column("employees", sa.Integer(), nullable=True),
        sa.Column("address_text", sa.String(length=300), nullable=False),
        sa.Column("lng", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["address_id"],
            ["archives_addresses.id"],
            name=op.f("fk_archives_places_address_id_archives_addresses"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_archives_places")),
    )
    op.create_index(
        op.f("ix_archives_places_address_id"), "archives_places", ["address_id"], unique=False
    )
    op.create_index(
        op.f("ix_archives_places_grid_id"), "archives_places", ["grid_id"], unique=False
    )
    op.create_index("ix_archives_places_lat_lng", "archives_places", ["lat", "lng"], unique=False)
    op.create_index(op.f("ix_archives_places_name"), "archives_places", ["name"], unique=False)
    op.create_index(
        op.f("ix_archives_places_phone_hash"), "archives_places", ["phone_hash"], unique=False
    )
    op.create_table(
        "archives_households",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("grid_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("house_id", sa.Integer(), nullable=True),
        sa.Column("head_resident_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["house_id"],
            ["archives_houses.id"],
            name=op.f("fk_archives_households_house_id_archives_houses"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_archives_households")),
        sa.UniqueConstraint("number", name=op.f("uq_archives_households_number")),
    )
    op.create_index(
        op.f("ix_archives_households_grid_id"), "archives_households", ["grid_id"], unique=False
    )
    op.create_index(
        op.f("ix_archives_households_house_id"), "archives_households", ["house_id"], unique=False
    )
    op.create_table(
        "archives_residents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("grid_id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=True),
        sa.Column("house_id", sa.Integer(), nullable=True),
        sa.Column("relation", sa.String(length=16), nullable=True),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("sex", sa.String(length=1), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("occupation", sa.String(length=100), nullable=False),
        sa.Column("id_sealed", sa.String(length=200), nullable=False),
        sa.Column("id_hash", sa.String(length=64), nullable=False),
        sa.Column("id_masked", sa.String(length=24), nullable=False),
        sa.Column("phone_sealed", sa.String(length=200), nullable=False),
        sa.Column("phone_hash", sa.String(length=64), nullable=True),
        sa.Column("phone_masked", sa.String(length=24), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["house_id"],
            ["archives_houses.id"],
            name=op.f("fk_archives_residents_house_id_archives_houses"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["archives_households.id"],
            name=op.f("fk_archives_residents_household_id_archives_households"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_archives_residents")),
        sa.UniqueConstraint("id_hash", name=op.f("uq_archives_residents_id_hash")),
    )
    op.create_index(
        op.f("ix_archives_residents_grid_id"), "archives_residents", ["grid_id"], unique=False
    )
    op.create_index(
        "ix_archives_residents_grid_name", "archives_residents", ["grid_id", "name"], unique=False
    )
    op.create_index(
        op.f("ix_archives_residents_house_id"), "archives_residents", ["house_id"], unique=False
    )
    op.create_index(
        op.f("ix_archives_residents_household_id"),
        "archives_residents",
        ["household_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_archives_residents_name"), "archives_residents", ["name"], unique=False
    )
    op.create_index(
        op.f("ix_archives_residents_phone_hash"), "archives_residents", ["phone_hash"], unique=False
    )
    op.create_table(
        "archives_resident_tags",
        sa.Column("resident_id", sa.Integer(), nullable=False),
        sa.Column("tag_code", sa.String(length=32), nullable=False),
        sa.Column("grid_id", sa.Integer(), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["resident_id"],
            ["archives_residents.id"],
            name=op.f("fk_archives_resident_tags_resident_id_archives_residents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tag_code"],
            ["archives_tags.code"],
            name=op.f("fk_archives_resident_tags_tag_code_archives_tags"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("resident_id", "tag_code", name=op.f("pk_archives_resident_tags")),
    )
    op.create_index(
        op.f("ix_archives_resident_tags_grid_id"),
        "archives_resident_tags",
        ["grid_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_archives_resident_tags_tag_code"),
        "archives_resident_tags",
        ["tag_code"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_archives_resident_tags_tag_code"), table_name="archives_resident_tags")
    op.drop_index(op.f("ix_archives_resident_tags_grid_id"), table_name="archives_resident_tags")
    op.drop_table("archives_resident_tags")
    op.drop_index(op.f("ix_archives_residents_phone_hash"), table_name="archives_residents")
    op.drop_index(op.f("ix_archives_residents_name"), table_name="archives_residents")
    op.drop_index(op.f("ix_archives_residents_household_id"), table_name="archives_residents")
    op.drop_index(op.f("ix_archives_residents_house_id"), table_name="archives_residents")
    op.drop_index("ix_archives_residents_grid_name", table_name="archives_residents")
    op.drop_index(op.f("ix_archives_residents_grid_id"), table_name="archives_residents")
    op.drop_table("archives_residents")
    op.drop_index(op.f("ix_archives_households_house_id"), table_name="archives_households")
    op.drop_index(op.f("ix_archives_households_grid_id"), table_name="archives_households")
    op.drop_table("archives_households")
    op.drop_index(op.f("ix_archives_places_phone_hash"), table_name="archives_places")
    op.drop_index(op.f("ix_archives_places_name"), table_name="archives_places")
    op.drop_index("ix_archives_places_lat_lng", table_name="archives_places")
    op.drop_index(op.f("ix_archives_places_grid_id"), table_name="archives_places")
    op.drop_index(op.f("ix_archives_places_address_id"), table_name="archives_places")
    op.drop_table("archives_places")
    op.drop_index(op.f("ix_archives_orgs_name"), table_name="archives_orgs")
    op.drop_index(op.f("ix_archives_orgs_grid_id"), table_name="archives_orgs")
    op.drop_index(op.f("ix_archives_orgs_address_id"), table_name="archives_orgs")
    op.drop_table("archives_orgs")
    op.drop_index(op.f("ix_archives_houses_owner_resident_id"), table_name="archives_houses")
    op.drop_index("ix_archives_houses_lat_lng", table_name="archives_houses")
    op.drop_index(op.f("ix_archives_houses_grid_id"), table_name="archives_houses")
    op.drop_index(op.f("ix_archives_houses_address_id"), table_name="archives_houses")
    op.drop_table("archives_houses")
    op.drop_table("archives_tags")
    op.drop_table("archives_keys")
    op.drop_index(op.f("ix_archives_addresses_parent_id"), table_name="archives_addresses")
    op.drop_index(op.f("ix_archives_addresses_grid_id"), table_name="archives_addresses")
    op.drop_table("archives_addresses")
