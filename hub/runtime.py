"""The hub's core services without the HTTP server, for CLI commands and seeding."""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hub import demo_data, plugins
from hub.access import Role
from hub.audit import Actor
from hub.devices import Devices, DeviceSpec
from hub.gridstore import GridStore
from hub.identity import Passwords
from hub.people import GrantSpec, People, PersonSpec, parse_json
from hub.plugins import installed_migrations
from hub.roles import RoleCatalogue, from_plugins
from hub.settings import Settings
from storage import migrate
from storage.models import Grid, Person
from storage.sql import create_engine, session_factory

CLI = Actor("cli")
log = logging.getLogger("gridhub.runtime")


@dataclass(frozen=True, slots=True)
class Core:
    sessions: async_sessionmaker[AsyncSession]
    grids: GridStore
    people: People
    devices: Devices


@asynccontextmanager
async def open_core(
    settings: Settings, extra_migrations: list[Path] | None = None
) -> AsyncIterator[Core]:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = create_engine(settings.effective_database_url)
    try:
        await migrate.upgrade(engine, extra_migrations or [], installed_migrations())
        sessions = session_factory(engine)
        grids = GridStore(sessions)
        await grids.reload()
        passwords = Passwords(settings.auth)
        people = People(sessions, passwords, enabled_roles(settings))
        yield Core(sessions, grids, people, Devices(sessions))
    finally:
        await engine.dispose()


async def downgrade(
    settings: Settings, targets: Sequence[str], extra_migrations: Sequence[Path] = ()
) -> set[str]:
    """Undo migrations down to `targets` (revisions, or `<branch>@base`), with the code that
    made them; returns the revisions the database is at then. Nodes must be stopped."""
    engine = create_engine(settings.effective_database_url)
    try:
        known = [*extra_migrations, *installed_migrations()]
        for target in targets:
            await migrate.downgrade(engine, target, known)
        return await migrate.current_heads(engine)
    finally:
        await engine.dispose()


def enabled_roles(settings: Settings) -> RoleCatalogue:
    """The core roles and those of the plugins the hub would enable (so the CLI assigns what
    the hub accepts); the core ones alone if the plugins cannot be listed."""
    try:
        found = plugins.discover()
        chosen = plugins.select(found, settings.plugins.enabled, settings.plugins.disabled)
    except plugins.PluginError as exc:
        log.warning("plugin roles unknown: %s", exc)
        return RoleCatalogue()
    return from_plugins(chosen)


async def count(
    sessions: async_sessionmaker[AsyncSession], model: type[Grid] | type[Person]
) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def ensure_admin(core: Core) -> tuple[str, str] | None:
    """On a hub with nobody in it, create `admin` with a random password to print once (by
    one node only, when several start together on a fresh database)."""
    async with migrate.first_start(core.sessions):
        if await count(core.sessions, Person):
            return None
        password = secrets.token_urlsafe(12)
        spec = PersonSpec(
            username="admin",
            display_name="Administrator",
            password=password,
            roles=[GrantSpec(role=Role.ADMIN, grid=None)],
        )
        await core.people.create(spec, core.grids.index, Actor("system"))
    return "admin", password


async def seed_demo(core: Core, data_dir: Path) -> bool:
    """Load the demo county into an empty hub; device keys go to demo-device-keys.json."""
    async with migrate.first_start(core.sessions):
        return await _seed_demo(core, data_dir)


async def _seed_demo(core: Core, data_dir: Path) -> bool:
    if await count(core.sessions, Grid) or await count(core.sessions, Person):
        return False
    await core.grids.import_geojson(demo_data.demo_grids(), CLI)
    people = [{**p, "password": demo_data.DEMO_PASSWORD} for p in demo_data.demo_people()]
    # Every demo account has the published DEMO_PASSWORD: one Argon2 hash serves them all.
    await core.people.import_specs(parse_json(people), core.grids.index, CLI, share_hashes=True)
    keys = {}
    for raw in demo_data.demo_devices():
        issued = await core.devices.add(DeviceSpec.model_validate(raw), core.grids.index, CLI)
        keys[issued.code] = issued.key
    target = data_dir / "demo-device-keys.json"
    target.write_text(json.dumps(keys, indent=2))
    target.chmod(0o600)
    return True
