"""Channel traffic driver shared by the fan-out and latency benchmarks.

A sender socket creates a channel with the receivers as members, the receivers connect, one
probe message checks that every receiver is reached, then the sender sends ``count`` messages
paced at ``rate`` per second. Each message carries its send time (``time.time()``) as JSON in
``body.text``; receivers keep raw frames with their arrival time and parse them afterwards so
receiving stays cheap.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from loadtests.realtime.lean import LeanSocket, split_event
from loadtests.realtime.receivers import Receiver, open_receiver
from loadtests.realtime.servers import cpu_mark, cpu_usage
from loadtests.realtime.wire import event_args

CALL_TIMEOUT_S = 15.0
IDLE_TIMEOUT_S = 15.0
PROBE_TIMEOUT_S = 15.0
PROBE_ATTEMPTS = 6


@dataclass(frozen=True, slots=True)
class Plan:
    url: str
    sender_token: str
    receiver_tokens: list[str]
    member_ids: list[int]
    count: int
    rate: float
    text_bytes: int = 120
    parallel: int = 100
    server_pid: int = 0
    receiver_urls: tuple[str, ...] = ()  # spread receivers over these nodes (cluster runs)
    receivers: str = "raw"  # see loadtests.realtime.receivers.RECEIVER_KINDS


@dataclass
class Sent:
    """Send times by sequence number, ack latencies and ack failures."""

    at: dict[int, float] = field(default_factory=dict)
    ack_s: list[float] = field(default_factory=list)
    failed: Counter[str] = field(default_factory=Counter)
    first: float = 0.0
    last: float = 0.0


@dataclass
class Received:
    latencies_s: list[float] = field(default_factory=list)
    per_receiver: list[int] = field(default_factory=list)
    in_order: int = 0  # receivers that got every message once, in send order
    exact: int = 0  # receivers that got every message exactly once, in any order
    in_offset_order: int = 0  # receivers whose channel offsets only ever rose
    dropped: Counter[str] = field(default_factory=Counter)  # receivers gone mid-run, by reason
    last_at: float = 0.0
    usage: dict[str, float] = field(default_factory=dict)


def message_text(seq: int, sent_at: float, size: int) -> str:
    text = json.dumps({"t": sent_at, "s": seq})
    return text + " " * max(0, size - len(text))


async def open_socket(http: aiohttp.ClientSession, url: str, token: str) -> LeanSocket:
    sock = LeanSocket(http, url)
    await sock.connect({"token": token})
    return sock


async def open_receivers(http: aiohttp.ClientSession, plan: Plan) -> list[Receiver]:
    gate = asyncio.Semaphore(plan.parallel)

    urls = plan.receiver_urls or (plan.url,)

    async def one(index: int, token: str) -> Receiver:
        async with gate:
            return await open_receiver(http, urls[index % len(urls)], token, plan.receivers)

    return list(await asyncio.gather(*(one(i, t) for i, t in enumerate(plan.receiver_tokens))))


async def create_channel(sender: LeanSocket, member_ids: list[int]) -> int:
    body = {"name": f"bench-{int(time.time() * 1000)}", "members": member_ids}
    try:
        ack = await sender.call("channel.create", body, CALL_TIMEOUT_S)
    except TimeoutError:
        raise RuntimeError("channel.create got no ack: the hub has no channel events") from None
    if not (isinstance(ack, dict) and ack.get("ok")):
        raise RuntimeError(f"channel.create failed: {ack}")
    return int(ack["channel"]["id"])


def send_payload(channel_id: int, tag: str, seq: int, sent_at: float, size: int) -> Any:
    return {"channel_id": channel_id, "client_msg_id": f"{tag}-{seq}", "kind": "text",
            "body": {"text": message_text(seq, sent_at, size)}}  # fmt: skip


async def paced_send(sender: LeanSocket, channel_id: int, plan: Plan, tag: str) -> Sent:
    """Open-loop sending at ``plan.rate``; acks are recorded as they come."""
    sent = Sent()
    start = time.monotonic()
    sent.first = time.time()
    for seq in range(plan.count):
        delay = start + seq / plan.rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        now = time.time()
        sent.at[seq] = now
        payload = send_payload(channel_id, tag, seq, now, plan.text_bytes)
        await sender.emit_ack("channel.send", payload, ack_recorder(sent, now))
    sent.last = time.time()
    return sent


def ack_recorder(sent: Sent, sent_at: float) -> Any:
    def record(data: Any, at: float) -> None:
        if isinstance(data, dict) and data.get("ok"):
            sent.ack_s.append(at - sent_at)
        else:
            error = data.get("error", {}) if isinstance(data, dict) else {}
            sent.failed[str(error.get("code", data))] += 1

    return record


async def wait_for(receivers: list[Receiver], expected: int, idle_s: float) -> None:
    """Until ``expected`` frames arrived in all, or nothing new arrived for ``idle_s``."""
    seen, quiet_since = -1, time.monotonic()
    while True:
        total = sum(len(r.raw_sink or ()) for r in receivers)
        if total >= expected:
            return
        if total != seen:
            seen, quiet_since = total, time.monotonic()
        elif time.monotonic() - quiet_since > idle_s:
            return
        await asyncio.sleep(0.05)


async def wait_acks(sent: Sent, count: int, limit_s: float) -> None:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if len(sent.ack_s) + sent.failed.total() >= count:
            return
        await asyncio.sleep(0.05)


def parse_deliveries(receivers: list[Receiver], tag: str, count: int) -> Received:
    received = Received()
    for sock in receivers:
        seqs: list[int] = []
        offsets: list[int] = []
        for at, packet in sock.raw_sink or ():
            args = event_args(packet) if isinstance(packet, bytes) else packet
            args = split_event(args)[1] if isinstance(args, str) else args
            message = args[1] if len(args) > 1 and args[0] == "channel.message" else None
            if not message or not str(message.get("client_msg_id", "")).startswith(tag + "-"):
                continue
            stamp = json.loads(message["body"]["text"])
            received.latencies_s.append(at - float(stamp["t"]))
            received.last_at = max(received.last_at, at)
            seqs.append(int(stamp["s"]))
            offsets.append(int(message.get("offset", 0)))
        received.per_receiver.append(len(seqs))
        received.in_order += seqs == list(range(count))
        received.exact += sorted(seqs) == list(range(count))
        # Concurrent sends may commit in another order than sent; offsets must still rise.
        received.in_offset_order += all(a < b for a, b in itertools.pairwise(offsets))
        if sock.closed:  # read before the driver closes them: these dropped on their own
            received.dropped[sock.close_reason or "closed"] += 1
    return received


async def probe(sender: LeanSocket, receivers: list[Receiver], channel_id: int) -> int:
    """Send one message and count the receivers it reached (then forget what they got)."""
    for attempt in range(PROBE_ATTEMPTS):
        payload = send_payload(channel_id, "probe", attempt, time.time(), 8)
        ack = await sender.call("channel.send", payload, CALL_TIMEOUT_S)
        if isinstance(ack, dict) and ack.get("ok"):
            break
        await asyncio.sleep(0.5)  # membership may reach the sender's socket a moment later
    else:
        raise RuntimeError(f"channel.send failed: {ack}")
    await wait_for(receivers, len(receivers), PROBE_TIMEOUT_S)
    reached = sum(1 for r in receivers if r.raw_sink)
    for r in receivers:
        r.raw_sink = []
    return reached


async def drive(plan: Plan) -> tuple[int, Sent, Received]:
    """Run the plan; returns (receivers reached by the probe, what was sent, what arrived)."""
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as http:
        sender = await open_socket(http, plan.url, plan.sender_token)
        channel_id = await create_channel(sender, plan.member_ids)
        receivers = await open_receivers(http, plan)
        try:
            reached = await probe(sender, receivers, channel_id)
            tag, before = f"b{int(time.time())}", cpu_mark(plan.server_pid)
            sent = await paced_send(sender, channel_id, plan, tag)
            await wait_for(receivers, plan.count * len(receivers), IDLE_TIMEOUT_S)
            await wait_acks(sent, plan.count, IDLE_TIMEOUT_S)
            usage = cpu_usage(before, cpu_mark(plan.server_pid))
            received = parse_deliveries(receivers, tag, plan.count)
            received.usage = usage
            return reached, sent, received
        finally:
            await asyncio.gather(*(s.close() for s in [sender, *receivers]))
