"""Who sees which grids and people: subtree scope, ancestors for context, overlay coverage."""

from __future__ import annotations

from typing import Any

from hub.demo_data import demo_grids, demo_people
from tests.hub.conftest import Client, bearer, error_code, login

TOWN_A = "370783-001"
TOWN_B = "370783-002"
DEMO_CODES = {f["properties"]["code"] for f in demo_grids()["features"]}


async def grid_ids(client: Client) -> dict[str, int]:
    """code -> id, as the admin sees them."""
    admin = await login(client, "admin")
    response = await client.get("/api/v1/grids", headers=bearer(admin))
    return {g["code"]: g["id"] for g in await response.json()}


async def visible_grids(client: Client, token: str) -> dict[str, bool]:
    """code -> in_scope for GET /api/v1/grids."""
    response = await client.get("/api/v1/grids", headers=bearer(token))
    assert response.status == 200
    return {g["code"]: g["in_scope"] for g in await response.json()}


async def people(client: Client, token: str, **query: str) -> list[dict[str, Any]]:
    response = await client.get("/api/v1/people", params=query, headers=bearer(token))
    assert response.status == 200
    result: list[dict[str, Any]] = await response.json()
    return result


def in_town(code: str | None, town: str) -> bool:
    return code is not None and (code == town or code.startswith(town + "-"))


def demo_holders(town: str) -> set[str]:
    """Usernames holding at least one role inside `town`."""
    return {
        p["username"] for p in demo_people() if any(in_town(r["grid"], town) for r in p["roles"])
    }


async def test_admin_sees_every_grid(client: Client, admin_token: str) -> None:
    grids = await visible_grids(client, admin_token)
    assert len(grids) == 79
    assert set(grids) == DEMO_CODES
    assert all(grids.values())


async def test_commander_sees_own_town_and_county_for_context(client: Client) -> None:
    grids = await visible_grids(client, await login(client, "town1.cmd"))
    town_a = {code for code in DEMO_CODES if in_town(code, TOWN_A)}
    assert {code for code, scoped in grids.items() if scoped} == town_a
    assert {code for code, scoped in grids.items() if not scoped} == {"370783"}


async def test_commander_cannot_read_another_town(client: Client) -> None:
    ids = await grid_ids(client)
    token = await login(client, "town1.cmd")
    for code in (TOWN_B, "370783-002-001-01", "370783-003-004"):
        response = await client.get(f"/api/v1/grids/{ids[code]}", headers=bearer(token))
        assert response.status == 403, code
        assert await error_code(response) == "scope.forbidden"
    own = await client.get(f"/api/v1/grids/{ids['370783-001-004-05']}", headers=bearer(token))
    assert own.status == 200
    assert (await own.json())["in_scope"] is True
    county = await client.get(f"/api/v1/grids/{ids['370783']}", headers=bearer(token))
    assert county.status == 200
    assert (await county.json())["in_scope"] is False


async def test_commander_lists_only_people_of_own_town(client: Client) -> None:
    token = await login(client, "town1.cmd")
    other_town_only = demo_holders(TOWN_B) - demo_holders(TOWN_A)
    assert other_town_only  # the check below means something

    filtered = await people(client, token, grid=TOWN_B)
    assert filtered == []

    listed = await people(client, token)
    names = {p["username"] for p in listed}
    assert names == demo_holders(TOWN_A)
    assert not names & other_town_only
    for person in listed:
        assert any(in_town(r["grid"], TOWN_A) for r in person["roles"]), person["username"]

    village = await people(client, token, grid="370783-001-001")
    assert {p["username"] for p in village} >= {"v01.cmd", "v01.lead", "w01", "r01"}


async def test_commander_cannot_read_a_person_of_another_town(client: Client) -> None:
    admin = await login(client, "admin")
    everyone = {p["username"]: p["id"] for p in await people(client, admin)}
    token = await login(client, "town1.cmd")
    response = await client.get(f"/api/v1/people/{everyone['town2.cmd']}", headers=bearer(token))
    assert response.status == 403
    assert await error_code(response) == "scope.forbidden"
    mine = await client.get(f"/api/v1/people/{everyone['v01.cmd']}", headers=bearer(token))
    assert mine.status == 200
    assert (await mine.json())["username"] == "v01.cmd"


async def test_worker_sees_own_grid_and_ancestors_for_context(client: Client) -> None:
    grids = await visible_grids(client, await login(client, "w03"))
    assert grids == {
        "370783-001-001-03": True,
        "370783": False,
        TOWN_A: False,
        "370783-001-001": False,
    }


async def test_worker_cannot_read_a_neighbouring_grid(client: Client) -> None:
    ids = await grid_ids(client)
    token = await login(client, "w03")
    response = await client.get(f"/api/v1/grids/{ids['370783-001-001-01']}", headers=bearer(token))
    assert response.status == 403
    assert await error_code(response) == "scope.forbidden"
    village = await client.get(f"/api/v1/grids/{ids['370783-001-001']}", headers=bearer(token))
    assert village.status == 200
    assert (await village.json())["in_scope"] is False


async def test_overlay_worker_reads_the_basic_grids_the_overlay_covers(client: Client) -> None:
    ids = await grid_ids(client)
    token = await login(client, "w08")
    river = demo_covers("370783-001-Z01")
    assert len(river) == 4
    for code in river:
        response = await client.get(f"/api/v1/grids/{ids[code]}", headers=bearer(token))
        assert response.status == 200, code
        assert (await response.json())["in_scope"] is True
    outside = await client.get(f"/api/v1/grids/{ids['370783-001-003-02']}", headers=bearer(token))
    assert outside.status == 403

    grids = await visible_grids(client, token)
    assert {code for code, scoped in grids.items() if scoped} == {"370783-001-Z01", *river}
    assert {code for code, scoped in grids.items() if not scoped} == {
        "370783",
        TOWN_A,
        "370783-001-002",
        "370783-001-003",
    }


def demo_covers(code: str) -> set[str]:
    feature = next(f for f in demo_grids()["features"] if f["properties"]["code"] == code)
    return set(feature["properties"]["covers"])


async def test_resident_lists_only_themselves(client: Client) -> None:
    listed = await people(client, await login(client, "r01"))
    assert [p["username"] for p in listed] == ["r01"]


async def test_non_admin_cannot_change_grids(client: Client) -> None:
    ids = await grid_ids(client)
    spec = {"code": "370783-001-001-99", "name": "新网格", "level": "grid", "parent": TOWN_A}
    for username in ("county.cmd", "town1.cmd", "w01"):
        token = await login(client, username)
        created = await client.post("/api/v1/grids", json=spec, headers=bearer(token))
        assert created.status == 403, username
        assert await error_code(created) == "auth.admin_required"
        target = f"/api/v1/grids/{ids['370783-001-001-01']}"
        patched = await client.patch(target, json={"name": "改名"}, headers=bearer(token))
        assert patched.status == 403
        deleted = await client.delete(target, headers=bearer(token))
        assert deleted.status == 403
    assert len(await grid_ids(client)) == 79


async def test_root_filter_respects_scope(client: Client) -> None:
    token = await login(client, "town1.cmd")
    own = await client.get(
        "/api/v1/grids", params={"root": "370783-001-002"}, headers=bearer(token)
    )
    assert own.status == 200
    codes = {g["code"] for g in await own.json()}
    assert codes == {c for c in DEMO_CODES if in_town(c, "370783-001-002")}
    other = await client.get("/api/v1/grids", params={"root": TOWN_B}, headers=bearer(token))
    assert other.status == 403
    assert await error_code(other) == "scope.forbidden"


async def export_codes(client: Client, token: str) -> set[str]:
    response = await client.get("/api/v1/grids/export.geojson", headers=bearer(token))
    assert response.status == 200
    return {f["properties"]["code"] for f in (await response.json())["features"]}


async def test_commander_export_is_the_own_subtree(client: Client) -> None:
    codes = await export_codes(client, await login(client, "town1.cmd"))
    assert codes == {c for c in DEMO_CODES if in_town(c, TOWN_A)}


async def test_overlay_worker_export_matches_the_grids_in_scope(client: Client) -> None:
    token = await login(client, "w08")
    scoped = {code for code, in_scope in (await visible_grids(client, token)).items() if in_scope}
    assert await export_codes(client, token) == scoped
