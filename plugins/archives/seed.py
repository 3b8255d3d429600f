"""The demo county's synthetic archive: about 20,000 people in 7,000 houses of the county's
basic grids, with households, key groups, 300 places and 50 organisations. Generated from a
fixed seed (the same archive every time), written with driver-level bulk inserts.

Every name, ID number and phone is invented: the ID numbers are valid GB 11643 numbers of the
county's region code (370783), with birth dates and sexes that match the people's ages.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, text

from hub.sdk import Base, GridNode, PluginContext
from plugins.archives import cells
from plugins.archives.checks import id_check_digit, mask_id, mask_phone
from plugins.archives.models import (
    Address,
    House,
    Household,
    Organisation,
    Place,
    Resident,
    ResidentTag,
)
from plugins.archives.shared import Env

SEED = 19
HOUSES, PLACES, ORGS = 7000, 300, 50
REGION = "370783"
BATCH = 2000
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶"
GIVEN_M = "伟强磊军勇杰涛明超刚平辉建国华峰鹏志坤海波斌宇浩然子轩俊"
GIVEN_F = "芳娜敏静丽艳娟霞燕玲桂英秀兰红梅琳雪慧婷晶颖欣怡佳萱"
OCCUPATIONS = ("农民", "农民", "农民", "蔬菜种植户", "个体工商户", "外出务工", "教师", "医生",
               "司机", "企业职工", "退休", "学生", "无业")  # fmt: skip
ROADS = ("东街", "西街", "南街", "北街", "中心路")
PLACE_KINDS = (("shop", "超市", "low", 90), ("shop", "小卖部", "low", 90),
               ("enterprise", "蔬菜合作社", "medium", 30), ("enterprise", "塑料厂", "high", 14),
               ("school", "小学", "medium", 30), ("clinic", "卫生室", "medium", 30),
               ("hazardous", "加油站", "high", 7), ("hazardous", "液化气站", "high", 7),
               ("crowded", "农贸市场", "medium", 14),
               ("other", "农机维修点", "low", 60))  # fmt: skip
ORG_KINDS = (("social", "老年协会"), ("social", "红白理事会"), ("property", "物业服务公司"),
             ("enterprise_party", "合作社党支部"), ("other", "志愿服务队"))  # fmt: skip
TAG_SHARE = (
    ("elderly_alone", 0.03),
    ("left_behind_child", 0.02),
    ("disabled", 0.02),
    ("low_income", 0.03),
    ("veteran", 0.02),
    ("community_correction", 0.002),
    ("released_prisoner", 0.002),
    ("severe_mental", 0.003),
    ("drug_user", 0.001),
)


@dataclass
class Box:
    west: float
    south: float
    east: float
    north: float

    def point(self, rng: random.Random) -> tuple[float, float]:
        margin_x, margin_y = (self.east - self.west) * 0.08, (self.north - self.south) * 0.08
        return (round(rng.uniform(self.west + margin_x, self.east - margin_x), 6),
                round(rng.uniform(self.south + margin_y, self.north - margin_y), 6))  # fmt: skip


def grid_box(node: GridNode) -> Box | None:
    points = list(_coordinates(node.boundary)) if node.boundary else []
    if points:
        lngs, lats = [p[0] for p in points], [p[1] for p in points]
        return Box(min(lngs), min(lats), max(lngs), max(lats))
    if node.centre:
        lng, lat = node.centre
        return Box(lng - 0.004, lat - 0.003, lng + 0.004, lat + 0.003)
    return None


def _coordinates(geometry: Any) -> Iterator[tuple[float, float]]:
    if isinstance(geometry, dict):
        yield from _coordinates(geometry.get("coordinates") or geometry.get("geometry"))
    elif isinstance(geometry, list) and geometry and isinstance(geometry[0], int | float):
        yield float(geometry[0]), float(geometry[1])
    elif isinstance(geometry, list):
        for part in geometry:
            yield from _coordinates(part)


async def is_empty(ctx: PluginContext) -> bool:
    async with ctx.sessions() as session:
        return not await session.scalar(select(func.count()).select_from(Resident))


class Seeder:
    """Builds the rows in memory (ids from 1: the tables are empty), then bulk-inserts them."""

    def __init__(self, env: Env, grids: Sequence[GridNode], villages: dict[int, str]) -> None:
        self.env, self.rng, self.villages = env, random.Random(SEED), villages
        self.grids = [(g, box) for g in grids if (box := grid_box(g)) is not None]
        self.now = datetime.now(UTC).replace(microsecond=0)
        self.stamp = self._at(self.now)  # every row's created/updated time, formatted once
        self.rows: dict[type[Base], list[tuple[Any, ...]]] = {m: [] for m in (
            Address, House, Household, Resident, ResidentTag, Place, Organisation)}  # fmt: skip
        self.used_ids: set[str] = set()

    def build(self) -> None:
        roads = self._roads()
        for number in range(1, HOUSES + 1):
            grid, box = self.grids[(number - 1) % len(self.grids)]
            self._house(number, grid, box, roads[grid.id])
        for number in range(1, PLACES + 1):
            self._place(number)
        for number in range(1, ORGS + 1):
            self._org(number)

    def _roads(self) -> dict[int, list[tuple[int, str]]]:
        roads: dict[int, list[tuple[int, str]]] = {}
        for grid, box in self.grids:
            roads[grid.id] = []
            for name in ROADS[: 2 + grid.id % 3]:
                address_id = len(self.rows[Address]) + 1
                lng, lat = box.point(self.rng)
                full = f"{self.villages.get(grid.id, grid.name)}{name}"
                self.rows[Address].append((address_id, grid.id, None, "road", name, full, lng,
                                           lat, self.stamp))  # fmt: skip
                roads[grid.id].append((address_id, full))
        return roads

    def _house(self, number: int, grid: GridNode, box: Box,
               roads: list[tuple[int, str]]) -> None:  # fmt: skip
        rng = self.rng
        road_id, road = roads[number % len(roads)]
        lng, lat = box.point(rng)
        address_id = len(self.rows[Address]) + 1
        label = f"{number % 97 + 1}号"
        self.rows[Address].append((address_id, grid.id, road_id, "number", label,
                                   f"{road}{label}", lng, lat, self.stamp))  # fmt: skip
        use = rng.choices(("self", "rented", "vacant", "shop"), (78, 10, 8, 4))[0]
        kind = rng.choices(("bungalow", "building", "courtyard", "villa"), (55, 20, 22, 3))[0]
        members = [] if use in ("vacant", "shop") else self._family()
        owner = members[0][0] if members else self._name(rng.choice("mf"))
        self.rows[House].append((number, grid.id, address_id, f"{grid.code}-H{number:05d}",
                                 f"{road}{label}", kind, use, owner, None,
                                 round(rng.uniform(60, 260), 1), rng.choice((1, 1, 2, 3)), lng,
                                 lat, "", 1, self.stamp, self.stamp,
                                 *cells.house_cell(lng, lat)))  # fmt: skip
        if members:
            self._household(number, grid, members)

    def _family(self) -> list[tuple[str, str, int, str]]:
        """(name, sex, age, relation) of a household: a couple or a single elder, children,
        sometimes a grandparent; about three people."""
        rng, surname = self.rng, self.rng.choice(SURNAMES)
        head_age = rng.randint(28, 82)
        family = [(surname + self._given("m"), "m", head_age, "head")]
        if head_age > 70 and rng.random() < 0.35:
            return family  # an elder living alone
        family.append((rng.choice(SURNAMES) + self._given("f"), "f",
                       max(20, head_age + rng.randint(-5, 3)), "spouse"))  # fmt: skip
        for _ in range(rng.choice((0, 1, 1, 2, 2))):
            sex = rng.choice("mf")
            family.append((surname + self._given(sex), sex,
                           max(0, head_age - rng.randint(22, 34)), "child"))  # fmt: skip
        if head_age < 55 and rng.random() < 0.25:
            family.append((surname + self._given("m"), "m", head_age + rng.randint(24, 30),
                           "parent"))  # fmt: skip
        return family

    def _household(self, house_id: int, grid: GridNode,
                   members: list[tuple[str, str, int, str]]) -> None:  # fmt: skip
        household_id = len(self.rows[Household]) + 1
        first_resident = len(self.rows[Resident]) + 1
        self.rows[Household].append((household_id, grid.id, f"{grid.code}-{household_id:05d}",
                                     "family", house_id, first_resident,
                                     self.stamp))  # fmt: skip
        category = self.rng.choices(("registered", "resident", "floating"), (80, 12, 8))[0]
        for name, sex, age, relation in members:
            self._resident(grid, household_id, house_id, name, sex, age, relation, category)

    def _resident(self, grid: GridNode, household_id: int, house_id: int, name: str, sex: str,
                  age: int, relation: str, category: str) -> None:  # fmt: skip
        rng, personal, hasher = self.rng, self.env.ctx.personal, self.env.hasher
        resident_id = len(self.rows[Resident]) + 1
        born = date.today() - timedelta(days=age * 365 + rng.randint(0, 364))
        id_number = self._id_number(born, sex)
        phone = f"1{rng.choice('3578')}{rng.randint(0, 999_999_999):09d}" if age >= 16 else ""
        occupation = "学生" if age < 18 else ("退休" if age >= 65 else rng.choice(OCCUPATIONS))
        self.rows[Resident].append((
            resident_id, grid.id, household_id, house_id, relation, category, name, sex,
            self._day(born), occupation, personal.seal(id_number), hasher.id_number(id_number),
            mask_id(id_number), personal.seal(phone) if phone else "",
            hasher.phone(phone) if phone else None, mask_phone(phone), "active", "", 1,
            self.stamp, self.stamp))  # fmt: skip
        for code, share in TAG_SHARE:
            wanted = (code != "elderly_alone" or age >= 65) and (
                code != "left_behind_child" or age < 16)  # fmt: skip
            if wanted and rng.random() < share * (3 if code == "elderly_alone" else 1):
                self.rows[ResidentTag].append((resident_id, code, grid.id, "",
                                               self.stamp))  # fmt: skip

    def _id_number(self, born: date, sex: str) -> str:
        while True:
            sequence = self.rng.randint(0, 99) * 10 + self.rng.choice(
                (1, 3, 5, 7, 9) if sex == "m" else (0, 2, 4, 6, 8))  # fmt: skip
            first17 = f"{REGION}{born:%Y%m%d}{sequence:03d}"
            if first17 not in self.used_ids:
                self.used_ids.add(first17)
                return first17 + id_check_digit(first17)

    def _place(self, number: int) -> None:
        rng = self.rng
        grid, box = rng.choice(self.grids)
        kind, word, risk, interval = rng.choice(PLACE_KINDS)
        lng, lat = box.point(rng)
        phone = f"13{rng.randint(0, 999_999_999):09d}"
        name = f"{grid.name.removesuffix('网格')}{word}" + ("" if number < 100 else f"{number}")
        self.rows[Place].append((
            number, grid.id, None, name, kind, risk, interval, "", self._name("m"),
            self.env.ctx.personal.seal(phone), self.env.hasher.phone(phone), mask_phone(phone),
            rng.randint(1, 80), f"{grid.name}", lng, lat, "", 1, self.stamp,
            self.stamp))  # fmt: skip

    def _org(self, number: int) -> None:
        rng = self.rng
        grid, box = self.grids[(number * 7) % len(self.grids)]
        kind, word = ("village_committee", "村民委员会") if number <= 12 else rng.choice(ORG_KINDS)
        lng, lat = box.point(rng)
        phone = f"0536-{rng.randint(5_000_000, 5_999_999)}"
        name = f"{grid.name.removesuffix('网格')}{word}"
        self.rows[Organisation].append((
            number, grid.id, None, name, kind, self._name(rng.choice("mf")),
            self.env.ctx.personal.seal(phone), mask_phone(phone), rng.randint(5, 300),
            grid.name, lng, lat, 1, self.stamp, self.stamp))  # fmt: skip

    def _name(self, sex: str) -> str:
        return self.rng.choice(SURNAMES) + self._given(sex)

    def _given(self, sex: str) -> str:
        chars = GIVEN_M if sex == "m" else GIVEN_F
        return "".join(self.rng.choice(chars) for _ in range(self.rng.choice((1, 2, 2))))

    def _at(self, moment: datetime) -> Any:
        """A time as the driver takes it (SQLite: SQLAlchemy's text form; else aware)."""
        return moment.strftime("%Y-%m-%d %H:%M:%S.%f") if self.env.sqlite else moment

    def _day(self, day: date) -> Any:
        return day.isoformat() if self.env.sqlite else day

    async def write(self) -> dict[str, int]:
        for model, rows in self.rows.items():
            writer = self.env.ctx.bulk_insert(model)
            try:
                for start in range(0, len(rows), BATCH):
                    await writer.insert(rows[start : start + BATCH])
            finally:
                await writer.close()
        async with self.env.ctx.sessions.begin() as session:  # the map's cluster summary
            await cells.add(session, [(row[1], row[11], row[12]) for row in self.rows[House]])
        if not self.env.sqlite:
            await self._advance_sequences()
        return {model.__tablename__: len(rows) for model, rows in self.rows.items()}

    async def _advance_sequences(self) -> None:
        """PostgreSQL: the ids were given, so move each serial past them."""
        async with self.env.ctx.sessions.begin() as session:
            for model in (Address, House, Household, Resident, Place, Organisation):
                table = model.__tablename__
                await session.execute(text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"))  # fmt: skip


async def seed_demo(env: Env) -> dict[str, int] | None:
    """Seed the archive of the demo county (basic grids under 370783) when it is empty."""
    if not await is_empty(env.ctx):
        return None
    index = env.ctx.grids.index
    county = index.find_code(REGION)
    if county is None:
        return None
    grids = sorted((g for g in index.subtree(county.id) if g.level == "grid"
                    and str(g.kind) == "basic"), key=lambda g: g.code)  # fmt: skip
    if not grids:
        return None
    started = time.perf_counter()
    villages = {g.id: index.get(g.parent_id).name for g in grids if g.parent_id is not None}
    seeder = Seeder(env, grids, villages)
    seeder.build()
    built = time.perf_counter()
    counts = await seeder.write()
    env.ctx.log.info("seeded the demo archive %s: built in %.2f s, written in %.2f s", counts,
                     built - started, time.perf_counter() - built)  # fmt: skip
    return counts
