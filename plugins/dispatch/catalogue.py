"""The category catalogue: codes, names, handling department, custom fields and SLAs."""

from __future__ import annotations

import re
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hub.sdk import DbId, InvalidInput, NotFound
from plugins.dispatch.cache import TtlCache
from plugins.dispatch.lifecycle import Priority, Stage
from plugins.dispatch.models import Category, Department

CODE = r"^[a-z][a-z0-9_]{1,63}$"


class FieldSpec(BaseModel):
    """One custom field of a category: what a reporter must or may fill in."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")
    label: str = Field(min_length=1, max_length=80)
    type: Literal["text", "integer", "number", "boolean", "choice", "date"]
    required: bool = False
    choices: list[str] = Field(default_factory=list, max_length=50)
    max_length: int = Field(default=500, ge=1, le=5000)
    minimum: float | None = None
    maximum: float | None = None


SlaTable = dict[Stage, dict[Priority, int]]


class CategorySpec(BaseModel):
    code: str = Field(pattern=CODE)
    name_zh: str = Field(min_length=1, max_length=128)
    name_en: str = Field(min_length=1, max_length=128)
    description: str = Field(default="", max_length=2000)
    department: str | None = Field(default=None, pattern=CODE)
    fields: list[FieldSpec] = Field(default_factory=list, max_length=30)
    sla: SlaTable = Field(default_factory=dict)
    public: bool = True
    active: bool = True

    @field_validator("sla")
    @classmethod
    def _positive(cls, sla: SlaTable) -> SlaTable:
        if any(s <= 0 or s > 366 * 86400 for row in sla.values() for s in row.values()):
            raise ValueError("SLA seconds must be between 1 and a year")
        return sla


class DepartmentSpec(BaseModel):
    code: str = Field(pattern=CODE)
    name: str = Field(min_length=1, max_length=128)
    members: list[DbId] = Field(default_factory=list, max_length=500, description="person ids")


def check_fields(specs: list[dict[str, Any]], values: dict[str, Any]) -> dict[str, Any]:
    """The values of a report's custom fields, validated against the category's specs."""
    known = {s["name"]: FieldSpec.model_validate(s) for s in specs}
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise InvalidInput("incident.unknown_field", f"unknown fields: {', '.join(unknown)}")
    out: dict[str, Any] = {}
    for name, spec in known.items():
        if values.get(name) is None:
            if spec.required:
                raise InvalidInput("incident.field_required", f"{spec.label} ({name}) is required")
            continue
        out[name] = _field_value(spec, values[name])
    return out


def _field_value(spec: FieldSpec, value: Any) -> Any:
    if not _valid(spec, value):
        raise InvalidInput(
            "incident.field_invalid", f"{spec.label} ({spec.name}) must be a valid {spec.type}"
        )
    return value


def _valid(spec: FieldSpec, value: Any) -> bool:
    if spec.type == "text":
        return isinstance(value, str) and len(value) <= spec.max_length
    if spec.type in ("integer", "number"):
        kinds = int if spec.type == "integer" else (int, float)
        return isinstance(value, kinds) and not isinstance(value, bool) and _in_range(spec, value)
    if spec.type == "boolean":
        return isinstance(value, bool)
    if spec.type == "choice":
        return value in spec.choices
    return isinstance(value, str) and _is_date(value)


def _in_range(spec: FieldSpec, value: float) -> bool:
    return (spec.minimum is None or value >= spec.minimum) and (
        spec.maximum is None or value <= spec.maximum
    )


def _is_date(value: str) -> bool:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


class Catalogue:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        first_start: Callable[[], AbstractAsyncContextManager[None]],
        ttl_s: float = 10.0,
    ) -> None:
        """`first_start`: the cluster's start-up lock for the seed (`ctx.first_start`)."""
        self._sessions = sessions
        self._first_start = first_start
        self._cache: TtlCache[str, Category | None] = TtlCache(ttl_s)

    async def all(self, include_inactive: bool = False) -> list[Category]:
        async with self._sessions() as session:
            stmt = select(Category).order_by(Category.code)
            if not include_inactive:
                stmt = stmt.where(Category.active.is_(True))
            return list(await session.scalars(stmt))

    async def get(self, code: str) -> Category:
        """An active category (cached: another node's change shows within the TTL)."""
        found = await self._cache.get(code, self._load)
        if found is None or not found.active:
            raise NotFound("category.not_found", f"no active category {code!r}")
        return found

    def cached(self, code: str) -> Category | None:
        """The active category if the cache holds it (for code that cannot wait on a load)."""
        found = self._cache.peek(code)
        return found if found is not None and found.active else None

    async def _load(self, code: str) -> Category | None:
        async with self._sessions() as session:
            return await session.get(Category, code)

    async def put(self, session: AsyncSession, spec: CategorySpec) -> Category:
        if spec.department and await session.get(Department, spec.department) is None:
            raise InvalidInput("category.unknown_department", f"no department {spec.department!r}")
        data = spec.model_dump(mode="json")
        self._cache.forget(spec.code)
        row = await session.get(Category, spec.code)
        if row is None:
            row = Category(**data)
            session.add(row)
        else:
            for key, value in data.items():
                setattr(row, key, value)
        return row

    async def departments(self) -> list[Department]:
        async with self._sessions() as session:
            return list(await session.scalars(select(Department).order_by(Department.code)))

    async def put_department(self, session: AsyncSession, spec: DepartmentSpec) -> Department:
        row = await session.get(Department, spec.code)
        if row is None:
            row = Department(code=spec.code, name=spec.name, members=spec.members)
            session.add(row)
        else:
            row.name, row.members = spec.name, list(spec.members)
        return row

    async def seed_defaults(self) -> bool:
        """Fill an empty catalogue with the default departments and categories (once, even
        when several nodes start together on a fresh database)."""
        async with self._first_start(), self._sessions.begin() as session:
            if await session.scalar(select(Category.code).limit(1)) is not None:
                return False
            for dept in DEFAULT_DEPARTMENTS:
                await self.put_department(session, dept)
            await session.flush()
            for spec in DEFAULT_CATEGORIES:
                await self.put(session, spec)
        return True


def sla_seconds(
    category: Category, defaults: dict[str, dict[str, int]], stage: Stage, priority: str
) -> int:
    """The category's SLA for the stage and priority, else the deployment default."""
    own = category.sla.get(stage.value, {}).get(priority)
    return int(own if own is not None else defaults[stage.value][priority])


DEFAULT_DEPARTMENTS = [
    DepartmentSpec(code="water", name="水利局 Water Resources Bureau"),
    DepartmentSpec(code="sanitation", name="环卫中心 Sanitation Centre"),
    DepartmentSpec(code="construction", name="住建局 Housing and Construction Bureau"),
    DepartmentSpec(code="emergency", name="应急管理局 Emergency Management Bureau"),
]

_HAZARD = FieldSpec(
    name="hazard_level", label="隐患等级", type="choice", choices=["一般", "较大", "重大"]
)
DEFAULT_CATEGORIES = [
    CategorySpec(
        code="env_sanitation",
        name_zh="环境卫生",
        name_en="Environmental sanitation",
        description="垃圾堆放、污水、乱搭乱建等人居环境问题",
        department="sanitation",
    ),
    CategorySpec(
        code="road_facility",
        name_zh="道路设施损坏",
        name_en="Road and facility damage",
        department="construction",
    ),
    CategorySpec(
        code="safety_hazard",
        name_zh="安全隐患",
        name_en="Safety hazard",
        fields=[_HAZARD],
        sla={Stage.SIGN: {Priority.URGENT: 600}},
    ),
    CategorySpec(
        code="dispute",
        name_zh="矛盾纠纷",
        name_en="Neighbourhood dispute",
        fields=[
            FieldSpec(name="parties", label="当事人数", type="integer", minimum=1, maximum=500)
        ],
    ),
    CategorySpec(code="flood", name_zh="防汛水情", name_en="Flood and water", department="water"),
    CategorySpec(code="fire", name_zh="火情", name_en="Fire", department="emergency"),
    CategorySpec(
        code="iot_alarm",
        name_zh="物联感知告警",
        name_en="IoT sensor alarm",
        public=False,
        fields=[
            FieldSpec(name="device", label="设备编号", type="text", max_length=64),
            FieldSpec(name="alarm_type", label="告警类型", type="text", max_length=64),
            FieldSpec(name="severity", label="告警级别", type="text", max_length=16),
        ],
    ),
    CategorySpec(code="other", name_zh="其他", name_en="Other"),
]
