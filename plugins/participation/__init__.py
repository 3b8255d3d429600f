"""志愿服务、民主议事、邻里生活、积分制 (participation): residents taking part.

This session ships points (积分制) and the points shop (积分超市): rules a village sets, a
ledger that never loses or double-spends a point, exchanges against stock. Volunteers,
deliberation and the neighbourhood feed are still to come (see docs/participation.md).
"""

from __future__ import annotations

from pathlib import Path

from hub.sdk import BasePlugin, PluginContext
from plugins.participation import api
from plugins.participation.access import OFFICER_ROLE
from plugins.participation.points import Points
from plugins.participation.seed import seed_demo
from plugins.participation.volunteers import Volunteers

HERE = Path(__file__).parent


class ParticipationPlugin(BasePlugin):
    name = "participation"
    migrations = HERE / "migrations"
    roles = (OFFICER_ROLE,)

    async def setup(self, ctx: PluginContext) -> None:
        points = Points(ctx)
        api.install_points(ctx, points)
        api.install_volunteers(ctx, Volunteers(points))

    async def seed_demo(self, ctx: PluginContext) -> None:
        await seed_demo(ctx)
