"""Open cases on the console map, by risk: a layer of the high-risk ones (red) and one of the
others (amber), each case at its grid's centre (cases carry no point of their own)."""

from __future__ import annotations

from typing import Any

from hub.sdk import Call, MapLayer, PluginContext
from plugins.mediation import access
from plugins.mediation.cases import Cases
from plugins.mediation.schemas import CasesQuery
from plugins.mediation.views import OPEN_STATES

RISK_WORDS = {"low": "低", "medium": "中", "high": "高"}

LAYERS = (
    MapLayer(
        id="high_risk",
        title_zh="高风险纠纷",
        title_en="High-risk disputes",
        roles=access.READERS,
        order=60,
        source="/api/v1/mediation/map/high.geojson",
        style={"color": "#b91c1c", "fillColor": "#ef4444", "fillOpacity": 0.85, "radius": 9},
        default_on=False,
    ),
    MapLayer(
        id="open_cases",
        title_zh="在办纠纷",
        title_en="Open disputes",
        roles=access.READERS,
        order=61,
        source="/api/v1/mediation/map/open.geojson",
        style={"color": "#b45309", "fillColor": "#f59e0b", "fillOpacity": 0.7, "radius": 6},
        default_on=False,
    ),
)


def install(ctx: PluginContext, cases: Cases) -> None:
    async def features(call: Call[None, None], high: bool) -> dict[str, Any]:
        listed = await cases.listed(call.who, CasesQuery(limit=500))
        chosen = [c for c in listed if c["state"] in OPEN_STATES and (c["risk"] == "high") == high]
        return collection(ctx, chosen)

    @ctx.http.get("/map/high.geojson", summary="Open high-risk cases (map layer)", rule=access.LIST)
    async def high(call: Call[None, None]) -> dict[str, Any]:
        return await features(call, True)

    @ctx.http.get("/map/open.geojson", summary="Other open cases (map layer)", rule=access.LIST)
    async def other(call: Call[None, None]) -> dict[str, Any]:
        return await features(call, False)


def collection(ctx: PluginContext, cases: list[dict[str, Any]]) -> dict[str, Any]:
    index = ctx.grids.index
    features = []
    for case in cases:
        node = index.get(case["grid_id"]) if case["grid_id"] in index else None
        if node is None or node.centre is None:
            continue
        features.append(
            {
                "type": "Feature",
                "id": case["id"],
                "geometry": {"type": "Point", "coordinates": list(node.centre)},
                # `name` is what the console shows on hover (as text)
                "properties": {
                    "name": f"{case['number']} · {case['summary'][:40]}",
                    "grid": case["grid_name"],
                    "risk": RISK_WORDS.get(case["risk"], case["risk"]),
                    "state": case["state"],
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}
