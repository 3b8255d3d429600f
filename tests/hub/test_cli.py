"""The `gridhub` command, run as a real subprocess against throw-away data dirs."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import sqlite3
from pathlib import Path
from typing import Any

from hub import people as people_mod
from hub.app import build_app
from hub.demo_data import demo_grids
from hub.devices import key_matches
from hub.runtime import CLI, open_core
from tests.hub.conftest import AiohttpClient, login, make_settings
from tests.hub.processes import clean_env, gridhub, ok


def rows(database: Path, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(database) as conn:
        found = conn.execute(sql).fetchall()
    conn.close()
    return found


# --- config --------------------------------------------------------------------------------------


async def test_config_show_precedence_and_masking(tmp_path: Path) -> None:
    toml = tmp_path / "hub.toml"
    toml.write_text('port = 1111\nhost = "0.0.0.0"\n[auth]\naccess_ttl_s = 600\n')
    secret = "do-not-print-this-secret"
    url = "postgresql+asyncpg://gridhub:pg-password@db.example:5432/gridhub"
    base: list[str | Path] = ["config", "show", "--data-dir", tmp_path, "--config", toml]

    flag, env_only, file_only = await asyncio.gather(
        ok(*base, "--port", "3333", env=clean_env(GRIDHUB_PORT="2222")),
        ok(
            *base,
            "--database-url",
            url,
            env=clean_env(GRIDHUB_PORT="2222", GRIDHUB_AUTH__SECRET_KEY=secret),
        ),
        ok(*base),
    )
    assert json.loads(flag)["port"] == 3333
    shown = json.loads(env_only)
    assert shown["port"] == 2222
    assert shown["auth"]["secret_key"] == "********"
    assert shown["database_url"] == "postgresql+asyncpg://gridhub:********@db.example:5432/gridhub"
    assert secret not in env_only
    assert "pg-password" not in env_only
    from_file = json.loads(file_only)
    assert from_file["port"] == 1111
    assert from_file["host"] == "0.0.0.0"
    assert from_file["auth"]["access_ttl_s"] == 600
    assert from_file["auth"]["secret_key"] is None
    assert from_file["auth"]["hash_time_cost"] == 1  # from the environment
    assert from_file["data_dir"] == str(tmp_path)


async def test_config_show_masks_list_secrets_and_errors_print_no_values(tmp_path: Path) -> None:
    toml = tmp_path / "hub.toml"
    toml.write_text('[plugins.config.dispatch]\nopen311_api_keys = ["o311-key-1", "o311-key-2"]\n')
    out = await ok("config", "show", "--data-dir", tmp_path, "--config", toml)
    assert "o311-key" not in out
    assert json.loads(out)["plugins"]["config"]["dispatch"]["open311_api_keys"] == "********"
    bad = tmp_path / "bad.toml"
    bad.write_text("[calls]\nturn_secret = 424242424242\n")
    result = await gridhub("config", "show", "--data-dir", tmp_path, "--config", bad)
    assert result.code != 0
    assert "calls.turn_secret" in result.err
    assert "424242424242" not in result.err + result.out


# --- people and devices --------------------------------------------------------------------------


async def test_user_add_then_login(tmp_path: Path, aiohttp_client: AiohttpClient) -> None:
    out = await ok(
        "user", "add", "alice", "--name", "Alice", "--role", "admin", "--data-dir", tmp_path
    )
    match = re.fullmatch(r"created alice; password: (\S+)\n", out)
    assert match, out
    client = await aiohttp_client(build_app(make_settings(tmp_path), available_plugins={}))
    token = await login(client, "alice", match.group(1))
    me = await client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    body = await me.json()
    assert body["display_name"] == "Alice"
    assert body["is_admin"] is True


async def test_device_add_prints_the_key_once_and_stores_a_hash(tmp_path: Path) -> None:
    out = await ok(
        "device",
        "add",
        "dev-test-01",
        "--name",
        "测试烟感",
        "--type",
        "smoke",
        "--data-dir",
        tmp_path,
    )
    match = re.fullmatch(r"device dev-test-01 registered; key \(shown once\): (dk_\S+)\n", out)
    assert match, out
    key = match.group(1)
    database = tmp_path / "gridhub.db"
    (stored,) = rows(database, "SELECT key_hash FROM devices WHERE code = 'dev-test-01'")
    assert key_matches(stored[0], key)
    assert not key_matches(stored[0], key + "x")
    for row in rows(database, "SELECT * FROM devices"):
        assert all(key not in str(value) for value in row)
    audit = rows(database, "SELECT actor, action, target_id FROM audit_log")
    assert ("cli", "device.add", "dev-test-01") in audit
    assert all(key not in str(row) for row in rows(database, "SELECT details FROM audit_log"))


# --- grids and people files ----------------------------------------------------------------------


async def test_grid_import_export_round_trip(tmp_path: Path) -> None:
    source = tmp_path / "demo.geojson"
    source.write_text(json.dumps(demo_grids(), ensure_ascii=False))
    data = tmp_path / "data"
    assert (
        await ok("grid", "import", source, "--data-dir", data) == "grids: 79 created, 0 updated\n"
    )

    target = tmp_path / "out.geojson"
    assert await ok("grid", "export", "-o", target, "--data-dir", data) == f"wrote {target}\n"
    exported = json.loads(target.read_text())
    demo = {f["properties"]["code"]: f for f in demo_grids()["features"]}
    assert {f["properties"]["code"]: f for f in exported["features"]} == demo
    codes = [f["properties"]["code"] for f in exported["features"]]
    assert codes[0] == "370783"  # parents first


async def _with_demo_grids(data_dir: Path) -> None:
    async with open_core(make_settings(data_dir)) as core:
        await core.grids.import_geojson(demo_grids(), CLI)


async def _demo_people_csv(data_dir: Path, template: Path) -> str:
    os.makedirs(data_dir)
    shutil.copyfile(template, data_dir / "gridhub.db")
    async with open_core(make_settings(data_dir)) as core:
        return people_mod.export_csv(await core.people.in_grids(core.grids.index, None))


async def test_people_csv_import_export_round_trip(tmp_path: Path, demo_template: Path) -> None:
    text = await _demo_people_csv(tmp_path / "source", demo_template)
    assert len(text.splitlines()) == 1 + 87
    csv_file = tmp_path / "people.csv"
    csv_file.write_text(text)
    target = tmp_path / "target"
    await _with_demo_grids(target)

    out = await ok("people", "import", csv_file, "--data-dir", target)
    assert out == "people: 87 created, 0 updated\n"
    exported = tmp_path / "again.csv"
    await ok("people", "export", "--format", "csv", "-o", exported, "--data-dir", target)
    assert exported.read_text().rstrip("\n") == text.rstrip("\n")


async def test_people_import_of_a_bad_csv_changes_nothing(tmp_path: Path) -> None:
    await _with_demo_grids(tmp_path)
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "username,display_name,roles\n"
        "good.one,甲,resident@370783-001-001-01\n"
        "bad.one,乙,overlord@370783-001-001-01\n"
    )
    result = await gridhub("people", "import", bad, "--data-dir", tmp_path)
    assert result.code == 1
    assert "person.role_unknown: person bad.one: there is no role 'overlord'" in result.err
    assert rows(tmp_path / "gridhub.db", "SELECT count(*) FROM people") == [(0,)]


async def test_migrate_creates_the_schema(tmp_path: Path) -> None:
    assert await ok("migrate", "--data-dir", tmp_path) == "database is up to date\n"
    database = tmp_path / "gridhub.db"
    tables = {
        name for (name,) in rows(database, "SELECT name FROM sqlite_master WHERE type='table'")
    }
    assert {"alembic_version", "grids", "people", "devices", "audit_log", "hub_settings"} <= tables
    assert len(rows(database, "SELECT version_num FROM alembic_version")) >= 1
