"""Composition root: builds the aiohttp application from settings."""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from prometheus_client import CollectorRegistry

from hub import audit, components, headers, netaddr, node_metrics, plugins
from hub.api import audit_export, auth, devices, files, grids, people, roles, system, ui
from hub.bus import MessageBus
from hub.channel_heads import ChannelHeads
from hub.channels import ChannelStore
from hub.chat import Chat
from hub.contracts import BusTransport, PresenceStore, WriteJournal
from hub.devices import Devices
from hub.fanout import FanoutRedisManager
from hub.files import FileStore
from hub.gridstore import GridStore
from hub.identity import Identity, Passwords, signing_key
from hub.keys import (
    BUS,
    CHANNELS,
    CHAT,
    DEVICES,
    ENGINE,
    FILES,
    GRIDS,
    IDENTITY,
    LIVE,
    METRICS,
    NODE_ID,
    PEOPLE,
    PLUGINS,
    PRESENCE,
    REALTIME,
    ROLES,
    SESSIONS,
    SETTINGS,
    TIMERS,
)
from hub.live import Live
from hub.live import People as LivePeople
from hub.messages import ChannelMembersChanged, GridTreeChanged, PersonChanged, SessionRevoked
from hub.observability import HttpMetrics
from hub.outside_changes import publish_outside_changes
from hub.people import People
from hub.periodic import every
from hub.personal import PersonalBox, sealing_key
from hub.plugin_devices import DevicesView
from hub.plugin_views import ChannelsView, DirectoryView, RealtimeView
from hub.plugins import Plugin, PluginContext, PluginHost
from hub.presence import PresenceStatesView
from hub.ratelimit import RateLimits
from hub.realtime import EXPIRY_CHECK_S, Realtime
from hub.roles import RoleCatalogue, RoleConflict, from_plugins
from hub.settings import Settings
from hub.subjects import SUBJECTS, Subjects, SubjectsView
from hub.timers import TimerService, TimerStore
from hub.web import (
    AUTHENTICATOR,
    ENDPOINTS,
    PrefixDispatcher,
    Router,
    WebSocketPaths,
    request_context,
)
from storage import migrate
from storage.memory.bus import MemoryBusTransport
from storage.memory.presence import MemoryPresenceStore
from storage.redis.bus import RedisBusTransport
from storage.redis.journal import RedisWriteJournal
from storage.redis.presence import RedisPresenceStore
from storage.redis.timers import RedisTimerStore
from storage.sql import create_engine, session_factory
from storage.sql_timers import SqlTimerStore

log = logging.getLogger("gridhub.app")
PLUGIN_ROUTES: web.AppKey[dict[str, tuple[Router, PrefixDispatcher]]] = web.AppKey("plugin_routes")
WEBSOCKET_PATHS = web.AppKey("websocket_paths", WebSocketPaths)
PERSONAL = web.AppKey("personal", PersonalBox)
MAX_BODY = 8 * 1024 * 1024


def build_app(
    settings: Settings,
    available_plugins: Mapping[str, Plugin] | None = None,
    built_in: Mapping[str, components.Component] | None = None,
) -> web.Application:
    """The hub application; plugins and the built-in components (signaling, media, consoles:
    hub/components.py) come from entry points unless given explicitly."""
    registry = CollectorRegistry()
    app = web.Application(
        client_max_size=MAX_BODY,
        # Metrics outermost, so errors turned into responses are counted too.
        middlewares=[HttpMetrics(registry).middleware(), request_context],
    )
    app[SETTINGS] = settings
    netaddr.trust(app, settings.trusted_proxies)  # whose X-Forwarded-* to believe
    headers.install(app)  # security headers on every response (hub/headers.py)
    app[METRICS] = registry
    app[ENDPOINTS] = []
    app[SUBJECTS] = Subjects()  # plugins register kinds, media asks (hub/subjects.py)
    found = plugins.discover() if available_plugins is None else available_plugins
    chosen = plugins.select(found, settings.plugins.enabled, settings.plugins.disabled)
    app[ROLES] = _role_catalogue(chosen)
    app[PLUGINS] = PluginHost(chosen)
    app[PLUGIN_ROUTES] = {}
    app[WEBSOCKET_PATHS] = WebSocketPaths()
    app[WEBSOCKET_PATHS].reserve(app)
    for plugin in chosen:
        router = Router(f"/api/v1/{plugin.name}", plugin.name)
        dispatcher = PrefixDispatcher(router)
        dispatcher.reserve(app)
        app[PLUGIN_ROUTES][plugin.name] = (router, dispatcher)
    node_id = settings.node_id or f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(2)}"
    app[NODE_ID] = node_id
    realtime = Realtime(
        settings.realtime,
        lambda: app[IDENTITY],
        lambda: app[GRIDS].index,
        lambda: app[PRESENCE],
        node_id,
        **_socket_cluster(settings),
        grants=lambda: app[PEOPLE].grants_of,
    )
    realtime.sio.attach(app)
    app[REALTIME] = realtime
    app.on_shutdown.append(_end_sockets)  # before aiohttp waits for the running handlers
    for ctx in (
        _database,
        _bus,
        _presence,
        _grids,
        _identity,
        _realtime,
        _timers,
    ):
        app.cleanup_ctx.append(ctx)
    node_metrics.install(app)  # sockets, loop lag, bus backlog, timers, errors in /metrics
    components.install_all(app, built_in)  # set up after the core, before the plugins
    app.cleanup_ctx.extend((_plugins, _audit_retention))
    for module in (system, audit_export, auth, grids, people, devices, files):
        module.build_router().mount(app)
    ui.mount(app)  # plugins' pages and bundles (checked here: a bad one stops start-up)
    roles.build_router(app[ROLES].staff).mount(app)  # its rule names this hub's staff roles
    return app


def _role_catalogue(chosen: list[Plugin]) -> RoleCatalogue:
    """The core roles and the enabled plugins'; a bad or taken role name stops start-up."""
    try:
        return from_plugins(chosen)
    except RoleConflict as exc:
        raise plugins.PluginError(str(exc)) from exc


async def _database(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = create_engine(settings.effective_database_url)
    await migrate.upgrade(engine, app[PLUGINS].migration_dirs, plugins.installed_migrations())
    app[ENGINE] = engine
    app[SESSIONS] = session_factory(engine)
    yield
    await engine.dispose()


def _socket_cluster(settings: Settings) -> dict[str, Any]:
    """Cluster mode: emits travel through Redis; WebSocket only, so no sticky sessions."""
    if not settings.redis_url:
        return {}
    # Every node delivers to its own sockets through hub.fanout's fast path.
    manager = FanoutRedisManager(settings.redis_url, channel="gridhub:socketio")
    return {"client_manager": manager, "transports": ["websocket"]}


async def _bus(app: web.Application) -> AsyncIterator[None]:
    url = app[SETTINGS].redis_url
    transport: BusTransport
    if url:
        redis_bus = RedisBusTransport(url, node_id=app[NODE_ID])
        await redis_bus.start()
        transport = redis_bus
    else:
        transport = MemoryBusTransport()
    bus = MessageBus(transport)
    app[BUS] = bus
    yield
    await bus.close()


async def _presence(app: web.Application) -> AsyncIterator[None]:
    url = app[SETTINGS].redis_url
    store: PresenceStore = RedisPresenceStore(url) if url else MemoryPresenceStore()
    app[PRESENCE] = store
    yield
    await store.close()


async def _grids(app: web.Application) -> AsyncIterator[None]:
    store = GridStore(app[SESSIONS])
    await store.reload()
    bus = app[BUS]

    async def announce(ids: tuple[int, ...]) -> None:
        await bus.publish(GridTreeChanged(grid_ids=ids))

    async def on_changed(_: GridTreeChanged) -> None:
        await store.reload()

    store.on_change = announce
    await bus.listen(GridTreeChanged, on_changed)
    app[GRIDS] = store
    yield


async def _identity(app: web.Application) -> AsyncIterator[None]:
    settings, sessions, bus = app[SETTINGS].auth, app[SESSIONS], app[BUS]
    passwords = Passwords(settings)
    async with migrate.first_start(sessions):  # nodes started together make one key
        key = await signing_key(sessions, settings)
        app[PERSONAL] = PersonalBox(await sealing_key(sessions))
    identity = Identity(sessions, settings, key, passwords, bus, app[ROLES])
    await identity.load_revocations()

    async def revoked(message: SessionRevoked) -> None:
        identity.forget_session(message.session_id)

    async def changed(message: PersonChanged) -> None:
        identity.forget_person(message.person_id)

    await bus.listen(SessionRevoked, revoked)
    await bus.listen(PersonChanged, changed)
    app[IDENTITY] = identity
    app[AUTHENTICATOR] = identity
    app[PEOPLE] = People(sessions, passwords, app[ROLES])
    app[DEVICES] = Devices(sessions)
    sweep = asyncio.create_task(
        every(settings.throttle_sweep_s, identity.sweep, "auth-sweep"), name="auth-sweep"
    )
    yield
    await _cancel([sweep])


async def _realtime(app: web.Application) -> AsyncIterator[None]:
    realtime, bus = app[REALTIME], app[BUS]
    live = Live(realtime, app[SESSIONS], LivePeople(app[SESSIONS]), app[ROLES].staff)
    app[LIVE] = live

    async def revoked(message: SessionRevoked) -> None:
        await realtime.end_session(message.session_id, "auth.token_revoked", message.reason)

    async def changed(message: PersonChanged) -> None:
        live.people.forget(message.person_id)
        await realtime.rescope(message.person_id)  # rooms follow the new grants, on every node

    await bus.listen(SessionRevoked, revoked)
    await bus.listen(PersonChanged, changed)
    # A node must be alive in presence before it takes sockets, or a reaper would drop them.
    await app[PRESENCE].node_alive(app[NODE_ID], app[SETTINGS].realtime.node_ttl_s)
    chat, heads = await _chat(app)
    retention = app[SETTINGS].realtime.track_retention_days
    sweep_s = app[SETTINGS].realtime.sweep_interval_s
    outside_s = app[SETTINGS].realtime.outside_changes_s  # people changed by the CLI
    tasks = [
        _periodic(sweep_s, realtime.sweep, "presence-sweep"),
        _periodic(EXPIRY_CHECK_S, realtime.expire, "token-expiry"),
        _periodic(3600, lambda: live.sweep_tracks(retention), "tracks"),
        _periodic(
            outside_s, lambda: publish_outside_changes(app[SESSIONS], bus), "outside-changes"
        ),
    ]
    if heads is not None:
        tasks.append(_periodic(sweep_s, heads.tick, "channel-heads"))
    yield
    await _cancel(tasks)
    for sid in list(realtime.connections):
        await realtime.sio.disconnect(sid)
    await chat.store.close()
    if heads is not None:
        await heads.journal.close()


async def _end_sockets(app: web.Application) -> None:
    await app[REALTIME].close_all_sockets()


def _periodic(
    interval_s: float, job: Callable[[], Awaitable[object]], name: str
) -> asyncio.Task[None]:
    """A task running `job` on hub.periodic.every: a failing run is logged, the next one comes."""
    return asyncio.create_task(every(interval_s, job, name), name=name)


async def _chat(app: web.Application) -> tuple[Chat, ChannelHeads | None]:
    settings, sessions, bus, grids = app[SETTINGS], app[SESSIONS], app[BUS], app[GRIDS]
    journal = _write_journal(app)
    store = ChannelStore(sessions, journal=journal)
    # Cluster: speak for a dead node's unsent fan-outs (hub/channel_heads.py).
    heads = ChannelHeads(journal, store, app[REALTIME]) if journal is not None else None
    if heads is not None:
        await heads.start()
    await store.start()
    files = FileStore(sessions, settings.data_dir / "uploads", settings.files)
    chat = Chat(app[REALTIME], store, files, bus, sessions, app[ROLES].staff)
    app[CHANNELS], app[FILES], app[CHAT] = store, files, chat

    resync = _Coalesced(lambda: chat.sync_grid_channels(grids.index))
    await bus.listen(ChannelMembersChanged, chat.apply_membership)
    await bus.subscribe(GridTreeChanged, resync, group="chat.grid-channels")
    await bus.subscribe(PersonChanged, resync, group="chat.grid-channels.people")
    async with migrate.first_start(sessions):  # one node creates a fresh database's channels
        await chat.sync_grid_channels(grids.index)
    return chat, heads


def _write_journal(app: web.Application) -> WriteJournal | None:
    settings = app[SETTINGS]
    if not settings.redis_url:
        return None
    ttl = settings.realtime.node_ttl_s
    return RedisWriteJournal(settings.redis_url, node_id=app[NODE_ID], ttl_s=ttl)


class _Coalesced:
    """Runs a full re-sync for a stream of changes: never two at once; a change that arrives
    during a run earns one more run (two overlapping syncs could each write a stale view)."""

    def __init__(self, job: Callable[[], Awaitable[object]]) -> None:
        self._job = job
        self._running = asyncio.Lock()
        self._pending = False

    async def __call__(self, _: object) -> None:
        self._pending = True
        if self._running.locked():
            return
        async with self._running:
            while self._pending:
                self._pending = False
                await self._job()


async def _cancel(tasks: list[asyncio.Task[None]]) -> None:
    """Cancel and await; a task that had already crashed is logged, not lost."""
    for task in tasks:
        task.cancel()
    for task in tasks:
        try:
            await task
        except asyncio.CancelledError:
            pass
        except Exception:
            log.exception("background task failed", extra={"task": task.get_name()})


async def _timers(app: web.Application) -> AsyncIterator[None]:
    """Durable timers: SQL by default (the database is durable in both modes), or Redis."""
    settings = app[SETTINGS]
    store: TimerStore
    if settings.timers.backend == "redis" and settings.redis_url:
        store = RedisTimerStore(settings.redis_url)
    else:
        store = SqlTimerStore(app[SESSIONS])
    app[TIMERS] = TimerService(
        store,
        app[NODE_ID],
        lease_s=settings.timers.lease_s,
        poll_s=settings.timers.poll_s,
        max_attempts=settings.timers.max_attempts,
    )
    yield
    await app[TIMERS].stop()
    await store.close()


async def _plugins(app: web.Application) -> AsyncIterator[None]:
    host = app[PLUGINS]
    await host.setup_all(lambda plugin: _context(app, plugin))
    await app[TIMERS].start()  # after set-up: every plugin has registered its handlers
    for _router, dispatcher in app[PLUGIN_ROUTES].values():
        dispatcher.publish(app)
    tasks = [
        asyncio.create_task(factory(), name=f"plugin:{plugin.name}")
        for plugin, ctx in host.started()
        for factory in ctx._tasks
    ]
    yield
    await _cancel(tasks)
    await app[TIMERS].stop()  # no handler may run into a plugin being torn down
    await host.teardown_all()


def _context(app: web.Application, plugin: Plugin) -> PluginContext:
    settings = app[SETTINGS]
    router = app[PLUGIN_ROUTES][plugin.name][0]
    return PluginContext(
        name=plugin.name,
        bus=app[BUS],
        sessions=app[SESSIONS],
        http=router,
        grids=app[GRIDS],
        config=plugins.validate_config(plugin, settings.plugins.config.get(plugin.name)),
        log=logging.getLogger(f"gridhub.plugin.{plugin.name}"),
        realtime=RealtimeView(app[REALTIME], plugin.name),
        channels=ChannelsView(app[CHAT]),
        timers=app[TIMERS].view(plugin.name),
        _websockets=app[WEBSOCKET_PATHS],
        directory=DirectoryView(app[PEOPLE], lambda: app[GRIDS].index),
        devices=DevicesView(app[DEVICES]),
        rate_limits=RateLimits(app[SESSIONS], plugin.name),
        metrics=app[METRICS],
        _enabled=frozenset(p.name for p in app[PLUGINS].plugins),
        subjects=SubjectsView(app[SUBJECTS], plugin.name),
        presence_states=PresenceStatesView(app[REALTIME].presence_states, plugin.name),
        personal=app[PERSONAL],
        time_zone=ZoneInfo(settings.time_zone),
    )


async def _audit_retention(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS].audit

    async def sweep() -> None:
        removed = await audit.sweep(app[SESSIONS], settings.retention_days)
        if removed:
            log.info("audit retention sweep", extra={"removed": removed})

    sweeping = every(settings.sweep_interval_s, sweep, "audit-retention")
    task = asyncio.create_task(sweeping, name="audit-retention")
    yield
    await _cancel([task])
