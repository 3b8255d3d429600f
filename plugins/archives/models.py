"""The archive's tables (一标三实: standard addresses, actual population, houses, units), Alembic
branch "archives" (plugins/archives/migrations, first revision `a0001_archives`).

The model, for the modules built on it (visits, changes, campaigns):

- Every row carries `grid_id` (a core grid id, no foreign key: the grid tree is the core's).
  Scope checks are always on the row's own `grid_id` (a worker sees the rows of their grids'
  subtrees); a row moved to another grid moves out of the old grid's sight.
- `Address` (标准地址): a tree below a grid. `level` is road → number → building → unit → room
  (`ADDRESS_LEVELS`); `parent_id` is the address above (None for a road). `full_name` is the
  path written out (东庄路 / 12号 / 3栋 / 2单元 / 301), kept by the writer. Coordinates lng/lat.
- `House` (实有房屋): on an address (or just a free-text `address_text`), `house_type`
  (`HOUSE_TYPES`), `use` (`HOUSE_USES`: self-occupied, rented, vacant, shop), owner (a name, and
  the owning resident when they are in the archive), area, coordinates.
- `HouseCell`: houses counted per map cell of each cluster zoom (the cluster view's summary).
- `Household` (户): a number (户号, unique), the house it lives in, its head (a resident).
  Members are residents with `household_id` and `relation` (`RELATIONS`; `tenant` for people
  renting a room of the house without being of the household).
- `Resident` (实有人口): `category` registered / resident / floating; name, sex, birth date,
  occupation, household, house, grid. The ID number and the phone are personal data: the
  `*_sealed` columns hold `ctx.personal.seal(...)` (AES-GCM, never plain), the `*_hash` columns a
  keyed digest (`ctx.personal.lookup`, HMAC-SHA256 under a key derived from the
  deployment's, see keys.py) for exact look-up, and the `*_masked` columns what anyone may see
  (370783********1234, 138****1234), so lists and exports never open a seal. `id_hash` is
  unique (one person, one record). `status` active / moved / deceased: lists show the active ones.
  `version` goes up by one on every update (optimistic concurrency for change proposals).
- `Tag` (重点人群): a key-group catalogue row: `code`, zh/en names, `care_level` 1 (watch) to
  3 (close care), `visit_interval_days`, `visible_roles` (the roles that may see that a person
  carries the tag; admins always). `ResidentTag` links a resident to a tag, with the resident's
  grid copied (scope without a join).
- `Place` (实有单位/场所): a unit or site: `kind` (`PLACE_KINDS`), `risk_level` (`RISK_LEVELS`),
  `inspection_interval_days`, contact (name; phone sealed/hashed/masked like a resident's),
  address, coordinates.
- `Organisation` (组织): `kind` (`ORG_KINDS`: village committee, social organisation, property
  company, ...), leader, phone (sealed/masked), address, coordinates.

Times are aware UTC (`UTCDateTime`); birth dates are dates. Modules of other helpers add their
own tables in their own revisions of this branch; they do not alter these columns.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hub.sdk import Base, UTCDateTime, utcnow

ADDRESS_LEVELS = ("road", "number", "building", "unit", "room")
HOUSE_TYPES = ("bungalow", "building", "villa", "courtyard", "other")
HOUSE_USES = ("self", "rented", "vacant", "shop")
HOUSEHOLD_KINDS = ("family", "collective")
RELATIONS = ("head", "spouse", "child", "parent", "grandchild", "grandparent", "sibling",
             "other", "tenant")  # fmt: skip
CATEGORIES = ("registered", "resident", "floating")
SEXES = ("m", "f")
STATUSES = ("active", "moved", "deceased")
PLACE_KINDS = ("shop", "enterprise", "school", "clinic", "hazardous", "crowded", "other")
RISK_LEVELS = ("low", "medium", "high")
ORG_KINDS = ("village_committee", "social", "property", "enterprise_party", "other")

SEALED = 200  # room for a sealed ID number or phone (pd1: + base64 of nonce, text, tag)
HASH = 64  # hex HMAC-SHA256


class Address(Base):
    __tablename__ = "archives_addresses"

    id: Mapped[int] = mapped_column(primary_key=True)
    grid_id: Mapped[int] = mapped_column(Integer, index=True)
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("archives_addresses.id", ondelete="RESTRICT"), index=True
    )
    level: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(100))
    full_name: Mapped[str] = mapped_column(String(300))
    lng: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class House(Base):
    __tablename__ = "archives_houses"
    # the single-house map view reads by (cell_y, cell_x): the lat/lng index bounds only lat,
    # so a viewport walked the whole county-wide band of its latitudes. On PostgreSQL the cell
    # index carries the drawn columns: a viewport is an index-only scan (migration a0008)
    __table_args__ = (
        Index("ix_archives_houses_lat_lng", "lat", "lng"),
        Index(
            "ix_archives_houses_cell",
            "cell_y",
            "cell_x",
            postgresql_include=["lng", "lat", "grid_id", "id", "address_text", "code", "use"],
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    grid_id: Mapped[int] = mapped_column(Integer, index=True)
    address_id: Mapped[int | None] = mapped_column(
        ForeignKey("archives_addresses.id", ondelete="SET NULL"), index=True
    )
    code: Mapped[str] = mapped_column(String(40), unique=True)  # 房屋编码, unique per archive
    address_text: Mapped[str] = mapped_column(String(300))
    house_type: Mapped[str] = mapped_column(String(16))
    use: Mapped[str] = mapped_column(String(16))
    owner_name: Mapped[str] = mapped_column(String(50))
    owner_resident_id: Mapped[int | None] = mapped_column(Integer, index=True)
    area_m2: Mapped[float | None] = mapped_column(Float)
    floors: Mapped[int | None] = mapped_column(Integer)
    lng: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    note: Mapped[str] = mapped_column(String(500), default="")
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # the house's map cell at zoom 16 (cells.house_cell), kept by every writer of lng/lat
    cell_x: Mapped[int | None] = mapped_column(Integer)
    cell_y: Mapped[int | None] = mapped_column(Integer)


class HouseCell(Base):
    """Houses counted per square cell of each cluster zoom (`cells.py`): the map's cluster view
    reads these few rows instead of grouping every house. Kept by the writers of houses (create,
    edit, import, demo seed) in the same transaction; `sum_lng`/`sum_lat` give the cell's mean
    position. A cell per grid, so a caller's scope still applies."""

    __tablename__ = "archives_house_cells"

    level: Mapped[int] = mapped_column(Integer, primary_key=True)  # the zoom the cell is for
    grid_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cx: Mapped[int] = mapped_column(Integer, primary_key=True)  # floor(lng / cell size)
    cy: Mapped[int] = mapped_column(Integer, primary_key=True)  # floor(lat / cell size)
    houses: Mapped[int] = mapped_column(Integer)
    sum_lng: Mapped[float] = mapped_column(Float)
    sum_lat: Mapped[float] = mapped_column(Float)


class Household(Base):
    __tablename__ = "archives_households"

    id: Mapped[int] = mapped_column(primary_key=True)
    grid_id: Mapped[int] = mapped_column(Integer, index=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)  # 户号
    kind: Mapped[str] = mapped_column(String(16), default="family")
    house_id: Mapped[int | None] = mapped_column(
        ForeignKey("archives_houses.id", ondelete="SET NULL"), index=True
    )
    head_resident_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Resident(Base):
    __tablename__ = "archives_residents"
    __table_args__ = (
        Index("ix_archives_residents_grid_name", "grid_id", "name"),
        # name-prefix search (LIKE 'x%') on PostgreSQL under any collation (a0003)
        Index("ix_archives_residents_name_pattern", "name",
              postgresql_ops={"name": "text_pattern_ops"}),
    )  # fmt: skip

    id: Mapped[int] = mapped_column(primary_key=True)
    grid_id: Mapped[int] = mapped_column(Integer, index=True)
    household_id: Mapped[int | None] = mapped_column(
        ForeignKey("archives_households.id", ondelete="SET NULL"), index=True
    )
    house_id: Mapped[int | None] = mapped_column(
        ForeignKey("archives_houses.id", ondelete="SET NULL"), index=True
    )
    relation: Mapped[str | None] = mapped_column(String(16))
    category: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(50), index=True)
    sex: Mapped[str] = mapped_column(String(1))
    birth_date: Mapped[date | None] = mapped_column(Date)
    occupation: Mapped[str] = mapped_column(String(100), default="")
    id_sealed: Mapped[str] = mapped_column(String(SEALED))
    id_hash: Mapped[str] = mapped_column(String(HASH), unique=True)
    id_masked: Mapped[str] = mapped_column(String(24))
    phone_sealed: Mapped[str] = mapped_column(String(SEALED), default="")
    phone_hash: Mapped[str | None] = mapped_column(String(HASH), index=True)
    phone_masked: Mapped[str] = mapped_column(String(24), default="")
    status: Mapped[str] = mapped_column(String(16), default="active")
    note: Mapped[str] = mapped_column(String(500), default="")
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Tag(Base):
    __tablename__ = "archives_tags"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(50))
    name_en: Mapped[str] = mapped_column(String(80))
    care_level: Mapped[int] = mapped_column(Integer, default=1)
    visit_interval_days: Mapped[int] = mapped_column(Integer, default=30)
    visible_roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(default=True)


class ResidentTag(Base):
    __tablename__ = "archives_resident_tags"

    resident_id: Mapped[int] = mapped_column(
        ForeignKey("archives_residents.id", ondelete="CASCADE"), primary_key=True
    )
    tag_code: Mapped[str] = mapped_column(
        ForeignKey("archives_tags.code", ondelete="CASCADE"), primary_key=True, index=True
    )
    grid_id: Mapped[int] = mapped_column(Integer, index=True)
    note: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Place(Base):
    __tablename__ = "archives_places"
    __table_args__ = (Index("ix_archives_places_lat_lng", "lat", "lng"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    grid_id: Mapped[int] = mapped_column(Integer, index=True)
    address_id: Mapped[int | None] = mapped_column(
        ForeignKey("archives_addresses.id", ondelete="SET NULL"), index=True
    )
    name: Mapped[str] = mapped_column(String(100), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    risk_level: Mapped[str] = mapped_column(String(8))
    inspection_interval_days: Mapped[int] = mapped_column(Integer)
    credit_code: Mapped[str] = mapped_column(String(18), default="")  # 统一社会信用代码
    contact_name: Mapped[str] = mapped_column(String(50), default="")
    phone_sealed: Mapped[str] = mapped_column(String(SEALED), default="")
    phone_hash: Mapped[str | None] = mapped_column(String(HASH), index=True)
    phone_masked: Mapped[str] = mapped_column(String(24), default="")
    employees: Mapped[int | None] = mapped_column(Integer)
    address_text: Mapped[str] = mapped_column(String(300), default="")
    lng: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    note: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Organisation(Base):
    __tablename__ = "archives_orgs"

    id: Mapped[int] = mapped_column(primary_key=True)
    grid_id: Mapped[int] = mapped_column(Integer, index=True)
    address_id: Mapped[int | None] = mapped_column(
        ForeignKey("archives_addresses.id", ondelete="SET NULL"), index=True
    )
    name: Mapped[str] = mapped_column(String(100), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    leader_name: Mapped[str] = mapped_column(String(50), default="")
    phone_sealed: Mapped[str] = mapped_column(String(SEALED), default="")
    phone_masked: Mapped[str] = mapped_column(String(24), default="")
    members: Mapped[int | None] = mapped_column(Integer)
    address_text: Mapped[str] = mapped_column(String(300), default="")
    lng: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
