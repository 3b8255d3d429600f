"""党建引领 (party building) and 三务公开 (public disclosure): see docs/party.md."""

from __future__ import annotations

from pathlib import Path

from hub.sdk import (
    BasePlugin,
    ConsolePage,
    FieldTab,
    MapLayer,
    PluginContext,
    PluginUi,
    RateLimit,
    ResidentSection,
    ScreenPanel,
)
from plugins.party import (
    access,
    building_api,
    case_leaders,
    disclosure_api,
    leaders,
    promotion_api,
    seed,
)
from plugins.party.building import Building
from plugins.party.config import PartyConfig
from plugins.party.disclosure import Disclosures
from plugins.party.overview import Overview
from plugins.party.promo_reads import Reading
from plugins.party.promotion import Promotion
from plugins.party.views import DisclosureViews

HERE = Path(__file__).parent

UI = PluginUi(
    pages=(
        ConsolePage(
            id="disclosure",
            title_zh="三务公开",
            title_en="Disclosure",
            roles=access.DISCLOSURE_STAFF,
            order=70,
            path="disclosure",
            module="party.js",
            export="DisclosurePage",
        ),
        ConsolePage(
            id="building",
            title_zh="党建",
            title_en="Party",
            roles=access.PARTY_STAFF,
            order=71,
            path="building",
            module="party.js",
            export="PartyPage",
        ),
        ConsolePage(
            id="promotion",
            title_zh="党建宣传",
            title_en="Party promotion",
            roles=access.PARTY_STAFF,
            order=72,
            path="promotion",
            module="party.js",
            export="PromotionPage",
        ),
    ),
    map_layers=(
        MapLayer(
            id="party_grids",
            title_zh="党建网格",
            title_en="Party-building grids",
            roles=access.PARTY_STAFF,
            order=60,
            source="/api/v1/party/party-grids.geojson",
            style={"color": "#c62828", "weight": 2, "fillColor": "#ef5350", "fillOpacity": 0.15},
        ),
    ),
    screen_panels=(
        ScreenPanel(
            id="party",
            title_zh="党建引领",
            title_en="Party building",
            roles=access.PARTY_STAFF,
            order=60,
            module="party.js",
            export="PartyPanel",
        ),
    ),
    field_tabs=(
        FieldTab(
            id="member",
            title_zh="党员",
            title_en="Party member",
            order=60,
            module="party.js",
            export="MemberTab",
        ),
        FieldTab(
            id="study",
            title_zh="学习",
            title_en="Study",
            order=61,
            module="party.js",
            export="StudyTab",
        ),
        FieldTab(
            id="leader_alerts",
            title_zh="包靠预警",
            title_en="Leader alerts",
            roles=frozenset({access.LEADER, access.SECRETARY}),
            order=62,
            module="party.js",
            export="LeaderTab",
        ),
    ),
    resident_sections=(
        ResidentSection(
            id="disclosure",
            title_zh="三务公开",
            title_en="Public disclosure",
            order=20,
            module="party.js",
            export="ResidentDisclosure",
        ),
        ResidentSection(
            id="promotion",
            title_zh="党建宣传",
            title_en="Party promotion",
            order=21,
            module="party.js",
            export="ResidentPromotion",
        ),
    ),
    styles=("party.css",),
)


class PartyPlugin(BasePlugin):
    name = "party"
    optional = ("dispatch", "escalation")
    config_model = PartyConfig
    migrations = HERE / "migrations"
    roles = access.ROLES
    ui = UI
    static = HERE / "static"

    async def setup(self, ctx: PluginContext) -> None:
        config = ctx.config if isinstance(ctx.config, PartyConfig) else PartyConfig()
        views = DisclosureViews(ctx, config.grace_days, config.time_zone)
        limit = RateLimit("ask", config.question_limit, config.question_window_s)
        disclosure_api.install(ctx, Disclosures(ctx), views, limit)
        building = Building(ctx, config)
        building_api.install(ctx, building, Overview(ctx, building, views))
        promotion = Promotion(ctx)
        promotion_api.install(ctx, promotion, Reading(ctx, building, promotion))
        if ctx.has_plugin("dispatch"):
            await building.follow_incidents()
        lead = leaders.Leaders(ctx)
        leaders.install(ctx, lead)
        if ctx.has_plugin("escalation"):
            await lead.follow_escalation()
        cases = case_leaders.CaseLeaders(ctx, lead, config.known_case_days)
        case_leaders.install(ctx, cases)
        if ctx.has_plugin("dispatch"):
            await cases.follow_incidents()
        ctx.every(case_leaders.TRIM_EVERY_S, cases.trim, "known-cases-trim")

    async def seed_demo(self, ctx: PluginContext) -> None:
        await seed.seed_demo(ctx)
