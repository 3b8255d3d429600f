"""Roles are open: core roles plus those the enabled plugins declare (hub/roles.py).

Through real hubs on loopback and their databases: the catalogue and GET /api/v1/roles, a plugin
role assigned per grid over the people API opening that plugin's route (403, then 200), unknown
roles refused and changing nothing, and an assignment whose plugin is gone skipped at sign-in
with one warning while its holder keeps their other roles.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from hub import policy
from hub.app import build_app
from hub.demo_data import demo_grids
from hub.keys import CHANNELS, GRIDS, ROLES, SESSIONS
from hub.plugins import BasePlugin, PluginContext, PluginError
from hub.roles import RoleCatalogue, RoleConflict, RoleSpec, from_plugins
from hub.runtime import CLI, open_core
from hub.web import Call
from storage.models import Assignment
from tests.hub.conftest import (
    AiohttpClient,
    Client,
    StartHub,
    bearer,
    error_code,
    login,
    make_settings,
)
from tests.hub.conftest import person_id as person_id_of
from tests.hub.processes import clean_env, gridhub, ok
from tests.hub.sockets import Peer, connect

VILLAGE = "370783-001-001"  # 东庄村: w01 is a grid worker there
INSPECTOR = RoleSpec("inspector", "巡查员", "Inspector", description_zh="巡查设施")
VISITOR = RoleSpec("visitor", "访客", "Visitor", staff=False)
SECRET = policy.for_roles("patrol.secret", {"inspector"}, policy.Scope.NONE)


class Patrol(BasePlugin):
    """A plugin declaring two roles and a route only one of them opens."""

    name = "patrol"
    roles = (INSPECTOR, VISITOR)

    async def setup(self, ctx: PluginContext) -> None:
        @ctx.http.get("/secret", summary="Inspectors only", rule=SECRET)
        async def secret(call: Call[None, None]) -> dict[str, str]:
            return {"seen_by": call.who.username}


class Shadowing(BasePlugin):
    name = "shadow"
    roles = (RoleSpec("commander", "冒名", "Impostor"),)

    async def setup(self, ctx: PluginContext) -> None:
        return None


def plugin(cls: type[BasePlugin]) -> dict[str, Any]:
    instance = cls()
    return {instance.name: instance}


async def roles_of(client: Client, token: str, person: int) -> list[dict[str, Any]]:
    response = await client.get(f"/api/v1/people/{person}", headers=bearer(token))
    assert response.status == 200
    roles: list[dict[str, Any]] = (await response.json())["roles"]
    return roles


async def set_roles(client: Client, token: str, person: int, roles: list[dict[str, Any]]) -> Any:
    return await client.patch(
        f"/api/v1/people/{person}", json={"roles": roles}, headers=bearer(token)
    )


# ---- the catalogue --------------------------------------------------------------------------


def test_catalogue_has_the_core_roles_and_the_plugins_in_order() -> None:
    catalogue = from_plugins([Patrol()])
    names = [(e.spec.name, e.owner) for e in catalogue.entries()]
    assert names[:6] == [
        ("admin", "core"), ("commander", "core"), ("dispatcher", "core"),
        ("grid_leader", "core"), ("grid_worker", "core"), ("resident", "core"),
    ]  # fmt: skip
    assert names[6:] == [("inspector", "patrol"), ("visitor", "patrol")]
    assert catalogue.staff == {"commander", "dispatcher", "grid_leader", "grid_worker", "inspector"}
    assert "inspector" in catalogue
    assert "ghost" not in RoleCatalogue()


@pytest.mark.parametrize(
    ("declared", "words"),
    [
        ({"shadow": [RoleSpec("commander", "冒名", "Impostor")]}, "plugin 'shadow'"),
        ({"a": [INSPECTOR], "b": [INSPECTOR]}, "declared by plugin 'a'"),
        ({"odd": ["inspector"]}, "plugin 'odd': roles must be RoleSpec"),
    ],
)
def test_a_taken_or_malformed_role_is_refused(declared: dict[str, Any], words: str) -> None:
    with pytest.raises(RoleConflict, match=words):
        RoleCatalogue(declared)


@pytest.mark.parametrize("name", ["Inspector", "x", "9lives", "a-b", "a" * 33, ""])
def test_role_names_are_lower_case_words(name: str) -> None:
    with pytest.raises(RoleConflict):
        RoleSpec(name, "甲", "A")
    with pytest.raises(ValueError, match="not role names"):
        policy.for_roles("x.read", {name}, policy.Scope.NONE)


def test_a_plugin_shadowing_a_core_role_stops_start_up(tmp_path: Path) -> None:
    with pytest.raises(PluginError, match="plugin 'shadow' declares role 'commander'"):
        build_app(make_settings(tmp_path), available_plugins=plugin(Shadowing))


# ---- through a running hub ------------------------------------------------------------------


async def test_roles_api_lists_core_and_plugin_roles(start_hub: StartHub) -> None:
    client = (await start_hub(with_plugins=plugin(Patrol))).client
    response = await client.get("/api/v1/roles", headers=bearer(await login(client, "admin")))
    assert response.status == 200
    roles = {r["name"]: r for r in await response.json()}
    assert roles["inspector"] == {
        "name": "inspector", "title_zh": "巡查员", "title_en": "Inspector",
        "description_zh": "巡查设施", "description_en": "", "owner": "patrol", "staff": True,
    }  # fmt: skip
    assert roles["visitor"]["staff"] is False
    assert roles["commander"]["owner"] == "core"
    assert roles["grid_worker"]["title_zh"] == "网格员"
    worker = await client.get("/api/v1/roles", headers=bearer(await login(client, "w01")))
    assert worker.status == 200
    resident = await client.get("/api/v1/roles", headers=bearer(await login(client, "r01")))
    assert resident.status == 403
    assert await error_code(resident) == "auth.role_required"
    document = await (await client.get("/api/v1/openapi.json")).json()
    answer = document["paths"]["/api/v1/roles"]["get"]["responses"]["200"]
    assert answer["content"]["application/json"]["schema"]["items"] == {
        "$ref": "#/components/schemas/RoleInfoOut"
    }
    fields = document["components"]["schemas"]["RoleInfoOut"]["properties"]
    assert set(fields) == {*roles["inspector"]}


async def test_a_plugin_role_assigned_per_grid_opens_the_plugins_route(
    start_hub: StartHub,
) -> None:
    hub = await start_hub(with_plugins=plugin(Patrol))
    client, admin = hub.client, await login(hub.client, "admin")
    w01, token = await person_id_of(client.app, "w01"), await login(client, "w01")
    refused = await client.get("/api/v1/patrol/secret", headers=bearer(token))
    assert refused.status == 403
    assert await error_code(refused) == "auth.role_required"
    roles = [{"role": r["role"], "grid": r["grid"]} for r in await roles_of(client, admin, w01)]
    changed = await set_roles(client, admin, w01, [*roles, {"role": "inspector", "grid": VILLAGE}])
    assert changed.status == 200
    assert {"role": "inspector", "grid": VILLAGE} in [
        {"role": r["role"], "grid": r["grid"]} for r in (await changed.json())["roles"]
    ]
    opened = await client.get("/api/v1/patrol/secret", headers=bearer(token))  # same token
    assert opened.status == 200
    assert await opened.json() == {"seen_by": "w01"}


async def test_an_unknown_role_is_refused_and_changes_nothing(start_hub: StartHub) -> None:
    client = (await start_hub(with_plugins=plugin(Patrol))).client
    admin = await login(client, "admin")
    w01 = await person_id_of(client.app, "w01")
    before = await roles_of(client, admin, w01)
    for role in ("ghost", "Inspector", "x" * 64):
        response = await set_roles(client, admin, w01, [{"role": role, "grid": VILLAGE}])
        assert response.status == 422
        assert await error_code(response) == "person.role_unknown"
    created = await client.post(
        "/api/v1/people",
        json={
            "username": "ghosty",
            "display_name": "鬼",
            "roles": [{"role": "ghost", "grid": VILLAGE}],
        },
        headers=bearer(admin),
    )
    assert created.status == 422
    assert await error_code(created) == "person.role_unknown"
    assert await roles_of(client, admin, w01) == before
    assert (await client.get("/api/v1/people?grid=370783", headers=bearer(admin))).status == 200
    everyone = await (await client.get("/api/v1/people", headers=bearer(admin))).json()
    assert "ghosty" not in [p["username"] for p in everyone]


async def test_only_staff_plugin_roles_count_as_staff(
    start_hub: StartHub, peers: list[Peer]
) -> None:
    """A person holding only the plugin's staff role sees the people of their grid, the role
    list and their grid's staff channel, and reports their position (the field app on duty);
    one holding only its non-staff role sees only themselves, and none of the rest."""
    client = (await start_hub(with_plugins=plugin(Patrol))).client
    admin = await login(client, "admin")
    for username, role in (("insp", "inspector"), ("visit", "visitor")):
        created = await client.post(
            "/api/v1/people",
            json={"username": username, "display_name": username, "password": "Patrol@2026",
                  "roles": [{"role": role, "grid": VILLAGE}]},
            headers=bearer(admin),
        )  # fmt: skip
        assert created.status == 201, await created.json()
    inspector = await login(client, "insp", "Patrol@2026")
    seen = await (await client.get("/api/v1/people", headers=bearer(inspector))).json()
    assert {"w01", "r01", "insp"} <= {p["username"] for p in seen}
    assert (await client.get("/api/v1/roles", headers=bearer(inspector))).status == 200
    visitor = await login(client, "visit", "Patrol@2026")
    seen = await (await client.get("/api/v1/people", headers=bearer(visitor))).json()
    assert [p["username"] for p in seen] == ["visit"]
    assert (await client.get("/api/v1/roles", headers=bearer(visitor))).status == 403
    grid_id = client.app[GRIDS].index.by_code(VILLAGE).id
    channel = (await client.app[CHANNELS].grid_memberships())[grid_id][0]
    for token, expected in ((inspector, True), (visitor, False)):
        me = await (await client.get("/api/v1/auth/me", headers=bearer(token))).json()
        assert me["is_staff"] is expected
        peer = await connect(client, token)
        peers.append(peer)
        reply = await peer.call("channel.history", {"channel_id": channel})
        assert reply["ok"] is expected, reply
        reported = await peer.call("location.report", {"lat": 36.9, "lon": 118.7})  # field app
        assert reported["ok"] is expected, reported
        if not expected:
            assert reported["error"]["code"] == "auth.role_required"


async def test_a_role_whose_plugin_is_gone_is_skipped_at_sign_in(
    start_hub: StartHub, aiohttp_client: AiohttpClient, caplog: pytest.LogCaptureFixture
) -> None:
    """The same database, the hub restarted without the plugin: w01 signs in with their other
    roles, one warning names the skipped role, the plugin's role is listed by no one."""
    hub = await start_hub(with_plugins=plugin(Patrol))
    client, admin = hub.client, await login(hub.client, "admin")
    w01 = await person_id_of(client.app, "w01")
    before = await roles_of(client, admin, w01)
    roles = [{"role": r["role"], "grid": r["grid"]} for r in before]
    assert (
        await set_roles(client, admin, w01, [*roles, {"role": "inspector", "grid": VILLAGE}])
    ).status == 200
    await client.close()

    restarted = await aiohttp_client(build_app(hub.settings, available_plugins={}))
    assert "inspector" not in restarted.app[ROLES]
    with caplog.at_level(logging.WARNING, logger="gridhub.roles"):
        token = await login(restarted, "w01")
        me = await (await restarted.get("/api/v1/auth/me", headers=bearer(token))).json()
        again = await restarted.get("/api/v1/people", headers=bearer(token))
    assert again.status == 200
    assert sorted(g["role"] for g in me["roles"]) == sorted(r["role"] for r in before)
    warnings = [r for r in caplog.records if "unknown role" in r.getMessage()]
    assert len(warnings) == 1
    assert getattr(warnings[0], "role", None) == "inspector"
    async with restarted.app[SESSIONS]() as session:
        stored = await session.scalars(select(Assignment.role).where(Assignment.person_id == w01))
        assert "inspector" in set(stored)  # kept: reinstalling the plugin brings it back
    listed = await roles_of(restarted, await login(restarted, "admin"), w01)
    assert "inspector" in [r["role"] for r in listed]


# ---- the CLI --------------------------------------------------------------------------------


PATROL_DIST = """\
from hub.plugins import BasePlugin
from hub.roles import RoleSpec


class Plugin(BasePlugin):
    name = "patrol"
    roles = (RoleSpec("inspector", "巡查员", "Inspector"),)

    async def setup(self, ctx):
        return None
"""


def install_patrol(site: Path) -> dict[str, str]:
    """A distribution advertising Patrol as a gridhub plugin, on the subprocess's path."""
    site.mkdir()
    (site / "gridhub_tp_patrol.py").write_text(PATROL_DIST)
    info = site / "gridhub_tp_patrol-0.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: gridhub-tp-patrol\nVersion: 0.0\n")
    (info / "entry_points.txt").write_text("[gridhub.plugins]\npatrol = gridhub_tp_patrol:Plugin\n")
    root = str(Path(__file__).resolve().parents[2])
    return clean_env(PYTHONPATH=os.pathsep.join([str(site), root]))


async def test_the_cli_assigns_an_enabled_plugins_role_and_refuses_unknown_ones(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    async with open_core(make_settings(data)) as core:
        await core.grids.import_geojson(demo_grids(), CLI)
    env = install_patrol(tmp_path / "site")
    common = ("--data-dir", data)
    await ok("user", "add", "insp", "--role", f"inspector@{VILLAGE}", *common, env=env)
    refused = await gridhub("user", "add", "ghosty", "--role", f"ghost@{VILLAGE}", *common, env=env)
    assert refused.code == 1
    assert "person.role_unknown" in refused.err
    # Without the plugin, its role is unknown too.
    plain = await gridhub("user", "add", "insp2", "--role", f"inspector@{VILLAGE}", *common)
    assert plain.code == 1
    assert "person.role_unknown" in plain.err
    async with open_core(make_settings(data)) as core:
        people = {p.username: p for p in await core.people.in_grids(core.grids.index, None)}
    assert set(people) == {"insp"}
    assert [(r["role"], r["grid"]) for r in people["insp"].roles] == [("inspector", VILLAGE)]
