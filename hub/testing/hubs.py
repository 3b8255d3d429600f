"""A real hub for tests: the whole application on a free loopback port, with the plugins a test
chooses, on a database of its own, seeded through the hub's own admin API."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp.web_app
from aiohttp import web

from hub import plugins as discovery
from hub.app import build_app
from hub.audit import Actor
from hub.demo_data import DEMO_PASSWORD
from hub.keys import BUS, GRIDS, PEOPLE, SETTINGS
from hub.people import GrantSpec, PersonSpec
from hub.plugins import Plugin
from hub.runtime import open_core, seed_demo
from hub.settings import Settings
from hub.testing.clients import HubClient, SocketClient, sign_in
from hub.testing.demo import copy_demo

PASSWORD = DEMO_PASSWORD  # of the admin, the demo county's people and everyone a test adds
ADMIN = "admin"
FAST_HASHING: dict[str, Any] = {"hash_time_cost": 1, "hash_memory_kib": 1024, "hash_parallelism": 1}


def hub_settings(
    data_dir: Path, database_url: str | None = None, *, auth: dict[str, Any] | None = None,
    **tables: Any,
) -> Settings:  # fmt: skip
    """Settings for a test hub: cheap password hashing, no media worker process unless asked
    for (`media={...}`); other `tables` as in the settings file (`plugins={...}`, ...)."""
    tables.setdefault("media", {"embedded_workers": 0})
    auth = {**FAST_HASHING, **(auth or {})}
    return Settings(data_dir=data_dir, database_url=database_url, auth=auth, **tables)


def installed_plugins() -> dict[str, Plugin]:
    """Every plugin installed in this environment, by name, found as the hub finds them."""
    return discovery.discover()


def choose_plugins(chosen: Iterable[str | Plugin]) -> dict[str, Plugin]:
    """Plugin objects by name: a name is looked up among the installed plugins."""
    installed: dict[str, Plugin] | None = None
    found: dict[str, Plugin] = {}
    for item in chosen:
        if not isinstance(item, str):
            found[item.name] = item
            continue
        installed = installed_plugins() if installed is None else installed
        if item not in installed:
            raise LookupError(f"plugin {item!r} is not installed (installed: {sorted(installed)})")
        found[item] = installed[item]
    return found


class RunningHub:
    """A hub serving on 127.0.0.1 (`url`). Clients and sockets it opens close when it stops."""

    def __init__(self, app: web.Application, runner: web.AppRunner, url: str) -> None:
        self.app = app  # the aiohttp application: internal, may change with any release
        self.url = url
        self._runner = runner
        self._clients: list[HubClient] = []
        self._sockets: list[SocketClient] = []
        self._admin: HubClient | None = None
        self._stopped = False

    @property
    def data_dir(self) -> Path:
        return self.app[SETTINGS].data_dir

    def anonymous(self) -> HubClient:
        """A client signed in as nobody."""
        client = HubClient(self.url)
        self._clients.append(client)
        return client

    async def sign_in(
        self, username: str, password: str = PASSWORD, *, cookie: bool = False
    ) -> HubClient:
        """A client signed in as `username` (see hub.testing.clients.sign_in)."""
        client = await sign_in(self.url, username, password, cookie=cookie)
        self._clients.append(client)
        return client

    async def socket(self, username: str | None, password: str = PASSWORD) -> SocketClient:
        """A Socket.IO client connected as `username` (None: without a token)."""
        token = (await self.sign_in(username, password)).token if username else None
        peer = SocketClient()
        self._sockets.append(peer)
        await peer.connect(self.url, token)
        return peer

    async def admin(self) -> HubClient:
        """The admin's client, signed in once."""
        if self._admin is None:
            self._admin = await self.sign_in(ADMIN)
        return self._admin

    async def add_grid(
        self, code: str, name: str, *, parent: str | None = None, level: str = "grid",
        centre: tuple[float, float] | None = None,
    ) -> int:  # fmt: skip
        """Create a grid (as the admin, through the API); its id. `centre` is (lon, lat)."""
        spec = {"code": code, "name": name, "level": level, "parent": parent, "centre": centre}
        created = await (await self.admin()).json("POST", "/api/v1/grids", json=spec)
        return int(created["id"])

    async def add_person(
        self, username: str, roles: Iterable[tuple[str, str | None]] = (), *,
        display_name: str | None = None, password: str = PASSWORD,
    ) -> int:  # fmt: skip
        """Create a person holding `roles`, (role name, grid code) pairs: core roles or any
        enabled plugin's. Their id."""
        grants = [{"role": role, "grid": grid} for role, grid in roles]
        spec = {
            "username": username, "display_name": display_name or username,
            "password": password, "roles": grants,
        }  # fmt: skip
        created = await (await self.admin()).json("POST", "/api/v1/people", json=spec)
        return int(created["id"])

    async def grant(self, username: str, role: str, grid: str | None) -> None:
        """Give `username` `role` on `grid` beside the roles they hold (as the admin UI does)."""
        admin = await self.admin()
        person = await self._person(username)
        roles = [{"role": r["role"], "grid": r["grid"]} for r in person["roles"]]
        roles.append({"role": role, "grid": grid})
        path = f"/api/v1/people/{person['id']}"
        await admin.json("PATCH", path, json={"roles": roles})

    async def person_id(self, username: str) -> int:
        return int((await self._person(username))["id"])

    async def grid_id(self, code: str) -> int:
        grids = await (await self.admin()).json("GET", "/api/v1/grids")
        found = [g["id"] for g in grids if g["code"] == code]
        assert found, f"no grid {code!r}"
        return int(found[0])

    async def _person(self, username: str) -> dict[str, Any]:
        people = await (await self.admin()).json("GET", "/api/v1/people")
        found = [p for p in people if p["username"] == username]
        assert found, f"no person {username!r}"
        person: dict[str, Any] = found[0]
        return person

    async def settle(self) -> None:
        """Wait until every bus message published so far has been handled (plugins'
        subscriptions included)."""
        await self.app[BUS].flush()

    async def stop(self) -> None:
        """Close its clients and sockets, then shut the hub down as a node stops (a test may
        stop it early, e.g. to start another on its database; stopping again does nothing)."""
        if self._stopped:
            return
        self._stopped = True
        for peer in self._sockets:
            await peer.close()
        for client in self._clients:
            await client.close()
        await self._runner.cleanup()
        forget_stopped_apps()


def forget_stopped_apps() -> None:
    """Let stopped hubs be freed. aiohttp remembers the middleware chain of up to 1024
    (handler, apps) pairs in a module cache (web_app._cached_build_middleware), and with each
    its application: every hub a test had sent a request to stayed alive (~12k objects) long
    after it stopped, and each full garbage collection walked them all. Live apps just
    rebuild their entries."""
    cached = getattr(aiohttp.web_app, "_cached_build_middleware", None)
    if cached is not None:
        cached.cache_clear()


@asynccontextmanager
async def running_hub(
    plugins: Iterable[str | Plugin] = (),
    *,
    demo: bool = False,
    demo_template: Path | None = None,
    database_url: str | None = None,
    data_dir: Path | None = None,
    config: Mapping[str, Mapping[str, Any]] | None = None,
    **settings: Any,
) -> AsyncIterator[RunningHub]:
    """Start a hub with `plugins` (installed ones by name, or plugin objects; none else) on a
    free port of 127.0.0.1, and stop it at the end.

    The database is `database_url` (it must be empty) or a SQLite file in `data_dir` (default:
    a temporary folder, removed at the end). It holds the admin (`admin`, password PASSWORD)
    and, with `demo`, the demo county (copied from `demo_template` if given). `config` is the
    plugins' configuration by name; `settings` other settings tables (`timers={...}`)."""
    own_dir = data_dir is None
    folder = Path(tempfile.mkdtemp(prefix="gridhub-test-")) if data_dir is None else data_dir
    try:
        url = database_url or f"sqlite+aiosqlite:///{folder / 'gridhub.db'}"
        options = hub_settings(folder, url, plugins={"config": dict(config or {})}, **settings)
        await _seed(options, demo, demo_template)
        hub = await _serve(build_app(options, available_plugins=choose_plugins(plugins)))
        try:
            yield hub
        finally:
            await hub.stop()
    finally:
        if own_dir:
            shutil.rmtree(folder, ignore_errors=True)


async def _seed(settings: Settings, demo: bool, template: Path | None) -> None:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    if demo and template is not None:
        await copy_demo(template, settings.effective_database_url, settings.data_dir)
    elif demo:
        async with open_core(settings) as core:
            assert await seed_demo(core, settings.data_dir), "the database was not empty"


async def _serve(app: web.Application) -> RunningHub:
    runner = web.AppRunner(app)
    await runner.setup()  # the hub starts: migrations, core services, plugins
    try:
        await _ensure_admin(app)
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
    except BaseException:
        await runner.cleanup()
        raise
    host, port = runner.addresses[0][:2]
    return RunningHub(app, runner, f"http://{host}:{port}")


async def _ensure_admin(app: web.Application) -> None:
    """An empty hub gets `admin` with the known test password (a deployment's is random)."""
    people = app[PEOPLE]
    if await people.in_grids(app[GRIDS].index, None):
        return
    spec = PersonSpec(
        username=ADMIN, display_name="Administrator", password=PASSWORD,
        roles=[GrantSpec(role="admin", grid=None)],
    )  # fmt: skip
    await people.create(spec, app[GRIDS].index, Actor("test"))
