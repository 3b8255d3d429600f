"""Hub fixtures: real hubs on loopback, seeded with the demo county from a template database.

Seeding the demo (79 grids, 87 people, 20 devices) takes about a second and a half, so it is
done once per run into a template SQLite file, and every test gets its own copy of it (for
PostgreSQL: the rows are copied into the test's fresh database). Tests stay independent and the
suite stays fast. Settings and the demo template come from the testing kit (hub.testing) that
plugin authors use; these fixtures add the aiohttp test client the hub's own tests are written
against.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from sqlalchemy import select

from hub.app import build_app
from hub.demo_data import DEMO_PASSWORD
from hub.keys import SESSIONS
from hub.runtime import ensure_admin, open_core
from hub.settings import Settings
from hub.testing import demo as kit_demo
from hub.testing import hubs
from storage.models import Person
from tests import services

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
    return hubs.hub_settings(data_dir, database_url, auth=auth, **other)


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


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file holding the migrated, seeded demo county, started once."""
    settings = make_settings(tmp_path_factory.mktemp("demo-template"))
    return services.run_async(kit_demo.make_demo_template(settings))


async def copy_demo(url: str, request: pytest.FixtureRequest) -> None:
    """Fill the empty database at `url` with the demo county from the SQLite template."""
    await kit_demo.copy_demo(request.getfixturevalue("demo_template"), url)


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
