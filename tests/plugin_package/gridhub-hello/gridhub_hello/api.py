"""The plugin's ways in: HTTP routes under /api/v1/hello, the `hello.post` socket event, and its
bus subscriptions (its own GreetingPosted, the core's GridTreeChanged)."""

from __future__ import annotations

from typing import Any

from hub.sdk import Call, Connection, GridTreeChanged, PluginContext
from pydantic import BaseModel, Field

from gridhub_hello import access
from gridhub_hello.greetings import GreetingIn, Greetings, GreetingsQuery
from gridhub_hello.messages import GreetingPosted


class GreetingOut(BaseModel):
    id: int
    grid_id: int
    grid_name: str | None
    text: str
    lat: float | None
    lon: float | None
    author: str
    created_at: float


class GreetingsOut(BaseModel):
    greetings: list[GreetingOut] = Field(max_length=200)


class StatsOut(BaseModel):
    greetings: int
    grid_changes: int = Field(description="grid tree changes this node has seen since start")


class Counters:
    """What the big-screen panel shows beside the greeting count."""

    def __init__(self) -> None:
        self.grid_changes = 0

    async def on_grid_changed(self, _: GridTreeChanged) -> None:
        self.grid_changes += 1


def mount_http(ctx: PluginContext, greetings: Greetings, counters: Counters) -> None:
    @ctx.http.get(
        "/greetings",
        summary="Greetings in your keeper grids, newest first",
        query=GreetingsQuery,
        response=GreetingsOut,
        rule=access.READ,
    )
    async def newest(call: Call[None, GreetingsQuery]) -> dict[str, Any]:
        return {"greetings": await greetings.newest(call.who, call.query)}

    @ctx.http.post(
        "/greetings",
        summary="Post a greeting on a grid you keep",
        body=GreetingIn,
        response=GreetingOut,
        status=201,
        rule=access.POST,
    )
    async def post(call: Call[GreetingIn, None]) -> dict[str, Any]:
        return await greetings.post(call.who, call.body)

    @ctx.http.get(
        "/greetings.geojson",
        summary="Greetings as a GeoJSON FeatureCollection (the map layer)",
        query=GreetingsQuery,
        rule=access.READ,
    )
    async def layer(call: Call[None, GreetingsQuery]) -> dict[str, Any]:
        return feature_collection(await greetings.newest(call.who, call.query))

    @ctx.http.get(
        "/stats", summary="Counts for the big screen", response=StatsOut, rule=access.STATS
    )
    async def stats(call: Call[None, None]) -> dict[str, Any]:
        return {"greetings": await greetings.count(call.who), "grid_changes": counters.grid_changes}


def feature_collection(items: list[dict[str, Any]]) -> dict[str, Any]:
    features = [
        {
            "type": "Feature",
            "id": item["id"],
            "geometry": {"type": "Point", "coordinates": [item["lon"], item["lat"]]},
            # `name` is what the console shows on hover (as text)
            "properties": {
                "name": item["text"],
                "grid": item["grid_name"],
                "author": item["author"],
            },
        }
        for item in items
        if item["lat"] is not None
    ]
    return {"type": "FeatureCollection", "features": features}


def mount_socket(ctx: PluginContext, greetings: Greetings) -> None:
    # The same rule object as POST /greetings: one action, one rule, whichever way it comes in.
    @ctx.realtime.on("post", GreetingIn, access.POST)
    async def post(conn: Connection, body: GreetingIn) -> dict[str, Any]:
        return {"greeting": await greetings.post(conn.principal, body)}


async def subscribe(ctx: PluginContext, greetings: Greetings, counters: Counters) -> None:
    async def announce(message: GreetingPosted) -> None:
        """Tell the keepers over the greeting's grid, live (`hello.greeting`)."""
        greeting = await greetings.get(message.greeting_id)
        keepers = await greetings.keepers_over(message.grid_id)
        if greeting is not None and keepers:
            rooms = [ctx.realtime.user_room(pid) for pid in keepers]
            await ctx.realtime.emit("greeting", {"greeting": greeting}, rooms)

    # Once per cluster (a group): the socket layer fans the emit out to every node.
    await ctx.bus.subscribe(GreetingPosted, announce, group="hello.announce")
    # On every node: each node counts what it saw.
    await ctx.bus.listen(GridTreeChanged, counters.on_grid_changed)
