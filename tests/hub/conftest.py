"""Hub fixtures: real hubs on loopback, seeded with the demo county from a template database.

Seeding the demo (79 grids, 87 people, 20 devices) takes about a second and a half, so it is
done once per run into a template (a SQLite file; a PostgreSQL database used as TEMPLATE) and
every test gets its own copy: tests stay independent and the suite stays fast.
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy.engine import make_url

from hub.app import build_app
from hub.demo_data import DEMO_PASSWORD
from hub.runtime import ensure_admin, open_core, seed_demo
from hub.settings import Settings
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
    """Settings with fast argon2 so that hashing ~90 passwords stays cheap."""
    return Settings(
        data_dir=data_dir,
        database_url=database_url,
        auth={**FAST_HASHING, **(auth or {})},
        **other,
    )


# --- helpers shared by the test modules ---------------------------------------------------------


async def login(client: Client, username: str, password: str = DEMO_PASSWORD) -> str:
    """Sign in and return the access token; fails the test on anything but 200."""
    tokens = await login_pair(client, username, password)
    token: str = tokens["access_token"]
    return token


async def login_pair(client: Client, username: str, password: str = DEMO_PASSWORD) -> dict[str, Any]:
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


# --- templates ------------------------------------------------------------------------------------


async def _seed(settings: Settings) -> None:
    async with open_core(settings) as core:
        assert await seed_demo(core, settings.data_dir)


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file holding the migrated, seeded demo county (no signing key yet)."""
    data_dir = tmp_path_factory.mktemp("demo-template")
    services.run_async(_seed(make_settings(data_dir)))
    database = data_dir / "gridhub.db"
    with sqlite3.connect(database) as conn:  # fold the WAL into the main file
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return database


@pytest.fixture(scope="session")
def postgres_demo_template(
    postgres_server: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """Name of a PostgreSQL database holding the seeded demo, for CREATE DATABASE ... TEMPLATE."""
    with services.fresh_database(postgres_server, "gridhub_tpl_") as url:
        data_dir = tmp_path_factory.mktemp("pg-template")
        services.run_async(_seed(make_settings(data_dir, url)))
        name = make_url(url).database
        assert name is not None
        yield name


def copy_demo(url: str, request: pytest.FixtureRequest) -> None:
    """Fill the empty database at `url` with the demo county from the template."""
    parsed = make_url(url)
    assert parsed.database is not None
    if parsed.get_backend_name() == "sqlite":
        shutil.copyfile(request.getfixturevalue("demo_template"), parsed.database)
        return
    template: str = request.getfixturevalue("postgres_demo_template")
    server: str = request.getfixturevalue("postgres_server")
    services.drop_database(server, parsed.database)
    quoted = services.quote_ident
    statement = f"CREATE DATABASE {quoted(parsed.database)} TEMPLATE {quoted(template)}"
    services.run_async(_pg_execute(server, statement))


async def _pg_execute(server: str, statement: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(services.libpq_url(server), timeout=10)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


# --- hubs -------------------------------------------------------------------------------------------


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
    default each hub gets a SQLite file in a data dir of its own.
    """

    async def start(
        *,
        demo: bool = True,
        database_url: str | None = None,
        auth: dict[str, Any] | None = None,
        **other: Any,
    ) -> Hub:
        data_dir = tmp_path_factory.mktemp("hub")
        url = database_url or f"sqlite+aiosqlite:///{data_dir / 'gridhub.db'}"
        settings = make_settings(data_dir, url, auth=auth, **other)
        password = DEMO_PASSWORD
        if demo:
            copy_demo(url, request)
        else:
            password = await _empty_with_admin(settings)
        client = await aiohttp_client(build_app(settings, available_plugins={}))
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
