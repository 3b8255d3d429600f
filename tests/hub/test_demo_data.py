"""The demo county: grid tree shape, exact tiling, accounts and devices."""

from __future__ import annotations

import re
from collections import Counter
from itertools import pairwise
from typing import Any

from hub.demo_data import DEMO_ACCOUNTS_DOC, demo_devices, demo_grids, demo_people

Ring = list[list[float]]
Polygon = list[Ring]

ROLES = {"admin", "commander", "dispatcher", "grid_leader", "grid_worker", "resident"}
DEVICE_TYPES = {"smoke", "gas", "water_level", "temperature", "door", "manhole", "camera"}


# --- geometry helpers (test-only; the hub has its own geometry) ------------------------------


def polygon_contains(polygon: Polygon, lon: float, lat: float) -> bool:
    """Even-odd ray casting over every ring; points exactly on an edge are unspecified."""
    inside = False
    for ring in polygon:
        for (x1, y1), (x2, y2) in pairwise(ring):
            if (y1 > lat) != (y2 > lat) and lon < x1 + (lat - y1) * (x2 - x1) / (y2 - y1):
                inside = not inside
    return inside


def on_boundary(polygon: Polygon, lon: float, lat: float, tolerance: float = 1e-12) -> bool:
    for ring in polygon:
        for (x1, y1), (x2, y2) in pairwise(ring):
            cross = (x2 - x1) * (lat - y1) - (y2 - y1) * (lon - x1)
            within = min(x1, x2) <= lon <= max(x1, x2) and min(y1, y2) <= lat <= max(y1, y2)
            if within and abs(cross) <= tolerance:
                return True
    return False


def signed_area(ring: Ring) -> float:
    """Shoelace formula; positive for a counter-clockwise ring."""
    pairs = pairwise(ring)
    return sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in pairs) / 2


# --- fixtures as plain helpers -----------------------------------------------------------------


def features() -> dict[str, dict[str, Any]]:
    return {f["properties"]["code"]: f for f in demo_grids()["features"]}


def props(feature: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = feature["properties"]
    return result


def polygon(feature: dict[str, Any]) -> Polygon:
    coordinates: Polygon = feature["geometry"]["coordinates"]
    return coordinates


def is_basic_grid(feature: dict[str, Any]) -> bool:
    return bool(props(feature)["level"] == "grid" and props(feature)["kind"] == "basic")


def tree_children(by_code: dict[str, dict[str, Any]], parent: str) -> list[dict[str, Any]]:
    return [
        f for f in by_code.values() if props(f)["parent"] == parent and props(f)["kind"] == "basic"
    ]


# --- grid tree --------------------------------------------------------------------------------


def test_counts_per_level_and_kind() -> None:
    counts = Counter((props(f)["level"], props(f)["kind"]) for f in demo_grids()["features"])
    assert counts == {
        ("county", "basic"): 1,
        ("town", "basic"): 3,
        ("village", "basic"): 12,
        ("grid", "basic"): 60,
        ("grid", "party"): 2,
        ("grid", "professional"): 1,
    }


def test_feature_collection_shape() -> None:
    collection = demo_grids()
    assert collection["type"] == "FeatureCollection"
    for feature in collection["features"]:
        assert feature["type"] == "Feature"
        assert feature["geometry"]["type"] == "Polygon"
        assert set(props(feature)) >= {"code", "name", "name_en", "level", "kind", "parent"}
        assert props(feature)["name_en"].isascii()
        assert ("covers" in props(feature)) == (props(feature)["kind"] != "basic")


def test_county_uses_real_code_and_bounding_box() -> None:
    county = features()["370783"]
    assert props(county)["name"] == "寿光市"
    lons = [x for x, _ in polygon(county)[0]]
    lats = [y for _, y in polygon(county)[0]]
    assert (min(lons), max(lons), min(lats), max(lats)) == (118.55, 118.95, 36.75, 37.05)


def test_codes_unique_and_parents_exist() -> None:
    codes = [props(f)["code"] for f in demo_grids()["features"]]
    assert len(codes) == len(set(codes))
    seen: set[str] = set()
    for code, feature in features().items():
        parent = props(feature)["parent"]
        assert parent is None or parent in seen, f"{code} comes before its parent"
        seen.add(code)


def test_names_unique() -> None:
    names = [props(f)["name"] for f in demo_grids()["features"]]
    assert len(names) == len(set(names))


def test_rings_are_closed_and_counter_clockwise() -> None:
    for code, feature in features().items():
        ring = polygon(feature)[0]
        assert ring[0] == ring[-1], code
        assert signed_area(ring) > 0, code


def test_centres_inside_own_and_parent_polygon() -> None:
    by_code = features()
    for code, feature in by_code.items():
        lon, lat = props(feature)["centre"]
        assert polygon_contains(polygon(feature), lon, lat), code
        parent = props(feature)["parent"]
        if parent is not None:
            assert polygon_contains(polygon(by_code[parent]), lon, lat), code


def test_child_vertices_inside_or_on_parent_boundary() -> None:
    by_code = features()
    for code, feature in by_code.items():
        parent = props(feature)["parent"]
        if parent is None:
            continue
        outer = polygon(by_code[parent])
        for lon, lat in polygon(feature)[0]:
            inside = polygon_contains(outer, lon, lat) or on_boundary(outer, lon, lat)
            assert inside, f"{code} vertex {lon},{lat} outside {parent}"


def test_children_tile_parent_exactly_by_area() -> None:
    by_code = features()
    parents = [code for code, f in by_code.items() if props(f)["level"] != "grid"]
    for parent in parents:
        children = tree_children(by_code, parent)
        assert children, parent
        total = sum(signed_area(polygon(child)[0]) for child in children)
        expected = signed_area(polygon(by_code[parent])[0])
        assert abs(total - expected) <= 1e-9 * expected, parent


def test_sample_points_fall_in_exactly_one_basic_grid() -> None:
    grids = [polygon(f) for f in features().values() if is_basic_grid(f)]
    steps_lon, steps_lat = 53, 47
    for a in range(steps_lon):
        for b in range(steps_lat):
            lon = 118.55 + (a + 0.37) * 0.4 / steps_lon
            lat = 36.75 + (b + 0.61) * 0.3 / steps_lat
            hits = sum(polygon_contains(grid, lon, lat) for grid in grids)
            assert hits == 1, (lon, lat, hits)


def test_shapes_are_not_all_rectangles() -> None:
    grid = features()["370783-001-001-02"]
    assert len({x for x, _ in polygon(grid)[0]}) > 2


def test_overlays_cover_basic_grids_of_their_parent() -> None:
    by_code = features()
    for code, feature in by_code.items():
        covers = props(feature).get("covers", [])
        for covered in covers:
            assert is_basic_grid(by_code[covered]), code
            assert covered.startswith(props(feature)["parent"] + "-"), code
        if props(feature)["kind"] == "party":
            assert 2 <= len(covers) <= 3
            assert props(by_code[props(feature)["parent"]])["level"] == "village"
        if props(feature)["kind"] == "professional":
            assert len(covers) == 4
            assert len({by_code[c]["properties"]["parent"] for c in covers}) == 2


def test_overlay_polygon_is_exact_union_of_covered_grids() -> None:
    by_code = features()
    for feature in by_code.values():
        covers = props(feature).get("covers")
        if covers:
            union = sum(signed_area(polygon(by_code[c])[0]) for c in covers)
            area = signed_area(polygon(feature)[0])
            assert abs(union - area) <= 1e-9 * area, props(feature)["code"]


def test_population_adds_up() -> None:
    by_code = features()
    for parent in ("370783", "370783-002", "370783-003-004"):
        children = tree_children(by_code, parent)
        total = sum(props(child)["population"] for child in children)
        assert total == props(by_code[parent])["population"]


# --- people -----------------------------------------------------------------------------------


def people_by_username() -> dict[str, dict[str, Any]]:
    return {person["username"]: person for person in demo_people()}


def test_people_counts_and_unique_usernames() -> None:
    people = demo_people()
    usernames = [person["username"] for person in people]
    assert len(usernames) == len(set(usernames))
    assert 80 <= len(people) <= 90
    roles = Counter(role["role"] for person in people for role in person["roles"][:1])
    assert roles["admin"] == 1
    assert roles["commander"] == 1 + 3 + 12
    assert roles["grid_leader"] == 12
    assert 48 <= roles["grid_worker"] <= 55
    assert roles["resident"] == 5


def test_person_fields() -> None:
    people = demo_people()
    for person in people:
        assert re.fullmatch(r"[a-z0-9.]+", person["username"])
        assert re.fullmatch(r"138\d{8}", person["phone"])
        assert not person["display_name"].isascii()
        assert person["report_interval_s"] > 0
    assert len({p["display_name"] for p in people}) == len(people)
    assert len({p["phone"] for p in people}) == len(people)


def test_role_grids_exist_and_match_levels() -> None:
    by_code = features()
    for person in demo_people():
        for role in person["roles"]:
            assert role["role"] in ROLES
            if role["role"] == "admin":
                assert role["grid"] is None
                continue
            assert role["grid"] in by_code, person["username"]
            if role["role"] == "resident":
                assert is_basic_grid(by_code[role["grid"]])


def test_every_basic_grid_has_a_worker_with_one_or_two_grids() -> None:
    by_code = features()
    patrolled: set[str] = set()
    for person in demo_people():
        beat = [r["grid"] for r in person["roles"] if r["role"] == "grid_worker"]
        basic = [code for code in beat if is_basic_grid(by_code[code])]
        if beat:
            assert 1 <= len(basic) <= 2, person["username"]
        patrolled.update(basic)
    assert patrolled == {code for code, f in by_code.items() if is_basic_grid(f)}


def test_overlay_workers_patrol_a_covered_grid() -> None:
    by_code = features()
    on_overlay = 0
    for person in demo_people():
        grids = [r["grid"] for r in person["roles"] if r["role"] == "grid_worker"]
        overlays = [code for code in grids if not is_basic_grid(by_code[code])]
        for overlay in overlays:
            assert set(grids) & set(props(by_code[overlay])["covers"]), person["username"]
        on_overlay += bool(overlays)
    assert on_overlay >= 2


def test_accounts_doc_matches_people() -> None:
    people = people_by_username()
    rows = re.findall(r"^\| `([^`]+)` \| (\w+) \| (.*) \|$", DEMO_ACCOUNTS_DOC, re.MULTILINE)
    assert len(rows) >= 9
    for username, role, scope in rows:
        assert username in people, username
        held = [r for r in people[username]["roles"] if r["role"] == role]
        assert held, (username, role)
        for code in re.findall(r"370783[-\w]*", scope):
            assert code in {r["grid"] for r in held}, (username, code)


# --- devices ----------------------------------------------------------------------------------


def test_devices_inside_their_grid() -> None:
    by_code = features()
    devices = demo_devices()
    assert 18 <= len(devices) <= 25
    for device in devices:
        grid = by_code[device["grid"]]
        assert is_basic_grid(grid)
        assert device["code"].startswith("dev-")
        assert device["device_type"] in DEVICE_TYPES
        assert polygon_contains(polygon(grid), device["lon"], device["lat"]), device["code"]


def test_devices_are_unique_and_spread_over_towns() -> None:
    devices = demo_devices()
    assert len({d["code"] for d in devices}) == len(devices)
    assert {d["device_type"] for d in devices} == DEVICE_TYPES
    assert len({d["grid"][:10] for d in devices}) == 3


def test_water_level_sensors_near_the_river() -> None:
    for device in demo_devices():
        if device["device_type"] == "water_level":
            assert abs(device["lon"] - 118.75) < 0.01, device["code"]


def test_deterministic() -> None:
    assert demo_grids() == demo_grids()
    assert demo_people() == demo_people()
    assert demo_devices() == demo_devices()
