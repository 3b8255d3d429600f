"""Incident dispatch (事件调度): intake to verified closure, as a plugin on the hub bus."""

from __future__ import annotations

from pathlib import Path

from hub.sdk import BasePlugin, ConsolePage, PluginContext, PluginUi
from plugins.dispatch import api, appeals, contacts, export, open311, sockets
from plugins.dispatch.catalogue import Catalogue
from plugins.dispatch.config import DispatchConfig
from plugins.dispatch.effects import Effects
from plugins.dispatch.intake import Requests
from plugins.dispatch.offered import OfferedCategories
from plugins.dispatch.offers import Offers
from plugins.dispatch.public import PublicIntake
from plugins.dispatch.service import Incidents
from plugins.dispatch.sla import Deadlines

# The incident board, the console's 事件调度 tab (at /console/incidents), built from ui/ into
# static/ by scripts/setup like any plugin's bundle (docs/plugins.md).
UI = PluginUi(
    pages=(
        ConsolePage(
            id="incidents",
            title_zh="事件调度",
            title_en="Incidents",
            order=20,
            path="incidents",
            module="dispatch.js",
            export="IncidentsPage",
            badge="openIncidents",
        ),
    ),
    styles=("dispatch.css",),
)


class DispatchPlugin(BasePlugin):
    name = "dispatch"
    config_model = DispatchConfig
    migrations = Path(__file__).parent / "migrations"
    ui = UI
    static = Path(__file__).parent / "static"

    async def setup(self, ctx: PluginContext) -> None:
        config = ctx.config if isinstance(ctx.config, DispatchConfig) else DispatchConfig()
        catalogue = Catalogue(ctx.sessions, ctx.first_start)
        if config.seed_catalogue and await catalogue.seed_defaults():
            ctx.log.info("seeded the default incident catalogue")
        # Contacts stored in plain text before sealing existed (the key is not Alembic's).
        if sealed := await contacts.seal_legacy(ctx.sessions, ctx.personal):
            ctx.log.info("sealed %d residents' contacts stored in plain text", sealed)
        effects = Effects(ctx, config)
        ctx.on_cleanup(effects.writes.close)
        incidents = Incidents(ctx, config, catalogue, effects)
        deadlines = Deadlines(ctx, config, effects)
        export.install(ctx)  # before api: /incidents/export is not an /incidents/{id}
        api.install(ctx, incidents, catalogue)
        # Before sockets.install: watchers of an incident (its room) keep it while they see it.
        ctx.realtime.guard_rooms(
            lambda conn, room: incidents.may_watch(conn.principal, int(room.rsplit(":", 1)[1]))
        )
        sockets.install(ctx, incidents)
        public = PublicIntake(ctx, incidents)
        appeals.install(public)
        open311.install(public)
        await Requests(ctx, incidents).subscribe()
        await Offers(ctx, incidents).subscribe()
        await OfferedCategories(ctx, catalogue).subscribe()
        ctx.run_in_background(deadlines.reconcile_once)
