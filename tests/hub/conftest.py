"""Hub fixtures: real hubs on loopback, seeded with the demo county from a template database.

Seeding the demo (79 grids, 87 people, 20 devices) takes about a second and a half, so it is
done once per run into a template SQLite file, and every test gets its own copy of it (for
PostgreSQL: the rows are copied into the test's fresh database). Tests stay independent and the
suite stays fast.
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from sqlalchemy import insert, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection

from hub.app import build_app
from hub.demo_data import DEMO_PASSWORD
from hub.keys import SESSIONS
from hub.runtime import ensure_admin, open_core, seed_demo
from hub.settings import Settings
from storage import migrate
from storage.models import Person
from storage.sql import Base, create_engine
from tests import services

FAST_HASHING: dict[str, Any] = {
    "hash_time_cost": 1,
    "hash_memory_kib": 1024,
    "hash_parallelism": 1,
}

Client = TestClient[Any, Any]
AiohttpClient = Callable[..., Awaitable[Client]]


def make_settings(
    data_dir: Path,
    database_url: str | None = None,
    *,
    auth: dict[str, Any] | None = None,
    **other: Any,
) -> Settings:
    """Settings with fast argon2 so that hashing ~90 passwords stays cheap; no media worker
    process unless a test asks for one (``media={...}``)."""
    other.setdefault("media", {"embedded_workers": 0})
    return Settings(
        data_dir=data_dir,
        database_url=database_url,
        auth={**FAST_HASHING, **(auth or {})},
        **other,
    )


# --- helpers shared by the test modules ----------------------------------------------------------


async def login(client: Client, username: str, password: str = DEMO_PASSWORD) -> str:
    """Sign in and return the access token; fails the test on anything but 200."""
    tokens = await login_pair(client, username, password)
    token: str = tokens["access_token"]
    return token


async def login_pair(
    client: Client, username: str, password: str = DEMO_PASSWORD
) -> dict[str, Any]:
    response = await client.post(
        "/api/v1/auth/login", json={"username": username, "password": password}
    )
    body: dict[str, Any] = await response.json()
    assert response.status == 200, body
    return body


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def error_code(response: Any) -> str:
    """The stable error code of a structured error response."""
    body = await response.json()
    code: str = body["error"]["code"]
    return code


async def person_id(app: web.Application, username: str) -> int:
    """The id of the person signed up as `username`, read from the hub's database."""
    async with app[SESSIONS]() as session:
        found = await session.scalar(select(Person.id).where(Person.username == username))
    assert found is not None
    return int(found)


# --- templates -----------------------------------------------------------------------------------


async def _seed(settings: Settings) -> None:
    async with open_core(settings) as core:
        assert await seed_demo(core, settings.data_dir)
    # Start and stop the hub once, so that what it sets up on first start (signing key, grid
    # chat channels, ...) is in the template rather than redone by every test.
    runner = web.AppRunner(build_app(settings, available_plugins={}))
    await runner.setup()
    await runner.cleanup()


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file holding the migrated, seeded demo county, started once."""
    data_dir = tmp_path_factory.mktemp("demo-template")
    services.run_async(_seed(make_settings(data_dir)))
    database = data_dir / "gridhub.db"
    with sqlite3.connect(database) as conn:  # fold the WAL into the main file
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return database


async def copy_demo(url: str, request: pytest.FixtureRequest) -> None:
    """Fill the empty database at `url` with the demo county from the SQLite template."""
    template: Path = request.getfixturevalue("demo_template")
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        assert parsed.database is not None
        shutil.copyfile(template, parsed.database)
        return
    # PostgreSQL: migrate the empty database, then copy the template's rows into it. This is
    # much cheaper than dropping it and cloning a template database on a server with fsync on.
    source = create_engine(f"sqlite+aiosqlite:///{template}")
    target = create_engine(url)
    try:
        await migrate.upgrade(target)
        async with source.connect() as read, target.begin() as write:
            await _copy_rows(read, write)
    finally:
        await source.dispose()
        await target.dispose()


async def _copy_rows(read: AsyncConnection, write: AsyncConnection) -> None:
    present = set(await read.run_sync(lambda conn: inspect(conn).get_table_names()))
    tables = [t for t in Base.metadata.sorted_tables if t.name in present]
    for table in tables:
        rows = [dict(row) for row in (await read.execute(select(table))).mappings()]
        if rows:
            await write.execute(insert(table), rows)
    for table in tables:
        keys = list(table.primary_key.columns)
        if len(keys) != 1:
            continue
        name, column = table.name, keys[0].name
        sequence = await write.scalar(
            text("SELECT pg_get_serial_sequence(:table, :column)"),
            {"table": name, "column": column},
        )
        if sequence is not None:
            quoted = services.quote_ident
            await write.execute(
                text(
                    f"SELECT setval(:sequence, COALESCE(MAX({quoted(column)}), 0) + 1, false)"
                    f" FROM {quoted(name)}"
                ),
                {"sequence": sequence},
            )


# --- hubs ----------------------------------------------------------------------------------------


@dataclass
class Hub:
    client: Client
    settings: Settings
    admin_password: str


class StartHub(Protocol):
    async def __call__(
        self,
        *,
        demo: bool = True,
        database_url: str | None = None,
        auth: dict[str, Any] | None = None,
        with_plugins: dict[str, Any] | None = None,
        **other: Any,
    ) -> Hub: ...


@pytest.fixture
def start_hub(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    aiohttp_client: AiohttpClient,
) -> StartHub:
    """Start a hub on loopback: the demo county, or (demo=False) empty but for an admin.

    `database_url` must name an empty database (e.g. from the `database_url` fixture); by
    default each hub gets a SQLite file in a data dir of its own. `with_plugins` are the plugins the
    hub may load (none by default), by name.
    """

    async def start(
        *,
        demo: bool = True,
        database_url: str | None = None,
        auth: dict[str, Any] | None = None,
        with_plugins: dict[str, Any] | None = None,
        **other: Any,
    ) -> Hub:
        data_dir = tmp_path_factory.mktemp("hub")
        url = database_url or f"sqlite+aiosqlite:///{data_dir / 'gridhub.db'}"
        settings = make_settings(data_dir, url, auth=auth, **other)
        password = DEMO_PASSWORD
        if demo:
            await copy_demo(url, request)
        else:
            password = await _empty_with_admin(settings)
        client = await aiohttp_client(build_app(settings, available_plugins=with_plugins or {}))
        return Hub(client, settings, password)

    return start


async def _empty_with_admin(settings: Settings) -> str:
    async with open_core(settings) as core:
        created = await ensure_admin(core)
    assert created is not None
    return created[1]


@pytest.fixture
async def client(start_hub: StartHub) -> Client:
    """A demo-county hub on SQLite."""
    return (await start_hub()).client


@pytest.fixture
async def admin_token(client: Client) -> str:
    return await login(client, "admin")


@pytest.fixture
async def peers() -> AsyncIterator[list[Any]]:
    """Socket peers a test opens; disconnected at the end."""
    made: list[Any] = []
    yield made
    for peer in made:
        if peer.sio.connected:
            await peer.sio.disconnect()
