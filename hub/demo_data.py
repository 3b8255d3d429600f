"""Deterministic demo data: a small county around Shouguang (寿光市), Shandong.

Pure functions over the standard library; the results are plain JSON-able structures in the
hub's import formats. All geometry comes from one lattice laid over the county's bounding box
whose interior vertices are shifted by a fixed pseudo-random amount. Every grid node is a
rectangular block of lattice cells, so neighbours share their edge vertices exactly and the
children of a node tile it with no gap and no overlap.

Layout: the three towns are east-west bands (侯镇 north, 洛城街道 middle, 稻田镇 south); each
town holds four villages side by side; the 弥河 river runs north-south along lon 118.75,
between each town's second and third village.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Any

DEMO_PASSWORD: str = "Demo@2026"
COUNTY_CODE = "370783"

DEMO_ACCOUNTS_DOC: str = """\
| Username | Role | Scope |
|---|---|---|
| `admin` | admin | whole deployment |
| `county.cmd` | commander | 寿光市 county command centre (370783) |
| `county.dispatch` | dispatcher | 寿光市 county (370783) |
| `town1.cmd` | commander | 洛城街道 (370783-001) |
| `v01.cmd` | commander | 东庄村 (370783-001-001) |
| `v01.lead` | grid_leader | 东庄村 (370783-001-001) |
| `w01` | grid_worker | 东庄村第一网格 (370783-001-001-01), 东庄村党建网格 (370783-001-001-P01) |
| `w08` | grid_worker | 王家村第三网格 (370783-001-002-03), 弥河河道巡查专业网格 (370783-001-Z01) |
| `r01` | resident | 东庄村第一网格 (370783-001-001-01) |
"""

_LON_MIN, _LON_MAX = 118.55, 118.95
_LAT_MIN, _LAT_MAX = 36.75, 37.05
_TOWN_HEIGHT = 2  # block rows per town
_VILLAGE_WIDTH = 3  # block columns per village
_VILLAGES_PER_TOWN = 4
_FINE = 3  # lattice cells per block unit along each axis
_COLS = _VILLAGES_PER_TOWN * _VILLAGE_WIDTH * _FINE
_ROWS = 3 * _TOWN_HEIGHT * _FINE
_JITTER = 0.2  # largest vertex shift, as a fraction of one lattice cell
_DIGITS = 6  # coordinate decimals (about 0.1 m)


@dataclass(frozen=True)
class _Block:
    """Columns x0..x1 and rows y0..y1 in block units; row 0 is the southern edge."""

    x0: int
    x1: int
    y0: int
    y1: int

    def shifted(self, dx: int, dy: int) -> _Block:
        return _Block(self.x0 + dx, self.x1 + dx, self.y0 + dy, self.y1 + dy)


@dataclass(frozen=True)
class _Node:
    code: str
    name: str
    name_en: str
    level: str
    kind: str
    parent: str | None
    block: _Block
    covers: tuple[str, ...] = ()


# (name, pinyin, band row from the south)
_TOWNS = (
    ("洛城街道", "Luocheng Jiedao", 1),
    ("稻田镇", "Daotian Zhen", 0),
    ("侯镇", "Hou Zhen", 2),
)
_VILLAGES = (  # (name, pinyin) per town, west to east
    (
        ("东庄村", "Dongzhuang Cun"),
        ("王家村", "Wangjia Cun"),
        ("屯田村", "Tuntian Cun"),
        ("南楼村", "Nanlou Cun"),
    ),
    (
        ("崔家村", "Cuijia Cun"),
        ("河头村", "Hetou Cun"),
        ("西马村", "Xima Cun"),
        ("桑家庄村", "Sangjiazhuang Cun"),
    ),
    (
        ("北岭村", "Beiling Cun"),
        ("刘家庄村", "Liujiazhuang Cun"),
        ("大营村", "Daying Cun"),
        ("海丰村", "Haifeng Cun"),
    ),
)
# Basic grids 1-5 inside a village: NW, centre (full height), NE, SW, SE.
_GRID_LAYOUT = (
    _Block(0, 1, 1, 2),
    _Block(1, 2, 0, 2),
    _Block(2, 3, 1, 2),
    _Block(0, 1, 0, 1),
    _Block(2, 3, 0, 1),
)
_CN_NUMBERS = ("一", "二", "三", "四", "五")
_PINYIN_NUMBERS = ("Yi", "Er", "San", "Si", "Wu")

# Party-building overlays: (village index, basic grid numbers covered).
_PARTY_GRIDS = ((0, (1, 2, 4)), (4, (2, 3, 5)))
# River patrol overlay in 洛城街道: the grids either side of the 弥河 (village index, grid).
_RIVER_GRIDS = ((1, 3), (1, 5), (2, 1), (2, 4))
_RIVER_CODE = f"{COUNTY_CODE}-001-Z01"

_SURNAMES = "王张李刘陈杨赵孙马周徐高郭宋韩崔丁于吴袁"  # 20, coprime with the 23 given names
_GIVEN_NAMES = (
    "建国", "秀英", "志强", "丽娟", "海涛", "春梅", "国庆", "桂兰", "立新", "红霞", "振华", "玉珍",
    "德胜", "晓燕", "庆丰", "淑芬", "明亮", "凤英", "文斌", "金花", "永刚", "雪梅", "宝山",
)  # fmt: skip
_REPORT_INTERVAL_S = {
    "admin": 300,
    "commander": 300,
    "dispatcher": 300,
    "grid_leader": 60,
    "grid_worker": 30,
    "resident": 600,
}
_OWN_GRID_VILLAGES = 8  # the first 8 villages (40 grids) have one worker per grid
_SHARED_BEATS = ((1, 4), (2,), (3, 5))  # how the other villages' grids are shared
_OVERLAY_MEMBERS = {
    "w01": f"{COUNTY_CODE}-001-001-P01",
    "w22": f"{COUNTY_CODE}-002-001-P01",
    "w08": _RIVER_CODE,
    "w11": _RIVER_CODE,
}
_RESIDENT_GRIDS = (
    f"{COUNTY_CODE}-001-001-01",
    f"{COUNTY_CODE}-001-002-03",
    f"{COUNTY_CODE}-002-001-01",
    f"{COUNTY_CODE}-003-001-02",
    f"{COUNTY_CODE}-003-004-05",
)

# (device_type, code slug, name, village index, grid number, u, v); u, v place the device
# inside its grid's block, 0..1 from the west and from the south.
_DEVICES = (
    ("water_level", "wl", "弥河王家村段水位计", 1, 3, 0.9, 0.5),
    ("water_level", "wl", "弥河屯田村段水位计", 2, 4, 0.1, 0.5),
    ("water_level", "wl", "弥河河头村段水位计", 5, 3, 0.88, 0.4),
    ("water_level", "wl", "弥河刘家庄村段水位计", 9, 5, 0.9, 0.6),
    ("camera", "cam", "弥河屯田桥头监控", 2, 1, 0.12, 0.3),
    ("camera", "cam", "桑家庄村路口监控", 7, 4, 0.5, 0.7),
    ("camera", "cam", "海丰村村口监控", 11, 1, 0.4, 0.2),
    ("temperature", "temp", "东庄村蔬菜大棚1号温度计", 0, 2, 0.4, 0.3),
    ("temperature", "temp", "东庄村蔬菜大棚2号温度计", 0, 4, 0.6, 0.6),
    ("temperature", "temp", "西马村育苗大棚温度计", 6, 2, 0.5, 0.8),
    ("temperature", "temp", "刘家庄村冬暖大棚温度计", 9, 1, 0.3, 0.5),
    ("smoke", "smoke", "南楼村老年公寓烟感", 3, 1, 0.5, 0.5),
    ("smoke", "smoke", "崔家村卫生室烟感", 4, 3, 0.3, 0.4),
    ("smoke", "smoke", "北岭村村委会烟感", 8, 2, 0.5, 0.45),
    ("gas", "gas", "屯田村燃气调压箱", 2, 2, 0.6, 0.2),
    ("gas", "gas", "海丰村燃气阀井", 11, 4, 0.5, 0.5),
    ("door", "door", "东庄村委会档案室门磁", 0, 1, 0.7, 0.3),
    ("door", "door", "大营村应急物资库门磁", 10, 3, 0.4, 0.6),
    ("manhole", "mh", "王家村主街井盖", 1, 2, 0.5, 0.35),
    ("manhole", "mh", "西马村排水井盖", 6, 5, 0.2, 0.7),
)


# --- lattice geometry -----------------------------------------------------------------------


def _fraction(text: str) -> float:
    """A fixed pseudo-random number in [0, 1) derived from `text`."""
    return zlib.crc32(text.encode()) / 2**32


def _vertex(i: int, j: int) -> tuple[float, float]:
    """Lattice vertex (i, j) as (lon, lat); vertices on the county edge only slide along it."""
    di = _JITTER * (2 * _fraction(f"{i}:{j}:x") - 1) if 0 < i < _COLS else 0.0
    dj = _JITTER * (2 * _fraction(f"{i}:{j}:y") - 1) if 0 < j < _ROWS else 0.0
    lon = _LON_MIN + (i + di) * (_LON_MAX - _LON_MIN) / _COLS
    lat = _LAT_MIN + (j + dj) * (_LAT_MAX - _LAT_MIN) / _ROWS
    return round(lon, _DIGITS), round(lat, _DIGITS)


def _point(x: float, y: float) -> list[float]:
    """Map fractional lattice coordinates to [lon, lat] inside the shifted cell holding them."""
    i, j = min(int(x), _COLS - 1), min(int(y), _ROWS - 1)
    u, v = x - i, y - j
    corners = (_vertex(i, j), _vertex(i + 1, j), _vertex(i + 1, j + 1), _vertex(i, j + 1))
    weights = ((1 - u) * (1 - v), u * (1 - v), u * v, (1 - u) * v)
    lon = sum(w * corner[0] for w, corner in zip(weights, corners, strict=True))
    lat = sum(w * corner[1] for w, corner in zip(weights, corners, strict=True))
    return [round(lon, _DIGITS), round(lat, _DIGITS)]


def _block_point(block: _Block, u: float, v: float) -> list[float]:
    """The point a fraction u east and v north across `block`."""
    x = _FINE * (block.x0 + u * (block.x1 - block.x0))
    y = _FINE * (block.y0 + v * (block.y1 - block.y0))
    return _point(x, y)


def _ring(block: _Block) -> list[list[float]]:
    """The block's outline, counter-clockwise and closed, through every lattice vertex on it."""
    x0, x1, y0, y1 = (_FINE * edge for edge in (block.x0, block.x1, block.y0, block.y1))
    path = [(i, y0) for i in range(x0, x1)]  # south edge, heading east
    path += [(x1, j) for j in range(y0, y1)]  # east edge, heading north
    path += [(i, y1) for i in range(x1, x0, -1)]  # north edge, heading west
    path += [(x0, j) for j in range(y1, y0, -1)]  # west edge, heading south
    path.append(path[0])
    return [list(_vertex(i, j)) for i, j in path]


def _bounding(blocks: list[_Block]) -> _Block:
    return _Block(
        min(b.x0 for b in blocks),
        max(b.x1 for b in blocks),
        min(b.y0 for b in blocks),
        max(b.y1 for b in blocks),
    )


# --- grid tree ------------------------------------------------------------------------------


def _town(index: int) -> _Node:
    name, name_en, band = _TOWNS[index]
    width = _VILLAGES_PER_TOWN * _VILLAGE_WIDTH
    block = _Block(0, width, band * _TOWN_HEIGHT, (band + 1) * _TOWN_HEIGHT)
    code = f"{COUNTY_CODE}-{index + 1:03d}"
    return _Node(code, name, name_en, "town", "basic", COUNTY_CODE, block)


def _village(town: _Node, town_index: int, index: int) -> _Node:
    name, name_en = _VILLAGES[town_index][index]
    block = _Block(0, _VILLAGE_WIDTH, 0, _TOWN_HEIGHT).shifted(
        index * _VILLAGE_WIDTH, town.block.y0
    )
    code = f"{town.code}-{index + 1:03d}"
    return _Node(code, name, name_en, "village", "basic", town.code, block)


def _grid(village: _Node, number: int) -> _Node:
    name = f"{village.name}第{_CN_NUMBERS[number - 1]}网格"
    name_en = f"{village.name_en} Di{_PINYIN_NUMBERS[number - 1].lower()} Wangge"
    block = _GRID_LAYOUT[number - 1].shifted(village.block.x0, village.block.y0)
    code = _grid_code(village.code, number)
    return _Node(code, name, name_en, "grid", "basic", village.code, block)


def _grid_code(village_code: str, number: int) -> str:
    return f"{village_code}-{number:02d}"


def _overlay(
    code: str, names: tuple[str, str], kind: str, parent: str, covered: list[_Node]
) -> _Node:
    block = _bounding([node.block for node in covered])
    covers = tuple(node.code for node in covered)
    return _Node(code, names[0], names[1], "grid", kind, parent, block, covers)


def _party_overlays(grids: dict[str, _Node], villages: list[_Node]) -> list[_Node]:
    overlays = []
    for village_index, numbers in _PARTY_GRIDS:
        village = villages[village_index]
        names = (f"{village.name}党建网格", f"{village.name_en} Dangjian Wangge")
        covered = [grids[_grid_code(village.code, n)] for n in numbers]
        code = f"{village.code}-P01"
        overlays.append(_overlay(code, names, "party", village.code, covered))
    return overlays


def _river_overlay(grids: dict[str, _Node], villages: list[_Node]) -> _Node:
    covered = [grids[_grid_code(villages[v].code, n)] for v, n in _RIVER_GRIDS]
    names = ("弥河河道巡查专业网格", "Mi He Hedao Xuncha Zhuanye Wangge")
    town = villages[_RIVER_GRIDS[0][0]].parent
    assert town is not None
    return _overlay(_RIVER_CODE, names, "professional", town, covered)


def _tree() -> tuple[list[_Node], list[_Node], list[_Node]]:
    """Towns, villages and basic grids, each list in code order."""
    towns = [_town(t) for t in range(len(_TOWNS))]
    villages = [
        _village(town, t, v) for t, town in enumerate(towns) for v in range(_VILLAGES_PER_TOWN)
    ]
    grids = [_grid(village, n) for village in villages for n in range(1, 6)]
    return towns, villages, grids


def _nodes() -> list[_Node]:
    """Every grid node, parents before children, overlays last."""
    county_block = _Block(0, _VILLAGES_PER_TOWN * _VILLAGE_WIDTH, 0, 3 * _TOWN_HEIGHT)
    county = _Node(COUNTY_CODE, "寿光市", "Shouguang Shi", "county", "basic", None, county_block)
    towns, villages, grids = _tree()
    by_code = {grid.code: grid for grid in grids}
    overlays = [*_party_overlays(by_code, villages), _river_overlay(by_code, villages)]
    return [county, *towns, *villages, *grids, *overlays]


def _grid_households(code: str) -> tuple[int, int]:
    """(households, population) of one basic grid."""
    households = 90 + int(160 * _fraction(f"{code}:households"))
    population = round(households * (2.4 + 0.8 * _fraction(f"{code}:population")))
    return households, population


def _members(node: _Node, basic_codes: list[str]) -> list[str]:
    """The basic grids making up `node`."""
    if node.covers:
        return list(node.covers)
    return [code for code in basic_codes if code == node.code or code.startswith(node.code + "-")]


def _feature(node: _Node, basic_codes: list[str]) -> dict[str, Any]:
    counts = [_grid_households(code) for code in _members(node, basic_codes)]
    properties: dict[str, Any] = {
        "code": node.code,
        "name": node.name,
        "name_en": node.name_en,
        "level": node.level,
        "kind": node.kind,
        "parent": node.parent,
        "centre": _block_point(node.block, 0.5, 0.5),
    }
    if node.covers:
        properties["covers"] = list(node.covers)
    properties["households"] = sum(households for households, _ in counts)
    properties["population"] = sum(population for _, population in counts)
    geometry = {"type": "Polygon", "coordinates": [_ring(node.block)]}
    return {"type": "Feature", "geometry": geometry, "properties": properties}


def demo_grids() -> dict[str, Any]:
    """The demo grid tree and overlays as a GeoJSON FeatureCollection, parents first."""
    nodes = _nodes()
    basic_codes = [n.code for n in nodes if n.level == "grid" and n.kind == "basic"]
    features = [_feature(node, basic_codes) for node in nodes]
    return {"type": "FeatureCollection", "features": features}


# --- people ---------------------------------------------------------------------------------

_Account = tuple[str, list[dict[str, Any]]]


def _role(role: str, grid: str | None) -> dict[str, Any]:
    return {"role": role, "grid": grid}


def _command_accounts(towns: list[_Node], villages: list[_Node]) -> list[_Account]:
    accounts: list[_Account] = [
        ("admin", [_role("admin", None)]),
        ("county.cmd", [_role("commander", COUNTY_CODE)]),
        ("county.dispatch", [_role("dispatcher", COUNTY_CODE)]),
    ]
    accounts += [(f"town{k}.cmd", [_role("commander", t.code)]) for k, t in enumerate(towns, 1)]
    accounts += [(f"v{k:02d}.cmd", [_role("commander", v.code)]) for k, v in enumerate(villages, 1)]
    accounts += [
        (f"v{k:02d}.lead", [_role("grid_leader", v.code)]) for k, v in enumerate(villages, 1)
    ]
    return accounts


def _worker_beats(villages: list[_Node]) -> list[list[str]]:
    """The basic grid codes each worker patrols, in worker order."""
    beats: list[list[str]] = []
    for index, village in enumerate(villages):
        own = tuple((number,) for number in range(1, 6))
        groups = own if index < _OWN_GRID_VILLAGES else _SHARED_BEATS
        beats += [[_grid_code(village.code, n) for n in group] for group in groups]
    return beats


def _worker_accounts(villages: list[_Node]) -> list[_Account]:
    accounts: list[_Account] = []
    for number, beat in enumerate(_worker_beats(villages), 1):
        username = f"w{number:02d}"
        roles = [_role("grid_worker", code) for code in beat]
        if username in _OVERLAY_MEMBERS:
            roles.append(_role("grid_worker", _OVERLAY_MEMBERS[username]))
        accounts.append((username, roles))
    return accounts


def _resident_accounts() -> list[_Account]:
    return [(f"r{k:02d}", [_role("resident", code)]) for k, code in enumerate(_RESIDENT_GRIDS, 1)]


def _person(index: int, account: _Account) -> dict[str, Any]:
    username, roles = account
    surname = _SURNAMES[index % len(_SURNAMES)]
    given = _GIVEN_NAMES[index % len(_GIVEN_NAMES)]
    return {
        "username": username,
        "display_name": surname + given,
        "phone": f"1380536{index:04d}",
        "roles": roles,
        "report_interval_s": _REPORT_INTERVAL_S[roles[0]["role"]],
    }


def demo_people() -> list[dict[str, Any]]:
    """Every demo account; all share DEMO_PASSWORD."""
    towns, villages, _ = _tree()
    accounts = [
        *_command_accounts(towns, villages),
        *_worker_accounts(villages),
        *_resident_accounts(),
    ]
    return [_person(index, account) for index, account in enumerate(accounts)]


# --- devices --------------------------------------------------------------------------------


def demo_devices() -> list[dict[str, Any]]:
    """IoT devices placed inside basic grids across all three towns."""
    _, villages, grids = _tree()
    by_code = {grid.code: grid for grid in grids}
    per_slug: dict[str, int] = {}
    devices = []
    for device_type, slug, name, village, number, u, v in _DEVICES:
        grid = by_code[_grid_code(villages[village].code, number)]
        per_slug[slug] = per_slug.get(slug, 0) + 1
        lon, lat = _block_point(grid.block, u, v)
        code = f"dev-{slug}-{per_slug[slug]:02d}"
        devices.append(_device(code, name, device_type, grid.code, lon, lat))
    return devices


def _device(
    code: str, name: str, device_type: str, grid: str, lon: float, lat: float
) -> dict[str, Any]:
    return {
        "code": code,
        "name": name,
        "device_type": device_type,
        "grid": grid,
        "lat": lat,
        "lon": lon,
    }
