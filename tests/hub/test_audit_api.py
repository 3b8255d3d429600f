"""The audit log: who did what from where, filters and paging, access, and retention."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from hub import audit
from hub.runtime import open_core
from storage.models import AuditEntry
from storage.sql import utcnow
from tests.hub.conftest import Client, bearer, error_code, login, make_settings


async def entries(client: Client, token: str, **query: Any) -> list[dict[str, Any]]:
    response = await client.get("/api/v1/audit", params=query, headers=bearer(token))
    body: list[dict[str, Any]] = await response.json()
    assert response.status == 200, body
    return body


async def test_state_change_records_actor_target_ip_and_request_id(
    client: Client, admin_token: str
) -> None:
    me = await client.get("/api/v1/auth/me", headers=bearer(admin_token))
    admin_id = (await me.json())["person_id"]
    spec = {"username": "audited", "display_name": "审计", "roles": []}
    response = await client.post(
        "/api/v1/people",
        json=spec,
        headers={**bearer(admin_token), "X-Request-ID": "test-123"},
    )
    assert response.status == 201
    assert response.headers["X-Request-ID"] == "test-123"
    created = await response.json()

    found = await entries(client, admin_token, action="person.create")
    assert len(found) == 1
    entry = found[0]
    assert entry["actor"] == "admin"
    assert entry["actor_id"] == admin_id
    assert entry["target_type"] == "person"
    assert entry["target_id"] == str(created["id"])
    assert entry["source_ip"] == "127.0.0.1"
    assert entry["request_id"] == "test-123"
    assert entry["details"]["username"] == "audited"


async def test_generated_request_id_is_returned_and_recorded(client: Client) -> None:
    response = await client.post(
        "/api/v1/auth/login", json={"username": "w01", "password": "Demo@2026"}
    )
    request_id = response.headers["X-Request-ID"]
    assert len(request_id) == 16
    admin = await login(client, "admin")
    logins = await entries(client, admin, action="auth.login", actor="w01")
    assert [e["request_id"] for e in logins] == [request_id]


async def test_failed_logins_are_audited(client: Client) -> None:
    for _ in range(2):
        await client.post("/api/v1/auth/login", json={"username": "w02", "password": "nope-nope"})
    admin = await login(client, "admin")
    failed = await entries(client, admin, action="auth.login_failed")
    assert [(e["actor"], e["target_id"]) for e in failed] == [("w02", "w02")] * 2


async def test_refused_change_writes_no_entry(client: Client, admin_token: str) -> None:
    before = await entries(client, admin_token, limit=1000)
    taken = {"username": "w01", "display_name": "重名", "roles": []}
    response = await client.post("/api/v1/people", json=taken, headers=bearer(admin_token))
    assert response.status == 409
    after = await entries(client, admin_token, limit=1000)
    assert after == before


async def test_filters(client: Client, admin_token: str) -> None:
    people = await client.get("/api/v1/people", headers=bearer(admin_token))
    ids = {p["username"]: p["id"] for p in await people.json()}
    for username in ("w01", "w02"):
        url = f"/api/v1/people/{ids[username]}"
        body = {"phone": "13900000000"}
        assert (await client.patch(url, json=body, headers=bearer(admin_token))).status == 200
    await login(client, "w01")

    updates = await entries(client, admin_token, action="person.update")
    assert {e["target_id"] for e in updates} == {str(ids["w01"]), str(ids["w02"])}
    targeted = await entries(client, admin_token, target_type="person", target_id=str(ids["w01"]))
    assert [e["action"] for e in targeted] == ["auth.login", "person.update"]
    by_actor = await entries(client, admin_token, actor="w01")
    assert [e["action"] for e in by_actor] == ["auth.login"]
    assert await entries(client, admin_token, action="no.such.action") == []


async def test_before_id_pages_newest_first(client: Client, admin_token: str) -> None:
    for username in ("w01", "w02", "w03", "w04", "w05"):
        await login(client, username)
    everything = await entries(client, admin_token, limit=1000)
    ids = [e["id"] for e in everything]
    assert ids == sorted(ids, reverse=True)

    seen: list[int] = []
    cursor: int | None = None
    while True:
        query: dict[str, Any] = {"limit": 2, "action": "auth.login"}
        if cursor is not None:
            query["before_id"] = cursor
        page = await entries(client, admin_token, **query)
        if not page:
            break
        assert len(page) <= 2
        seen += [e["id"] for e in page]
        cursor = page[-1]["id"]
    expected = [e["id"] for e in everything if e["action"] == "auth.login"]
    assert len(expected) == 6  # admin + five workers
    assert seen == expected


async def test_only_admins_read_the_log(client: Client) -> None:
    token = await login(client, "county.cmd")
    response = await client.get("/api/v1/audit", headers=bearer(token))
    assert response.status == 403
    assert await error_code(response) == "auth.admin_required"
    anonymous = await client.get("/api/v1/audit")
    assert anonymous.status == 401


async def test_bad_filters_are_invalid(client: Client, admin_token: str) -> None:
    for query in ({"limit": "0"}, {"before_id": "abc"}, {"since": "yesterday"}):
        response = await client.get("/api/v1/audit", params=query, headers=bearer(admin_token))
        assert response.status == 422, query
        assert await error_code(response) == "request.query_invalid"


async def test_time_filters(client: Client, admin_token: str) -> None:
    everything = await entries(client, admin_token, limit=1000)
    assert everything
    assert await entries(client, admin_token, since="2999-01-01T00:00:00Z") == []
    assert await entries(client, admin_token, until="2000-01-01T00:00:00+08:00") == []
    window = await entries(
        client, admin_token, since="2000-01-01T00:00:00Z", until="2999-01-01T00:00:00Z"
    )
    assert window == everything


async def test_time_filter_without_offset_is_not_a_server_error(
    client: Client, admin_token: str
) -> None:
    response = await client.get(
        "/api/v1/audit", params={"since": "2020-01-01T00:00:00"}, headers=bearer(admin_token)
    )
    assert response.status < 500


async def test_retention_sweep_removes_only_old_rows(tmp_path: Path, demo_template: Path) -> None:
    # On a copy of the demo database, without a running hub whose own sweeper could race us.
    shutil.copyfile(demo_template, tmp_path / "gridhub.db")
    async with open_core(make_settings(tmp_path)) as core:
        sessions = core.sessions
        async with sessions.begin() as session:
            for days in (400, 31):
                session.add(
                    AuditEntry(
                        at=utcnow() - timedelta(days=days),
                        actor="test",
                        action="test.old",
                        target_type="test",
                        target_id=str(days),
                        details={},
                    )
                )

        async def count() -> int:
            async with sessions() as session:
                total = await session.scalar(select(func.count()).select_from(AuditEntry))
                return int(total or 0)

        total = await count()
        assert await audit.sweep(sessions, 365) == 1
        assert await count() == total - 1
        assert await audit.sweep(sessions, 30) == 1
        assert await count() == total - 2
        assert await audit.sweep(sessions, 30) == 0

        async with sessions() as session:
            left = list(await session.scalars(select(AuditEntry.action).distinct()))
        assert "test.old" not in left
        assert "grid.import" in left  # the seed's recent entries stay
