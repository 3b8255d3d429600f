"""帮代办、为老服务、场地预约 (resident services brought to the door).

Venues with bookings that never double-book, government-service proxy requests tracked as
dispatch incidents (with a signed-webhook hand-off to an external system), and elderly care
with check-in visits on durable timers. See docs/services.md.
"""

from __future__ import annotations

from pathlib import Path

from hub.sdk import BasePlugin, ConsolePage, FieldTab, PluginContext, PluginUi, ResidentSection
from plugins.services import api, care_api, seed
from plugins.services.access import OFFICER_ROLE, PROVIDER_ROLE, STAFF
from plugins.services.care import Care
from plugins.services.config import ServicesConfig
from plugins.services.elders import Elders
from plugins.services.handoff import HandoffAdapter, Handoffs, WebhookAdapter, adapter_from
from plugins.services.proxy import Proxy
from plugins.services.sos import Sos
from plugins.services.venues import Venues

HERE = Path(__file__).parent

UI = PluginUi(
    pages=(
        ConsolePage(
            id="services",
            title_zh="便民服务",
            title_en="Services",
            roles=STAFF,
            order=72,
            path="services",
            module="services.js",
            export="ServicesPage",
        ),
    ),
    field_tabs=(
        FieldTab(
            id="checkins",
            title_zh="探访",
            title_en="Check-ins",
            roles=STAFF,
            order=40,
            module="services.js",
            export="CheckInsTab",
        ),
    ),
    resident_sections=(
        ResidentSection(
            id="services",
            title_zh="便民服务",
            title_en="Services",
            order=30,
            module="services.js",
            export="ResidentServices",
        ),
    ),
    styles=("services.css",),
)


class ServicesPlugin(BasePlugin):
    name = "services"
    # Proxy requests and missed check-ins become dispatch incidents (over its messages).
    # the archives' people (elderly, living alone) and SOS devices' alarms, where installed
    optional = ("dispatch", "archives", "alarms")
    config_model = ServicesConfig
    migrations = HERE / "migrations"
    roles = (OFFICER_ROLE, PROVIDER_ROLE)
    ui = UI
    static = HERE / "static"

    def __init__(self, handoff: HandoffAdapter | None = None) -> None:
        """`handoff`: an adapter of a deployment's own (else the configured one, if any)."""
        self.handoff = handoff

    async def setup(self, ctx: PluginContext) -> None:
        config = ctx.config if isinstance(ctx.config, ServicesConfig) else ServicesConfig()
        if config.time_zone is not None:
            ctx.log.warning(
                "plugins.config.services.time_zone is deprecated and ignored: venue days and "
                "opening hours follow the deployment's time_zone setting (%s)",
                ctx.time_zone.key,
            )
        adapter = self.handoff or adapter_from(config)
        if isinstance(adapter, WebhookAdapter):
            ctx.on_cleanup(adapter.close)
        if ctx.has_plugin("dispatch"):
            from plugins.services.categories import offer  # imports dispatch's messages

            await offer(ctx)
        else:
            ctx.log.warning("dispatch is not enabled: proxy requests and missed check-ins "
                            "will not become incidents")  # fmt: skip
        limits = api.Limits(ctx, config)
        api.install_venues(ctx, Venues(ctx, ctx.time_zone), limits)
        proxy = Proxy(ctx, config)
        await proxy.subscribe()
        handoffs = Handoffs(ctx, config, adapter)
        api.install_proxy(ctx, proxy, handoffs, limits)
        care = Care(ctx, config)
        elders, sos = Elders(ctx, config, care), Sos(ctx, config)
        await elders.subscribe()
        await sos.subscribe()
        care_api.install(ctx, care, elders, sos)
        ctx.run_in_background(handoffs.resume)
        ctx.run_in_background(care.reconcile)

    async def seed_demo(self, ctx: PluginContext) -> None:
        await seed.seed_demo(ctx, ctx.time_zone)
