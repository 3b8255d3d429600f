"""People over HTTP: create with roles, edit roles, JSON/CSV export and import."""

from __future__ import annotations

from typing import Any

import pytest

from tests.hub.conftest import Client, StartHub, bearer, error_code, login

WORKER_ROLE = {"role": "grid_worker", "grid": "370783-001-001-01"}


async def everyone(client: Client, token: str) -> dict[str, dict[str, Any]]:
    response = await client.get("/api/v1/people", headers=bearer(token))
    assert response.status == 200
    return {p["username"]: p for p in await response.json()}


async def export(client: Client, token: str, fmt: str) -> Any:
    response = await client.get(
        "/api/v1/people/export", params={"format": fmt}, headers=bearer(token)
    )
    assert response.status == 200
    if fmt == "csv":
        assert response.content_type == "text/csv"
        return await response.text()
    return await response.json()


async def import_people(client: Client, token: str, fmt: str, body: str) -> Any:
    return await client.post(
        "/api/v1/people/import", params={"format": fmt}, data=body.encode(), headers=bearer(token)
    )


def roles_of(person: dict[str, Any]) -> list[tuple[str, str | None]]:
    return [(r["role"], r["grid"]) for r in person["roles"]]


async def test_create_with_roles_then_sign_in(client: Client, admin_token: str) -> None:
    spec = {
        "username": "new.worker",
        "display_name": "新队员",
        "phone": "13900000000",
        "password": "Worker-pass-1",
        "roles": [WORKER_ROLE, {"role": "grid_worker", "grid": "370783-001-001-P01"}],
    }
    response = await client.post("/api/v1/people", json=spec, headers=bearer(admin_token))
    assert response.status == 201
    created = await response.json()
    assert created["username"] == "new.worker"
    assert created["active"] is True
    assert created["report_interval_s"] == 60
    assert roles_of(created) == [
        ("grid_worker", "370783-001-001-01"),
        ("grid_worker", "370783-001-001-P01"),
    ]
    assert "password" not in created

    token = await login(client, "new.worker", "Worker-pass-1")
    me = await client.get("/api/v1/auth/me", headers=bearer(token))
    assert roles_of(await me.json()) == roles_of(created)

    fetched = await client.get(f"/api/v1/people/{created['id']}", headers=bearer(admin_token))
    assert await fetched.json() == created


async def test_create_refusals(client: Client, admin_token: str) -> None:
    before = await everyone(client, admin_token)
    taken = {"username": "w01", "display_name": "重名", "roles": [WORKER_ROLE]}
    response = await client.post("/api/v1/people", json=taken, headers=bearer(admin_token))
    assert response.status == 409
    assert await error_code(response) == "person.username_taken"

    gridless = {"username": "no.grid", "display_name": "无网格", "roles": [{"role": "commander"}]}
    response = await client.post("/api/v1/people", json=gridless, headers=bearer(admin_token))
    assert response.status == 422
    assert await error_code(response) == "person.role_invalid"

    bad_name = {"username": "-bad name", "display_name": "x", "roles": []}
    response = await client.post("/api/v1/people", json=bad_name, headers=bearer(admin_token))
    assert response.status == 422
    assert await error_code(response) == "request.invalid"

    commander = await login(client, "county.cmd")
    fine = {"username": "by.commander", "display_name": "x", "roles": [WORKER_ROLE]}
    response = await client.post("/api/v1/people", json=fine, headers=bearer(commander))
    assert response.status == 403
    assert await error_code(response) == "auth.admin_required"
    assert await everyone(client, admin_token) == before


async def test_patch_roles_takes_effect_for_existing_tokens(
    client: Client, admin_token: str
) -> None:
    worker = await login(client, "w03")
    target = (await everyone(client, admin_token))["w03"]
    body = {"roles": [{"role": "grid_leader", "grid": "370783-002-001"}], "phone": "13911112222"}
    response = await client.patch(
        f"/api/v1/people/{target['id']}", json=body, headers=bearer(admin_token)
    )
    assert response.status == 200
    patched = await response.json()
    assert roles_of(patched) == [("grid_leader", "370783-002-001")]
    assert patched["phone"] == "13911112222"
    assert patched["display_name"] == target["display_name"]

    me = await client.get("/api/v1/auth/me", headers=bearer(worker))
    assert roles_of(await me.json()) == [("grid_leader", "370783-002-001")]
    grids = await client.get("/api/v1/grids", headers=bearer(worker))
    scoped = {g["code"] for g in await grids.json() if g["in_scope"]}
    assert "370783-002-001-03" in scoped
    assert "370783-001-001-03" not in scoped


@pytest.mark.parametrize("fmt", ["json", "csv"])
async def test_export_import_round_trip_into_a_fresh_hub(start_hub: StartHub, fmt: str) -> None:
    source = (await start_hub()).client
    source_admin = await login(source, "admin")
    exported = await export(source, source_admin, fmt)
    grids = await source.get("/api/v1/grids/export.geojson", headers=bearer(source_admin))

    fresh = await start_hub(demo=False)
    admin = await login(fresh.client, "admin", fresh.admin_password)
    response = await fresh.client.post(
        "/api/v1/grids/import", json=await grids.json(), headers=bearer(admin)
    )
    assert response.status == 200

    body = exported if fmt == "csv" else _json_text(exported)
    response = await import_people(fresh.client, admin, fmt, body)
    assert response.status == 200
    assert await response.json() == {"created": 86, "updated": 1}  # `admin` already existed
    assert await export(fresh.client, admin, fmt) == exported
    # Imported people have no password; the fresh hub's admin keeps theirs.
    assert await login(fresh.client, "admin", fresh.admin_password)


def _json_text(data: Any) -> str:
    import json

    return json.dumps(data, ensure_ascii=False)


async def test_csv_export_shape(client: Client, admin_token: str) -> None:
    text = await export(client, admin_token, "csv")
    lines = text.splitlines()
    assert lines[0] == "username,display_name,phone,email,roles,report_interval_s,active"
    assert len(lines) == 1 + 87
    w08 = next(line for line in lines if line.startswith("w08,"))
    assert "grid_worker@370783-001-002-03;grid_worker@370783-001-Z01" in w08
    admin = next(line for line in lines if line.startswith("admin,"))
    assert ",admin," in admin


BAD_CSV = {
    "unknown role": "username,display_name,roles\nok.one,甲,resident@370783-001-001-01\n"
    "bad.one,乙,sheriff@370783-001-001-01\n",
    "duplicate username": "username,display_name,roles\nsame,甲,resident@370783-001-001-01\n"
    "same,乙,resident@370783-001-001-02\n",
    "no username column": "name,roles\n甲,resident@370783-001-001-01\n",
    "role without grid": "username,display_name,roles\nok.one,甲,resident\n",
}


@pytest.mark.parametrize("case", sorted(BAD_CSV))
async def test_bad_csv_is_refused_and_changes_nothing(
    client: Client, admin_token: str, case: str
) -> None:
    before = await everyone(client, admin_token)
    response = await import_people(client, admin_token, "csv", BAD_CSV[case])
    assert response.status == 422
    assert (await error_code(response)).startswith("person.")
    assert await everyone(client, admin_token) == before


UNKNOWN_GRID_CSV = (
    "username,display_name,roles\nok.one,甲,resident@370783-001-001-01\n"
    "bad.one,乙,resident@370783-999\n"
)


async def test_csv_with_an_unknown_grid_changes_nothing(client: Client, admin_token: str) -> None:
    before = await everyone(client, admin_token)
    response = await import_people(client, admin_token, "csv", UNKNOWN_GRID_CSV)
    assert 400 <= response.status < 500
    assert await everyone(client, admin_token) == before


async def test_csv_with_an_unknown_grid_is_invalid_input(client: Client, admin_token: str) -> None:
    response = await import_people(client, admin_token, "csv", UNKNOWN_GRID_CSV)
    assert response.status == 422


async def test_bad_json_imports(client: Client, admin_token: str) -> None:
    before = await everyone(client, admin_token)
    for body, code in (
        ("{not json", "request.json_invalid"),
        ('{"username": "x"}', "person.import_invalid"),
        (
            '[{"username": "x1", "display_name": "x", "report_interval_s": 1}]',
            "person.import_invalid",
        ),
    ):
        response = await import_people(client, admin_token, "json", body)
        assert response.status == 422, body
        assert await error_code(response) == code
    assert await everyone(client, admin_token) == before


async def test_import_updates_by_username(client: Client, admin_token: str) -> None:
    body = (
        "username,display_name,phone,roles,active\n"
        "w03,改名队员,13900001111,grid_worker@370783-001-001-03;grid_worker@370783-001-001-04,true\n"
        "fresh.face,新人,,resident@370783-001-001-01,false\n"
    )
    response = await import_people(client, admin_token, "csv", body)
    assert response.status == 200
    assert await response.json() == {"created": 1, "updated": 1}
    people = await everyone(client, admin_token)
    assert people["w03"]["display_name"] == "改名队员"
    assert roles_of(people["w03"]) == [
        ("grid_worker", "370783-001-001-03"),
        ("grid_worker", "370783-001-001-04"),
    ]
    assert people["fresh.face"]["active"] is False
    assert await login(client, "w03")  # the import carried no password: the old one stays


async def test_non_admin_cannot_export_or_import(client: Client) -> None:
    token = await login(client, "county.cmd")
    response = await client.get("/api/v1/people/export", headers=bearer(token))
    assert response.status == 403
    assert await error_code(response) == "auth.admin_required"
    response = await import_people(client, token, "json", "[]")
    assert response.status == 403
