"""Request models of the archive's routes: shapes and bounds (422 request.invalid); the domain
checks (ID number, phone, grid, links) follow in the services with archives.* codes."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from hub.sdk import DbId

Category = Literal["registered", "resident", "floating"]
Sex = Literal["m", "f"]
Relation = Literal[
    "head", "spouse", "child", "parent", "grandchild", "grandparent", "sibling", "other", "tenant"
]
Status = Literal["active", "moved", "deceased"]
HouseType = Literal["bungalow", "building", "villa", "courtyard", "other"]
HouseUse = Literal["self", "rented", "vacant", "shop"]
PlaceKind = Literal["shop", "enterprise", "school", "clinic", "hazardous", "crowded", "other"]
RiskLevel = Literal["low", "medium", "high"]
OrgKind = Literal["village_committee", "social", "property", "enterprise_party", "other"]
AddressLevel = Literal["road", "number", "building", "unit", "room"]

TagCode = str  # checked against the catalogue
Lng = Field(default=None, ge=73.0, le=136.0, allow_inf_nan=False)  # China's extent
Lat = Field(default=None, ge=3.0, le=54.0, allow_inf_nan=False)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ResidentIn(Strict):
    grid_id: DbId
    name: str = Field(min_length=1, max_length=50)
    id_number: str = Field(min_length=1, max_length=18)
    category: Category
    sex: Sex | None = None  # from the ID number when not given
    birth_date: date | None = None  # from the ID number when not given
    phone: str = Field("", max_length=20)
    occupation: str = Field("", max_length=100)
    household_id: DbId | None = None
    house_id: DbId | None = None
    relation: Relation | None = None
    note: str = Field("", max_length=500)
    tags: list[TagCode] = Field(default_factory=list, max_length=20)


class ResidentPatch(Strict):
    version: int | None = Field(None, ge=1, le=2**31 - 1)  # refused if the record moved on
    grid_id: DbId | None = None
    name: str | None = Field(None, min_length=1, max_length=50)
    id_number: str | None = Field(None, min_length=1, max_length=18)
    category: Category | None = None
    phone: str | None = Field(None, max_length=20)
    occupation: str | None = Field(None, max_length=100)
    household_id: DbId | None = None
    house_id: DbId | None = None
    relation: Relation | None = None
    status: Status | None = None
    note: str | None = Field(None, max_length=500)


class TagsIn(Strict):
    codes: list[TagCode] = Field(max_length=20)


class ResidentsQuery(Strict):
    q: str = Field("", max_length=50, description="name prefix")
    id_number: str = Field("", max_length=18, description="exact ID number")
    phone: str = Field("", max_length=20, description="exact phone")
    grid_id: DbId | None = None
    tag: str = Field("", max_length=32)
    category: Category | None = None
    house_id: DbId | None = None
    household_id: DbId | None = None
    status: Status = "active"
    offset: int = Field(0, ge=0, le=1_000_000)
    limit: int = Field(50, ge=1, le=200)


class HouseIn(Strict):
    grid_id: DbId
    code: str = Field(min_length=1, max_length=40)
    address_text: str = Field(min_length=1, max_length=300)
    address_id: DbId | None = None
    house_type: HouseType = "bungalow"
    use: HouseUse = "self"
    owner_name: str = Field("", max_length=50)
    owner_resident_id: DbId | None = None
    area_m2: float | None = Field(None, gt=0, le=100_000, allow_inf_nan=False)
    floors: int | None = Field(None, ge=1, le=200)
    lng: float | None = Lng
    lat: float | None = Lat
    note: str = Field("", max_length=500)


class HousePatch(Strict):
    version: int | None = Field(None, ge=1, le=2**31 - 1)
    grid_id: DbId | None = None
    address_text: str | None = Field(None, min_length=1, max_length=300)
    address_id: DbId | None = None
    house_type: HouseType | None = None
    use: HouseUse | None = None
    owner_name: str | None = Field(None, max_length=50)
    owner_resident_id: DbId | None = None
    area_m2: float | None = Field(None, gt=0, le=100_000, allow_inf_nan=False)
    floors: int | None = Field(None, ge=1, le=200)
    lng: float | None = Lng
    lat: float | None = Lat
    note: str | None = Field(None, max_length=500)


class PlaceIn(Strict):
    grid_id: DbId
    name: str = Field(min_length=1, max_length=100)
    kind: PlaceKind
    risk_level: RiskLevel = "low"
    inspection_interval_days: int = Field(30, ge=1, le=366)
    credit_code: str = Field("", max_length=18, pattern=r"^([0-9A-HJ-NPQRTUWXY]{18})?$")
    contact_name: str = Field("", max_length=50)
    phone: str = Field("", max_length=20)
    employees: int | None = Field(None, ge=0, le=1_000_000)
    address_text: str = Field("", max_length=300)
    address_id: DbId | None = None
    lng: float | None = Lng
    lat: float | None = Lat
    note: str = Field("", max_length=2000)


class PlacePatch(Strict):
    version: int | None = Field(None, ge=1, le=2**31 - 1)
    grid_id: DbId | None = None
    name: str | None = Field(None, min_length=1, max_length=100)
    kind: PlaceKind | None = None
    risk_level: RiskLevel | None = None
    inspection_interval_days: int | None = Field(None, ge=1, le=366)
    credit_code: str | None = Field(None, max_length=18, pattern=r"^([0-9A-HJ-NPQRTUWXY]{18})?$")
    contact_name: str | None = Field(None, max_length=50)
    phone: str | None = Field(None, max_length=20)
    employees: int | None = Field(None, ge=0, le=1_000_000)
    address_text: str | None = Field(None, max_length=300)
    address_id: DbId | None = None
    lng: float | None = Lng
    lat: float | None = Lat
    note: str | None = Field(None, max_length=2000)


class OrgIn(Strict):
    grid_id: DbId
    name: str = Field(min_length=1, max_length=100)
    kind: OrgKind
    leader_name: str = Field("", max_length=50)
    phone: str = Field("", max_length=20)
    members: int | None = Field(None, ge=0, le=10_000_000)
    address_text: str = Field("", max_length=300)
    address_id: DbId | None = None
    lng: float | None = Lng
    lat: float | None = Lat


class OrgPatch(Strict):
    version: int | None = Field(None, ge=1, le=2**31 - 1)
    grid_id: DbId | None = None
    name: str | None = Field(None, min_length=1, max_length=100)
    kind: OrgKind | None = None
    leader_name: str | None = Field(None, max_length=50)
    phone: str | None = Field(None, max_length=20)
    members: int | None = Field(None, ge=0, le=10_000_000)
    address_text: str | None = Field(None, max_length=300)
    address_id: DbId | None = None
    lng: float | None = Lng
    lat: float | None = Lat


class AddressIn(Strict):
    grid_id: DbId
    parent_id: DbId | None = None
    level: AddressLevel
    name: str = Field(min_length=1, max_length=100)
    lng: float | None = Lng
    lat: float | None = Lat


class ListQuery(Strict):
    q: str = Field("", max_length=50, description="name or code prefix")
    grid_id: DbId | None = None
    kind: str = Field("", max_length=24)
    offset: int = Field(0, ge=0, le=1_000_000)
    limit: int = Field(50, ge=1, le=200)


class TagIn(Strict):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]{1,31}$")
    name_zh: str = Field(min_length=1, max_length=50)
    name_en: str = Field(min_length=1, max_length=80)
    care_level: int = Field(1, ge=1, le=3)
    visit_interval_days: int = Field(30, ge=1, le=366)
    visible_roles: list[str] = Field(max_length=20)
    active: bool = True


class LayerQuery(Strict):
    bbox: str = Field("", max_length=100, description="west,south,east,north (optional)")
    # absent: the console map's one read without a viewport (layers.py picks the view)
    zoom: int | None = Field(None, ge=0, le=22)


class NearbyQuery(Strict):
    """Around a point (an incident's place): what the archive holds there."""

    lng: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    radius_m: int = Field(150, ge=10, le=1000)


class ImportQuery(Strict):
    kind: Literal["residents", "houses", "places", "orgs"]
    format: Literal["csv", "xlsx"] = "csv"
    dry_run: bool = True


class ImportUpload(Strict):
    """The console's upload: the file as base64 in JSON (the page's API client sends JSON)."""

    kind: Literal["residents", "houses", "places", "orgs"]
    format: Literal["csv", "xlsx"] = "csv"
    dry_run: bool = True
    data: str = Field(min_length=1, max_length=1_000_000)


class ArchiveExportQuery(Strict):
    kind: Literal["residents", "houses", "places"]
    format: Literal["csv", "xlsx"] = "csv"
    grid_id: DbId
