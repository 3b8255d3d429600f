"""A test plugin for cluster nodes: schedules durable timers over HTTP, logs each firing."""

from __future__ import annotations

import json
import os
import time
from typing import Any

from pydantic import BaseModel, Field

from hub import policy
from hub.plugins import BasePlugin, PluginContext
from hub.timers import DueTimer
from hub.web import Call

SCHEDULE = policy.public("probe.schedule")  # test only


class ProbeConfig(BaseModel):
    out: str


class ScheduleIn(BaseModel):
    key: str
    fire_at: float = Field(gt=0)


class TimerProbe(BasePlugin):
    name = "timerprobe"
    config_model = ProbeConfig

    async def setup(self, ctx: PluginContext) -> None:
        assert isinstance(ctx.config, ProbeConfig)
        out = ctx.config.out

        @ctx.timers.handler("probe")
        async def fired(payload: dict[str, Any], timer: DueTimer) -> None:
            line = {"key": timer.key, "node": timer.claimed_by, "fired_at": time.time(),
                    "fire_at": timer.fire_at}  # fmt: skip
            fd = os.open(out, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
            try:
                os.write(fd, (json.dumps(line) + "\n").encode())
            finally:
                os.close(fd)

        @ctx.http.post("/schedule", summary="test only", body=ScheduleIn, rule=SCHEDULE)
        async def schedule(call: Call[ScheduleIn, None]) -> dict[str, str]:
            await ctx.timers.schedule("probe", call.body.key, call.body.fire_at, {})
            return {"scheduled": call.body.key}
