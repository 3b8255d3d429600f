"""Plugin contract, the narrow PluginContext, and the host that discovers and orders plugins."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, Protocol, runtime_checkable
from zoneinfo import ZoneInfo

from prometheus_client import CollectorRegistry
from pydantic import BaseModel, ValidationError
from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hub import periodic
from hub.bulk_insert import BulkInsert, open_bulk_insert
from hub.bus import MessageBus
from hub.grid import GridIndex
from hub.personal import PersonalBox
from hub.plugin_devices import DevicesView
from hub.plugin_views import AuditView, ChannelsView, DirectoryView, RealtimeView
from hub.policy import Rule
from hub.presence import PresenceStates, PresenceStatesView
from hub.ratelimit import RateLimits
from hub.roles import RoleSpec
from hub.settings import describe_errors
from hub.subjects import Subjects, SubjectsView
from hub.timers import TimerView
from hub.ui import PluginUi
from hub.web import RawHandler, Router, WebSocketPaths
from storage import migrate
from storage.sql import Base

ENTRY_POINT_GROUP = "gridhub.plugins"
log = logging.getLogger("gridhub.plugins")


class PluginError(RuntimeError):
    """A plugin could not be found, ordered, configured or set up. Start-up stops."""


class GridView(Protocol):
    @property
    def index(self) -> GridIndex: ...


@runtime_checkable
class Plugin(Protocol):
    name: str
    requires: tuple[str, ...]
    config_model: type[BaseModel] | None
    migrations: Path | None

    async def setup(self, ctx: PluginContext) -> None: ...

    async def teardown(self) -> None: ...


class BasePlugin:
    """Convenient defaults for the Plugin protocol, and its optional parts.

    `optional`: plugins set up before this one when they are enabled (ignored when not; ask
    `ctx.has_plugin`). `roles`: the roles the plugin declares. `ui`: its console contributions.
    `static`: the folder of its prebuilt ES-module bundle, served at /plugins/<name>/static/.
    """

    name = ""
    requires: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    config_model: type[BaseModel] | None = None
    migrations: Path | None = None
    roles: tuple[RoleSpec, ...] = ()
    ui: PluginUi | None = None
    static: Path | None = None

    async def setup(self, ctx: PluginContext) -> None:
        raise NotImplementedError

    async def teardown(self) -> None:
        return None

    async def seed_demo(self, ctx: PluginContext) -> None:
        """Give the demo county this plugin's sample data. `gridhub demo` calls it on every
        start, after the core's county is seeded, in set-up order and inside
        `ctx.first_start()`: seed only while the plugin's own tables are empty, so a plugin
        installed into a running demo gets its data at the next start."""


@dataclass(frozen=True, slots=True)
class Health:
    """One part's health in /healthz: any part not `ok` makes the node `degraded`."""

    ok: bool
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class PluginContext:
    """All a plugin may touch: never the aiohttp application."""

    name: str
    bus: MessageBus
    sessions: async_sessionmaker[AsyncSession]
    http: Router
    grids: GridView
    config: BaseModel | None
    log: logging.Logger
    realtime: RealtimeView
    channels: ChannelsView
    timers: TimerView
    directory: DirectoryView
    # the core device registry: look-ups, last-seen and firmware reports (hub.plugin_devices)
    devices: DevicesView
    # per-client limits of public forms, counted in the database (hub.ratelimit)
    rate_limits: RateLimits
    # the node's Prometheus registry (/metrics): register the plugin's own metrics on it
    metrics: CollectorRegistry = field(default_factory=CollectorRegistry)
    # the audit log, written inside the plugin's own transactions
    audit: AuditView = field(default_factory=AuditView)
    # subject kinds the plugin owns, for recordings (hub.subjects)
    subjects: SubjectsView = field(default_factory=lambda: SubjectsView(Subjects(), ""))
    # presence states the plugin contributes (hub.presence)
    presence_states: PresenceStatesView = field(
        default_factory=lambda: PresenceStatesView(PresenceStates(), "")
    )
    # seals personal data (phones, addresses) at rest and masks it (hub.personal)
    personal: PersonalBox = field(default_factory=PersonalBox.random)
    # the deployment's zone (settings.time_zone): local days, periods and opening hours
    time_zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    # names of every plugin enabled on this node (`has_plugin`)
    _enabled: frozenset[str] = frozenset()
    _health: dict[str, Callable[[], Health]] = field(default_factory=dict)
    _tasks: list[Callable[[], Coroutine[Any, Any, None]]] = field(default_factory=list)
    _cleanups: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    _websockets: WebSocketPaths = field(default_factory=WebSocketPaths)

    def websocket(self, name: str, handler: RawHandler, rule: Rule) -> str:
        """Serve a plain aiohttp handler (e.g. a WebSocket) at `/ws/<name>` under `rule`
        (hub.policy); returns the path."""
        return self._websockets.claim(name, handler, rule)

    def run_in_background(self, factory: Callable[[], Coroutine[Any, Any, None]]) -> None:
        """Run a long-lived task from start-up until shutdown (the host cancels it)."""
        self._tasks.append(factory)

    def every(self, interval_s: float, job: Callable[[], Awaitable[object]], name: str) -> None:
        """Run `job` from start-up until shutdown, then every `interval_s` seconds after each
        run ends; a failing run is logged as `<plugin>.<name>` and the next still comes."""
        label = f"{self.name}.{name}"
        self._tasks.append(lambda: periodic.every(interval_s, job, label))

    def first_start(self) -> AbstractAsyncContextManager[None]:
        """`async with ctx.first_start():` around a start-up seed, so that nodes starting
        together on a fresh database write it once (check for the rows inside the block)."""
        return migrate.first_start(self.sessions)

    def bulk_insert(self, table: Table | type[Base]) -> BulkInsert:
        """A driver-level writer appending plain rows to one of the plugin's own tables (a
        Table or its mapped class), one transaction per batch, already-stored keys skipped
        (hub.bulk_insert): for hot append paths where the ORM costs too much. Close it when
        done."""
        found = table if isinstance(table, Table) else table.__table__
        if not isinstance(found, Table):
            raise TypeError(f"{table!r} is not mapped to a table")
        url = self.sessions.kw["bind"].url
        return open_bulk_insert(url, found, f"{self.name}-{found.name}")

    def has_plugin(self, name: str) -> bool:
        """Whether plugin `name` is enabled here (for dependencies declared `optional`)."""
        return name in self._enabled

    def on_cleanup(self, callback: Callable[[], Awaitable[None]]) -> None:
        self._cleanups.append(callback)

    def health(self, part: str, check: Callable[[], Health]) -> None:
        """Report a part's health in /healthz as `<plugin>.<part>` (`check` runs per request,
        so it must be cheap and must not block)."""
        self._health[f"{self.name}.{part}"] = check

    def health_checks(self) -> dict[str, Callable[[], Health]]:
        return dict(self._health)


def discover(group: str = ENTRY_POINT_GROUP) -> dict[str, Plugin]:
    """Load every plugin advertised in the entry-point group; a broken one fails loudly."""
    found: dict[str, Plugin] = {}
    for ep in entry_points(group=group):
        try:
            target = ep.load()
            plugin = target() if isinstance(target, type) else target
        except Exception as exc:
            raise PluginError(f"plugin entry point {ep.name!r} failed to load: {exc}") from exc
        if not isinstance(plugin, Plugin) or not plugin.name:
            raise PluginError(f"entry point {ep.name!r} is not a GridHub plugin")
        if plugin.name in found:
            raise PluginError(f"two plugins are named {plugin.name!r}")
        found[plugin.name] = plugin
    return found


def installed_migrations(group: str = ENTRY_POINT_GROUP) -> list[Path]:
    """Migration folders of every installed plugin, enabled or not (for resolving revisions)."""
    try:
        found = discover(group)
    except PluginError as exc:
        log.warning("cannot list installed plugins' migrations", extra={"error": str(exc)})
        return []
    return [p.migrations for p in found.values() if p.migrations is not None]


def select(
    available: Mapping[str, Plugin], enabled: Iterable[str] | None, disabled: Iterable[str]
) -> list[Plugin]:
    """The enabled plugins in dependency order (requirements, and enabled optional
    dependencies, first)."""
    names = set(available) if enabled is None else set(enabled)
    unknown = names - set(available)
    if unknown:
        raise PluginError(f"enabled plugins are not installed: {', '.join(sorted(unknown))}")
    names -= set(disabled)
    chosen = {n: available[n] for n in names}
    return _dependency_order(chosen)


def optional_of(plugin: Plugin) -> tuple[str, ...]:
    """The plugins `plugin` is set up after when they are enabled."""
    return tuple(getattr(plugin, "optional", ()))


def _dependency_order(plugins: Mapping[str, Plugin]) -> list[Plugin]:
    ordered: list[Plugin] = []
    state: dict[str, str] = {}

    def visit(name: str, chain: tuple[str, ...]) -> None:
        if state.get(name) == "done":
            return
        if state.get(name) == "doing":
            raise PluginError(f"plugin dependency cycle: {' -> '.join((*chain, name))}")
        state[name] = "doing"
        for need in plugins[name].requires:
            if need not in plugins:
                raise PluginError(f"plugin {name!r} requires {need!r}, which is not enabled")
            visit(need, (*chain, name))
        for wanted in optional_of(plugins[name]):
            if wanted in plugins:
                visit(wanted, (*chain, name))
        state[name] = "done"
        ordered.append(plugins[name])

    for name in sorted(plugins):
        visit(name, ())
    return ordered


def validate_config(plugin: Plugin, raw: Mapping[str, Any] | None) -> BaseModel | None:
    if plugin.config_model is None:
        if raw:
            raise PluginError(f"plugin {plugin.name!r} takes no configuration")
        return None
    try:
        return plugin.config_model.model_validate(dict(raw or {}))
    except ValidationError as exc:  # without the values given: they may be secrets
        problems = describe_errors(exc)
        raise PluginError(f"plugin {plugin.name!r} configuration is invalid: {problems}") from None


class PluginHost:
    """Sets plugins up in order and tears them down in reverse."""

    def __init__(self, plugins: list[Plugin]) -> None:
        self.plugins = plugins
        self._started: list[tuple[Plugin, PluginContext]] = []

    @property
    def migration_dirs(self) -> list[Path]:
        return [p.migrations for p in self.plugins if p.migrations is not None]

    async def setup_all(self, make_context: Callable[[Plugin], PluginContext]) -> None:
        for plugin in self.plugins:
            try:
                ctx = make_context(plugin)
                await plugin.setup(ctx)
            except Exception as exc:
                await self.teardown_all()
                raise PluginError(f"plugin {plugin.name!r} failed to set up: {exc}") from exc
            self._started.append((plugin, ctx))
            log.info("plugin ready", extra={"plugin": plugin.name})

    def started(self) -> list[tuple[Plugin, PluginContext]]:
        return list(self._started)

    async def seed_demo_all(self) -> list[str]:
        """Run each started plugin's `seed_demo` (see BasePlugin), in set-up order; returns
        the names asked."""
        seeded = []
        for plugin, ctx in self._started:
            seed = getattr(plugin, "seed_demo", None)
            if seed is None:
                continue
            async with ctx.first_start():
                await seed(ctx)
            seeded.append(plugin.name)
        return seeded

    async def teardown_all(self) -> None:
        while self._started:
            plugin, ctx = self._started.pop()
            for callback in reversed(ctx._cleanups):
                await _logged(callback(), plugin.name)
            await _logged(plugin.teardown(), plugin.name)


async def _logged(awaitable: Awaitable[None], name: str) -> None:
    try:
        await awaitable
    except Exception:
        log.exception("plugin teardown failed", extra={"plugin": name})
