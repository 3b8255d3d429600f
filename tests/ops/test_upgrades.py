"""Upgrades: a deployment on the previous release's schema is brought forward by new nodes with
its data kept, and a node older than its database refuses to start (docs/operations.md).

"The previous release" is this code's migrations minus the newest revision of every branch
(core and each plugin's): the demo county is seeded with this release, then every branch is
taken one revision back with the migrations' own downgrades. That is also the downgrade path
the documentation describes, exercised with data in the tables.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import AsyncEngine

from hub import plugins
from hub.demo_data import DEMO_PASSWORD
from storage import migrate
from storage.sql import create_engine
from tests import services
from tests.cluster.nodes import FAST_HASHING, Cluster, deployment
from tests.storage.test_schema_newer import next_release

BOOKKEEPING = {"alembic_version", migrate.BRANCHES.name}
Snapshot = dict[str, tuple[int, str]]  # table -> (rows, digest of its rows)


def enabled_migrations() -> list[Path]:
    """Migration folders of the plugins a node runs by default (every installed one)."""
    chosen = plugins.select(plugins.discover(), None, [])
    return [p.migrations for p in chosen if p.migrations is not None]


def to_previous_release(cluster: Cluster, folders: list[Path]) -> None:
    """Every branch one revision back with `gridhub migrate --to` (the documented downgrade;
    plugins first: some of their revisions depend on core ones)."""
    previous = previous_heads(folders)
    targets = [previous[label] for label in sorted(previous, key=lambda name: name == "core")]
    cluster.gridhub("migrate", *(arg for target in targets for arg in ("--to", target)))


def previous_heads(folders: list[Path]) -> dict[str, str]:
    """Each branch's revision before its newest (`<branch>@base` for a one-revision branch)."""
    script = ScriptDirectory.from_config(migrate.alembic_config(folders))
    found = {}
    for head in script.get_heads():
        revision = script.get_revision(head)
        assert revision is not None
        (label,) = revision.branch_labels
        parent = revision.down_revision
        assert parent is None or isinstance(parent, str), parent  # no merge points here
        found[label] = parent or f"{label}@base"
    return found


async def snapshot(engine: AsyncEngine, columns: dict[str, list[str]] | None = None) -> Snapshot:
    """Row count and a digest of every table's rows (over `columns`, default all of them)."""
    async with engine.connect() as conn:
        shape = columns if columns is not None else await conn.run_sync(_columns)
        found: Snapshot = {}
        for name, cols in shape.items():
            listed = ", ".join(f'"{c}"' for c in cols)
            rows = (await conn.execute(text(f'SELECT {listed} FROM "{name}"'))).all()
            digest = hashlib.sha256(repr(sorted(map(repr, rows))).encode()).hexdigest()
            found[name] = (len(rows), digest)
    return found


def _columns(sync: object) -> dict[str, list[str]]:
    inspector = inspect(sync)
    return {
        name: [c["name"] for c in inspector.get_columns(name)]
        for name in inspector.get_table_names()
        if name not in BOOKKEEPING
    }


def common(old: dict[str, list[str]], new: dict[str, list[str]]) -> dict[str, list[str]]:
    """The tables and columns both schemas have: a new migration may drop what it replaces
    (d0005 moved dispatch's rate windows into the core's table), never change what stays."""
    return {t: [c for c in cols if c in new[t]] for t, cols in old.items() if t in new}


async def shape(engine: AsyncEngine) -> dict[str, list[str]]:
    async with engine.connect() as conn:
        return await conn.run_sync(_columns)


@pytest.mark.postgres
async def test_new_nodes_bring_the_previous_releases_database_forward_keeping_its_data(
    postgres_server: str, tmp_path: Path
) -> None:
    folders = enabled_migrations()
    env = {"GRIDHUB_AUTH__ACCESS_TTL_S": "3600"}
    with deployment(postgres_server, tmp_path, "gridhub_upgrade_", env) as cluster:
        engine = create_engine(cluster.database_url)
        try:
            # A node's first start migrates the plugins' branches and writes their seeds.
            (await cluster.start("first")).stop()
            to_previous_release(cluster, folders)
            old_heads = await migrate.current_heads(engine)
            assert old_heads.isdisjoint(migrate.script_heads(folders))
            old_shape = await shape(engine)
            before = await snapshot(engine, old_shape)
            assert before["people"][0] > 0
            assert before["grids"][0] > 0
            # Two new nodes at once: one migrates under the lock, the other waits for it.
            a, _ = await cluster.start_together("a", "b")
            assert await migrate.current_heads(engine) == migrate.script_heads(folders)
            kept = common(old_shape, await shape(engine))
            assert {"people", "grids", "channels", "channel_messages"} <= set(kept)
            assert await snapshot(engine, kept) == {t: before[t] for t in kept}
        finally:
            await engine.dispose()
        await _signs_in(a.url, "w01")


async def _signs_in(url: str, username: str) -> None:
    body = {"username": username, "password": DEMO_PASSWORD}
    async with (
        aiohttp.ClientSession() as http,
        http.post(url + "/api/v1/auth/login", json=body) as response,
    ):
        assert response.status == 200, await response.text()


def test_a_node_older_than_its_database_will_not_start(tmp_path: Path) -> None:
    """`gridhub serve` on a database a newer release migrated: exits, says why, writes nothing."""
    data = tmp_path / "hub"
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRIDHUB_")}
    env |= {**FAST_HASHING, "GRIDHUB_PLUGINS__ENABLED": "[]", "GRIDHUB_LOG_LEVEL": "WARNING"}
    url = f"sqlite+aiosqlite:///{(data / 'gridhub.db').resolve()}"
    gridhub = [sys.executable, "-m", "hub"]
    subprocess.run([*gridhub, "migrate", "--data-dir", str(data)], env=env, check=True,
                   capture_output=True, timeout=120)  # fmt: skip
    (core_head,) = migrate.script_heads()
    newer = next_release(tmp_path / "next", "9001_next_core", core_head)
    services.run_async(_upgrade(url, [newer]))  # what the next release's first node does
    before = services.run_async(_state(url))
    port = str(services.free_port())
    started = subprocess.run([*gridhub, "serve", "--port", port, "--data-dir", str(data)],
                             env=env, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert started.returncode != 0
    assert "newer than this GridHub" in started.stderr + started.stdout
    assert "9001_next_core (core)" in started.stderr + started.stdout
    assert services.run_async(_state(url)) == before


async def _upgrade(url: str, folders: list[Path]) -> None:
    engine = create_engine(url)
    try:
        await migrate.upgrade(engine, folders)
    finally:
        await engine.dispose()


async def _state(url: str) -> tuple[set[str], Snapshot]:
    engine = create_engine(url)
    try:
        return await migrate.current_heads(engine), await snapshot(engine)
    finally:
        await engine.dispose()
