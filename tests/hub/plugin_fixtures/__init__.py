"""Plugin behaviours for tests/hub/test_plugins.py.

The test installs real entry points whose generated modules subclass these, giving each a name
and requirements. Everything a plugin does is appended to JOURNAL as (event, plugin name).
"""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any, ClassVar

from pydantic import BaseModel, Field

from hub import policy
from hub.messages import DomainMessage
from hub.plugins import BasePlugin, PluginContext
from hub.web import Call

JOURNAL: list[tuple[str, str]] = []


class Recorded(BasePlugin):
    """Journals its set-up and tear-down; subclasses add behaviour in `prepare`."""

    def __init__(self) -> None:
        self.context: PluginContext | None = None

    async def setup(self, ctx: PluginContext) -> None:
        JOURNAL.append(("setup", self.name))
        self.context = ctx
        await self.prepare(ctx)

    async def prepare(self, ctx: PluginContext) -> None:
        return None

    async def teardown(self) -> None:
        JOURNAL.append(("teardown", self.name))


class Seeding(Recorded):
    """Journals its demo seed, and whether its tables were empty (a second start finds them
    full: the SEEDED set stands for the plugin's table)."""

    SEEDED: ClassVar[set[str]] = set()

    async def seed_demo(self, ctx: PluginContext) -> None:
        JOURNAL.append(("seed-demo" if self.name not in self.SEEDED else "seed-skip", self.name))
        self.SEEDED.add(self.name)


class Exploding(Recorded):
    async def prepare(self, ctx: PluginContext) -> None:
        raise RuntimeError("exploded on purpose")


OPEN = policy.public("greeter.open")
PRIVATE = policy.signed_in("greeter.private", policy.Scope.OWN)


class ItemIn(BaseModel):
    label: str = Field(min_length=1, max_length=20)


class Greeter(Recorded):
    """Serves a few routes under its own prefix."""

    async def prepare(self, ctx: PluginContext) -> None:
        http = ctx.http

        @http.get("/hello", summary="Say hello", rule=OPEN)
        async def hello(call: Call[None, None]) -> dict[str, str]:
            return {"hello": self.name}

        @http.get("/items/{item_id}", summary="One item", rule=OPEN)
        async def item(call: Call[None, None]) -> dict[str, str]:
            return {"item_id": call.params["item_id"]}

        @http.post("/items", summary="Add an item", rule=OPEN, body=ItemIn, status=201)
        async def add(call: Call[ItemIn, None]) -> dict[str, str]:
            return {"added": call.body.label}

        @http.get("/private", summary="Signed-in callers only", rule=PRIVATE)
        async def private(call: Call[None, None]) -> dict[str, str]:
            return {"who": str(call.who)}


class RegexRoute(Recorded):
    """A route whose parameter carries an aiohttp-style regex, as core routers may use."""

    async def prepare(self, ctx: PluginContext) -> None:
        @ctx.http.get(r"/numbers/{number:\d+}", summary="Digits only", rule=OPEN)
        async def number(call: Call[None, None]) -> dict[str, str]:
            return {"number": call.params["number"]}


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class Beacon(DomainMessage):
    topic: ClassVar[str] = "test.plugins.beacon"
    text: str


class Listener(Recorded):
    """Hears every Beacon on this node."""

    def __init__(self) -> None:
        super().__init__()
        self.heard: list[Beacon] = []

    async def prepare(self, ctx: PluginContext) -> None:
        await ctx.bus.listen(Beacon, self.hear)

    async def hear(self, message: Beacon) -> None:
        self.heard.append(message)


class Announcer(Recorded):
    async def prepare(self, ctx: PluginContext) -> None:
        await ctx.bus.publish(Beacon(text=f"hello from {self.name}"))


class Background(Recorded):
    """Runs a task from start-up until shutdown cancels it."""

    def __init__(self) -> None:
        super().__init__()
        self.running: asyncio.Event | None = None

    async def prepare(self, ctx: PluginContext) -> None:
        self.running = asyncio.Event()
        ctx.run_in_background(self.work)

    async def work(self) -> None:
        assert self.running is not None
        JOURNAL.append(("running", self.name))
        self.running.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            JOURNAL.append(("cancelled", self.name))
            raise


class GreetingConfig(BaseModel):
    greeting: str
    repeat: int = Field(1, ge=1, le=5)


class Configured(Recorded):
    config_model = GreetingConfig

    def __init__(self) -> None:
        super().__init__()
        self.config: Any = None

    async def prepare(self, ctx: PluginContext) -> None:
        self.config = ctx.config
