"""志愿服务、民主议事、邻里生活、积分制 (participation): residents taking part.

Points (积分制) and the points shop (积分超市) with a ledger that never loses or double-spends
a point; volunteer activities with capacity, on-site check-in and service hours feeding
points once; deliberation with votes under a quorum and conclusions that become dispatch
tasks; a neighbourhood feed moderated by the village (see docs/participation.md).
"""

from __future__ import annotations

from pathlib import Path

from hub.sdk import BasePlugin, ConsolePage, FieldTab, PluginContext, PluginUi, ResidentSection
from plugins.participation import api
from plugins.participation.access import OFFICER_ROLE, OFFICERS
from plugins.participation.deliberation import Deliberation
from plugins.participation.feed import Feed
from plugins.participation.meetings import Meetings
from plugins.participation.needs import Needs
from plugins.participation.points import Points
from plugins.participation.registry import Registry
from plugins.participation.seed import seed_demo
from plugins.participation.volunteers import Volunteers

HERE = Path(__file__).parent

UI = PluginUi(
    pages=(
        ConsolePage(
            id="participation",
            title_zh="群众参与",
            title_en="Participation",
            roles=OFFICERS,
            order=74,
            path="participation",
            module="participation.js",
            export="ParticipationPage",
        ),
    ),
    field_tabs=(
        FieldTab(  # registered residents join an online meeting's call from the field app
            id="meetings",
            title_zh="议事会议",
            title_en="Meetings",
            roles=frozenset({"resident"}),
            order=60,
            module="participation.js",
            export="FieldMeetings",
        ),
    ),
    resident_sections=(
        ResidentSection(
            id="participation",
            title_zh="群众参与",
            title_en="Taking part",
            order=35,
            module="participation.js",
            export="ResidentParticipation",
        ),
    ),
    styles=("participation.css",),
)


class ParticipationPlugin(BasePlugin):
    name = "participation"
    # A deliberation's conclusion that needs action becomes a dispatch task (its messages).
    optional = ("dispatch",)
    migrations = HERE / "migrations"
    roles = (OFFICER_ROLE,)
    ui = UI
    static = HERE / "static"

    async def setup(self, ctx: PluginContext) -> None:
        points = Points(ctx)
        registry = Registry(points)
        api.install_points(ctx, points)
        api.install_registry(ctx, registry)
        api.install_volunteers(ctx, Volunteers(points, registry))
        meetings = Meetings(ctx)
        await meetings.subscribe()
        talks, feed = Deliberation(ctx, points, meetings), Feed(ctx, points)
        if ctx.has_plugin("dispatch"):
            await talks.subscribe()
            await feed.subscribe()
        else:
            ctx.log.warning(
                "dispatch is not enabled: conclusions and reported posts cannot become tasks"
            )
        api.install_deliberation(ctx, talks)
        api.install_feed(ctx, feed)
        api.install_needs(ctx, Needs(ctx, points, registry))

    async def seed_demo(self, ctx: PluginContext) -> None:
        await seed_demo(ctx)
