"""The alarms plugin: wiring of device ingestion, alarms, rules, liveness, incidents, exports."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from hub.sdk import BasePlugin, ConsolePage, PluginContext, PluginUi
from plugins.alarms import api, ws
from plugins.alarms.config import AlarmsConfig
from plugins.alarms.incidents import Incidents
from plugins.alarms.ingest import Ingest
from plugins.alarms.metrics import DeviceFigures
from plugins.alarms.models import DeviceFrame
from plugins.alarms.monitor import Monitor
from plugins.alarms.rules import RuleBook, RulesChanged, seed_defaults
from plugins.alarms.service import DEVICE_CONNECT, AlarmService
from plugins.alarms.state import Change
from plugins.alarms.writer import FrameWriter

# The alarm centre, the console's 物联告警 tab (at /console/alarms), built from ui/ into
# static/ by scripts/setup. Its tab counts active alarms and open SOS (escalation's panel
# there is a PageSection of "alarms/alarms").
UI = PluginUi(
    pages=(
        ConsolePage(
            id="alarms",
            title_zh="物联告警",
            title_en="IoT alarms",
            order=30,
            path="alarms",
            module="alarms.js",
            export="AlarmsPage",
            badge="needingAttention",
        ),
    ),
    styles=("alarms.css",),
)


class AlarmsPlugin(BasePlugin):
    name = "alarms"
    # severe alarms ask dispatch for incidents over the bus (plugins.dispatch.messages);
    # without dispatch the requests wait, and are asked again, until it is enabled
    optional: tuple[str, ...] = ("dispatch",)
    config_model: type[BaseModel] | None = AlarmsConfig
    migrations: Path | None = Path(__file__).parent / "migrations"
    ui: PluginUi | None = UI
    static: Path | None = Path(__file__).parent / "static"

    async def setup(self, ctx: PluginContext) -> None:
        config = ctx.config if isinstance(ctx.config, AlarmsConfig) else AlarmsConfig()
        if config.default_rules:
            await seed_defaults(ctx.sessions, ctx.first_start)
        rules = RuleBook(ctx.sessions)
        await rules.reload()
        incidents = Incidents(ctx, config.incidents, _place(ctx), config.incident_retry_s)
        notify = _notifier(ctx, incidents)
        writer = FrameWriter(
            ctx.sessions,
            ctx.bulk_insert(DeviceFrame),
            rules,
            config.incidents,
            notify,
            batch=config.commit_batch,
            wait_s=config.commit_wait_ms / 1000,
        )
        ingest = Ingest(ctx.sessions, ctx.devices, writer, config)
        ctx.metrics.register(DeviceFigures(ingest))
        ctx.websocket("device", ws.handler(ingest), DEVICE_CONNECT)  # devices prove their key
        monitor = Monitor(ctx.sessions, ctx.devices, ingest, config, notify)
        service = AlarmService(ctx, notify)
        api.register(ctx, service, lambda: ctx.bus.publish(RulesChanged()))
        await incidents.start()

        async def reload_rules(_: RulesChanged) -> None:
            await rules.reload()

        await ctx.bus.listen(RulesChanged, reload_rules)
        ctx.run_in_background(writer.run)
        ctx.every(config.last_seen_flush_s, monitor.flush_seen, "last-seen")
        # devices get one check interval after start-up to reconnect before any is "offline"
        ctx.every(config.offline_check_s, _skip_first(monitor.sweep_offline), "offline")
        ctx.every(3600.0, monitor.sweep_frames, "frame-retention")
        ctx.every(config.recover_every_s, _resend(incidents), "incident-requests")
        if config.mqtt.enabled:
            _bridge(ctx, ingest, config)
        # the writer has stopped by then: write every pending mark directly
        ctx.on_cleanup(lambda: monitor.write_seen(everything=True))


def _bridge(ctx: PluginContext, ingest: Ingest, config: AlarmsConfig) -> None:
    """The MQTT bridge, watched: its state in /healthz (`alarms.mqtt`) and /metrics."""
    from plugins.alarms.mqtt import MqttBridge  # aiomqtt only when the bridge is on
    from plugins.alarms.watchdog import BridgeWatch

    watch = BridgeWatch(config.mqtt.down_after_s)
    ctx.health("mqtt", watch.health)
    ctx.metrics.register(watch)
    ctx.run_in_background(MqttBridge(ingest, config.mqtt, watch).run)


def _notifier(
    ctx: PluginContext, incidents: Incidents
) -> Callable[[list[Change]], Awaitable[None]]:
    async def notify(changes: list[Change]) -> None:
        for change in changes:
            await ctx.bus.publish(change.event)
        for rooms, items in console_batches(changes, ctx.realtime.command_rooms):
            await ctx.realtime.emit("changed", {"items": items}, rooms)
        for change in changes:
            if change.wants_incident:
                await incidents.request(change.alarm)

    return notify


def console_batches(
    changes: list[Change], rooms_of: Callable[[list[int]], list[str]]
) -> list[tuple[list[str], list[dict[str, Any]]]]:
    """One console event per set of rooms, its items in commit order. Consoles need the newest
    state: a repeat followed by another change of the same alarm is left out (the bus still
    gets every change)."""
    last = {id(c.alarm): i for i, c in enumerate(changes)}
    by_grid: dict[int, list[dict[str, Any]]] = {}
    for i, change in enumerate(changes):
        if change.action != "repeated" or last[id(change.alarm)] == i:
            item = {**change.view, "action": change.action}
            by_grid.setdefault(item["grid_id"], []).append(item)
    by_rooms: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for grid_id, items in by_grid.items():
        by_rooms.setdefault(tuple(rooms_of([grid_id])), []).extend(items)
    return [(list(rooms), items) for rooms, items in by_rooms.items() if rooms]


def _place(
    ctx: PluginContext,
) -> Callable[[int], Awaitable[tuple[float | None, float | None, str]]]:
    async def place(device_id: int) -> tuple[float | None, float | None, str]:
        row = await ctx.devices.by_id(device_id)
        return (row.lon, row.lat, row.name) if row else (None, None, "")

    return place


def _skip_first(job: Callable[[], Awaitable[object]]) -> Callable[[], Awaitable[object]]:
    """`job` from its second call on (a periodic job that must wait one interval first)."""
    calls = 0

    async def later() -> object:
        nonlocal calls
        calls += 1
        return None if calls == 1 else await job()

    return later


def _resend(incidents: Incidents) -> Callable[[], Awaitable[int]]:
    """Incident requests still unanswered: at start-up every one (the bus may have dropped
    them while the node was down), then those older than the retry interval."""
    started = False

    async def resend() -> int:
        nonlocal started
        everything, started = not started, True
        return await incidents.resend_pending(everything=everything)

    return resend
