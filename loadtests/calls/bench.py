"""Call set-up time: invite -> media flowing both ways, between aiortc peers through the hub.

The hub is a `gridhub demo` subprocess (SQLite, pinned to core 0 when there are two cores);
both parties (v01.lead calls w01) run in this process, pinned to core 1. Per call:

  invite -> (callee's device gets call.ringing, accepts) -> caller sees call.state active
  -> caller offers -> callee answers -> ICE/DTLS on 127.0.0.1 -> each side decodes its
  first audio frame from the other.

The set-up time is from sending `call.invite` to the later of the two first frames; the
callee accepts at once (a person's ringing time is not the system's). Also reported: invite
-> active (the hub's part: ring and accept), and invite -> ICE and DTLS connected on both
sides. aiortc's audio jitter buffer holds 4 packets (80 ms at 20 ms packets) before it
decodes the first frame, so connected -> first frame is at least that. Calls run one after
another, each hung up and its peer connections closed before the next.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hub.demo_data import DEMO_PASSWORD
from loadtests.calls.peer import Party, loopback_only, sign_in
from loadtests.realtime.servers import hub_process, wait_for_text
from loadtests.realtime.stats import latency_summary

CALLER, CALLEE = "v01.lead", "w01"


@dataclass
class Options:
    data_dir: Path
    calls: int = 50
    warmup: int = 3


@dataclass
class Timing:
    active_s: float  # invite -> call.state active at the caller
    connected_s: float  # invite -> ICE and DTLS connected on both sides
    media_s: float  # invite -> first frame decoded on both sides


async def one_call(caller: Party, callee: Party, callee_id: int, n: int) -> Timing:
    started = time.perf_counter()
    invite = {"callee_id": callee_id, "media": "audio", "client_call_id": f"bench-{n}-{started}"}
    call_id = int((await caller.ok("call.invite", invite))["call_id"])
    ring = await callee.next("call.ringing")
    await callee.ok("call.accept", {"call_id": ring["call_id"]})
    while (await caller.next("call.state"))["state"] != "active":
        pass
    active = time.perf_counter()
    (joined_a, heard_a), (joined_b, heard_b) = caller.new_pc(), callee.new_pc()
    await caller.describe(call_id, "offer", await caller.pc.createOffer())
    await callee.apply(await callee.next("call.signal"))
    await callee.describe(call_id, "answer", await callee.pc.createAnswer())
    await caller.apply(await caller.next("call.signal"))
    connected = max(await asyncio.wait_for(asyncio.gather(joined_a, joined_b), 10.0))
    done = max(await asyncio.wait_for(asyncio.gather(heard_a, heard_b), 10.0))
    await caller.ok("call.hangup", {"call_id": call_id})
    await asyncio.gather(caller.close_pc(), callee.close_pc())
    for party in (caller, callee):
        party.queues.clear()
    return Timing(active - started, connected - started, done - started)


async def setup_time(opts: Options) -> dict[str, Any]:
    loopback_only()
    server = hub_process(opts.data_dir)
    await server.start(limit_s=120.0)
    await wait_for_text(server, "Demo accounts", 120.0)  # logged once the demo is seeded
    parties = [Party(), Party()]
    try:
        timings = await _run(server.url, parties, opts)
    finally:
        for party in parties:
            await party.close_pc()
            await party.sio.disconnect()
        server.stop()
    media = [t.media_s for t in timings]
    return {
        "calls": len(timings),
        "setup_ms": latency_summary(media),
        "invite_to_active_ms": latency_summary([t.active_s for t in timings]),
        "invite_to_connected_ms": latency_summary([t.connected_s for t in timings]),
    }


async def _run(url: str, parties: list[Party], opts: Options) -> list[Timing]:
    caller, callee = parties
    caller_token, _ = await sign_in(url, CALLER, DEMO_PASSWORD)
    callee_token, callee_id = await sign_in(url, CALLEE, DEMO_PASSWORD)
    await caller.connect(url, caller_token)
    await callee.connect(url, callee_token)
    timings = []
    for n in range(opts.warmup + opts.calls):
        timing = await one_call(caller, callee, callee_id, n)
        if n >= opts.warmup:
            timings.append(timing)
    return timings
