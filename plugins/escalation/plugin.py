"""The escalation plugin: wires chains, SOS, check-ins, notifiers, bus triggers and the API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel

from hub.sdk import SYSTEM, BasePlugin, DueTimer, PageSection, PluginContext, PluginUi
from plugins.alarms.messages import AlarmChanged
from plugins.dispatch.messages import IncidentChanged, IncidentOverdue
from plugins.escalation import api, sockets
from plugins.escalation.actions import NOTIFY_KIND, Actions
from plugins.escalation.chains import STEP_KIND, Chains
from plugins.escalation.checkins import KIND as CHECKIN_KIND
from plugins.escalation.checkins import Checkins
from plugins.escalation.config import EscalationConfig
from plugins.escalation.notifiers import Notifier, build
from plugins.escalation.requests import Requests
from plugins.escalation.sos import SOS_STATE, SosDesk
from plugins.escalation.triggers import GROUP, Triggers

# The SOS takeover panel with the running chains and notices: a section of the alarm centre
# (the alarms plugin's page), where the commander has always found it. Built from ui/ into
# static/ by scripts/setup.
UI = PluginUi(
    page_sections=(
        PageSection(
            id="sos",
            title_zh="SOS 求助",
            title_en="SOS",
            order=10,
            page="alarms/alarms",
            module="escalation.js",
            export="SosPanel",
        ),
    ),
    styles=("escalation.css",),
)


class EscalationPlugin(BasePlugin):
    name = "escalation"
    # Chains start on their bus messages (plugins.<name>.messages) when they are enabled.
    optional: tuple[str, ...] = ("alarms", "dispatch")
    config_model: type[BaseModel] | None = EscalationConfig
    migrations: Path | None = Path(__file__).parent / "migrations"
    ui: PluginUi | None = UI
    static: Path | None = Path(__file__).parent / "static"

    async def setup(self, ctx: PluginContext) -> None:
        config = ctx.config if isinstance(ctx.config, EscalationConfig) else EscalationConfig()
        chains = Chains(ctx, config, Actions(ctx))
        desk = SosDesk(ctx, chains)
        ctx.presence_states.add(SOS_STATE)
        ctx.subjects.register(SOS_STATE, desk.subject, on_recording=desk.recording_attached)
        checkins = Checkins(ctx, config, desk)
        notifiers = build(config.notifiers, ctx.log)
        ctx.timers.handler(STEP_KIND)(chains.on_step)
        ctx.timers.handler(CHECKIN_KIND)(checkins.on_due)
        ctx.timers.handler(NOTIFY_KIND)(_deliver(ctx, notifiers))
        await _subscribe(ctx, Triggers(chains))
        await Requests(ctx, chains).subscribe()
        sockets.register(ctx, desk, checkins)
        api.mount(ctx, config, desk)

        async def close() -> None:
            for notifier in notifiers.values():
                await notifier.close()

        ctx.on_cleanup(close)


async def _subscribe(ctx: PluginContext, triggers: Triggers) -> None:
    unsubscribes = [
        await ctx.bus.subscribe(AlarmChanged, triggers.on_alarm, group=GROUP),
        await ctx.bus.subscribe(IncidentOverdue, triggers.on_overdue, group=GROUP),
        await ctx.bus.subscribe(IncidentChanged, triggers.on_incident, group=GROUP),
    ]

    async def unsubscribe() -> None:
        for stop in unsubscribes:
            await stop()

    ctx.on_cleanup(unsubscribe)


def _deliver(ctx: PluginContext, notifiers: dict[str, Notifier]) -> Any:
    """The `notify` timer handler: one delivery; a failure raises, so the timer retries it."""

    async def deliver(payload: dict[str, Any], timer: DueTimer) -> None:
        notifier = notifiers.get(str(payload.get("notifier")))
        if notifier is None:
            ctx.log.error("unknown notifier; delivery dropped", extra={"key": timer.key})
            return
        await notifier.send(timer.key, payload["message"])
        async with ctx.sessions.begin() as session:
            ctx.audit.record(
                session,
                SYSTEM,
                "escalation.notify.sent",
                "escalation_chain",
                payload["message"].get("chain_id"),
                {"notifier": payload["notifier"], "delivery": timer.key},
            )

    return deliver
