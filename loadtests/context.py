"""What every simulated population in a client process shares: the run's clock and recorder.

Times carried in payloads are ``time.time()`` epoch seconds of the sending process; a receiver
on the same machine subtracts them from its own arrival time (targets on other machines need
synchronised clocks, which the report points out).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, TypeVar

import aiohttp

from loadtests.provision import Directory
from loadtests.realtime.lean import ConnectRefused, EventHandler, LeanSocket
from loadtests.recorder import Recorder
from loadtests.scenario import Scenario

CALL_TIMEOUT_S = 30.0
SETTLE_S = 2.0  # after the end: time for the last acks and deliveries to arrive
SETTLE_MAX_S = 15.0  # ... and at most this long for acks still owed
SETTLE_POLL_S = 0.1
MAX_PAGES = 20  # pages of a paged list reply read at most (a hub always saying `more`)
T = TypeVar("T")
STAMP = "@"  # titles and notes end with "@<epoch seconds>"


@dataclass
class Context:
    scenario: Scenario
    urls: list[str]
    directory: Directory
    rec: Recorder
    http: aiohttp.ClientSession
    shard: int = 0
    shards: int = 1
    start: float = 0.0
    end: float = 0.0
    cpu_at_start: float = 0.0  # this process's CPU seconds when the run started
    tasks: set[asyncio.Task[Any]] = field(default_factory=set)
    held: dict[str, list[Any]] = field(default_factory=dict)  # objects with a `closed` flag

    def hold(self, population: str, client: Any) -> None:
        self.held.setdefault(population, []).append(client)

    def connections(self) -> dict[str, int]:
        return {
            f"connections.{name}": sum(1 for c in clients if not c.closed)
            for name, clients in self.held.items()
        }

    def mine(self, items: list[T]) -> list[T]:
        """This process's share of a population."""
        return items[self.shard :: self.shards]

    def url(self, index: int) -> str:
        return self.urls[index % len(self.urls)]

    def left(self) -> float:
        return self.end - time.time()

    def running(self) -> bool:
        return time.time() < self.end

    def spawn(self, job: Coroutine[Any, Any, None]) -> None:
        """A background job of the run (cancelled when the run ends)."""
        task = asyncio.create_task(job)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def sleep_until(self, at: float) -> bool:
        """Sleep until ``at`` (epoch s) unless the run ends first; True if still running."""
        delay = min(at, self.end) - time.time()
        if delay > 0:
            await asyncio.sleep(delay)
        return self.running()

    def grid_id(self, code: str) -> int:
        return next(g.id for g in self.directory.grids if g.code == code)


def stamp(text: str, at: float) -> str:
    return f"{text} {STAMP}{at:.6f}"


def stamped(text: Any) -> float | None:
    """The epoch seconds a text was stamped with, if it carries one."""
    if not isinstance(text, str) or STAMP not in text:
        return None
    try:
        return float(text.rsplit(STAMP, 1)[1])
    except ValueError:
        return None


def guarded(ctx: Context, handler: EventHandler) -> EventHandler:
    """A socket event handler that counts its own failures instead of killing the reader."""

    def run(event: str, data: Any, at: float) -> None:
        try:
            handler(event, data, at)
        except Exception as exc:  # a malformed push must not end the socket
            ctx.rec.error(f"client.{event}.{type(exc).__name__}")

    return run


def error_code(reply: Any) -> str:
    if isinstance(reply, dict):
        error = reply.get("error")
        if isinstance(error, dict):
            return str(error.get("code", "unknown"))
    return "reply.malformed"


def acked(rec: Recorder, metric: str, sent: float) -> Callable[[Any, float], None]:
    """An ack callback recording ``metric`` latency, or the error code it carries."""

    def record(data: Any, at: float) -> None:
        if isinstance(data, dict) and data.get("ok"):
            rec.latency(metric, at - sent)
        else:
            rec.error(f"{error_code(data)}@{metric.removesuffix('.ack')}")

    return record


async def call(rec: Recorder, sock: LeanSocket, event: str, body: Any, metric: str) -> Any:
    """A call whose ack latency goes to ``metric``; the reply, or None after an error."""
    sent = time.time()
    try:
        reply = await sock.call(event, body, CALL_TIMEOUT_S)
    except TimeoutError:
        rec.error(f"timeout.{event}")
        return None
    except (ConnectionError, aiohttp.ClientError):
        rec.error(f"disconnected.{event}")
        return None
    if isinstance(reply, dict) and reply.get("ok"):
        rec.latency(metric, time.time() - sent)
        return reply
    rec.error(f"{error_code(reply)}@{event}")
    return None


async def channels_of(rec: Recorder, sock: LeanSocket) -> list[dict[str, Any]] | None:
    """The socket's person's channels: every page of `channel.list` (`more`, `after` = the last
    id), at most MAX_PAGES of them; None after an error."""
    channels: list[dict[str, Any]] = []
    after = 0
    for _ in range(MAX_PAGES):
        reply = await call(rec, sock, "channel.list", {"after": after}, "channel.list.ack")
        if reply is None:
            return None
        page = list(reply.get("channels", []))
        channels += page
        if not reply.get("more") or not page:
            break
        after = int(page[-1]["id"])
    return channels


async def emit(rec: Recorder, sock: LeanSocket, event: str, body: Any, metric: str) -> None:
    """Fire an event with an ack callback (open loop); send failures are counted."""
    if sock.closed:
        return
    try:
        await sock.emit_ack(event, body, acked(rec, metric, time.time()))
    except (ConnectionError, aiohttp.ClientError):
        rec.error(f"disconnected.{event}")


async def open_socket(ctx: Context, url: str, token: str, population: str) -> LeanSocket | None:
    """A signed-in socket; connect time and failures are recorded per population."""
    ctx.rec.count(f"attempt.{population}")
    sock = LeanSocket(ctx.http, url)
    sent = time.time()
    try:
        await sock.connect({"token": token}, CALL_TIMEOUT_S)
    except ConnectRefused as exc:
        ctx.rec.error(f"connect_error.{_refusal(exc)}")
    except (aiohttp.ClientError, OSError, TimeoutError) as exc:
        ctx.rec.error(f"connect.{type(exc).__name__}")
    else:
        ctx.rec.latency(f"connect.{population}", time.time() - sent)
        ctx.hold(population, sock)
        return sock
    await sock.close()
    return None


async def settle(owed: Callable[[], int]) -> None:
    """After the end: SETTLE_S for the last deliveries, longer (up to SETTLE_MAX_S) while acks
    are still owed; what is still owed then is counted when the clients close."""
    await asyncio.sleep(SETTLE_S)
    for _ in range(int((SETTLE_MAX_S - SETTLE_S) / SETTLE_POLL_S)):  # acks come per socket
        if not owed():
            return
        await asyncio.sleep(SETTLE_POLL_S)


async def close_counting(ctx: Context, sock: LeanSocket) -> None:
    """Close a socket; acks still owed to it count as ``ack.unanswered`` errors."""
    unanswered = len(sock._acks)
    if unanswered:
        ctx.rec.error("ack.unanswered", unanswered)
    await sock.close()


def _refusal(exc: ConnectRefused) -> str:
    try:
        return str(json.loads(str(exc)).get("code", "refused"))
    except (ValueError, AttributeError):
        return "refused"


async def login(ctx: Context, username: str, password: str, gate: asyncio.Semaphore) -> str | None:
    async with gate:
        sent = time.time()
        body = {"username": username, "password": password}
        try:
            async with ctx.http.post(f"{ctx.url(0)}/api/v1/auth/login", json=body) as resp:
                data = await resp.json()
                if resp.status != 200:
                    ctx.rec.error(f"login.{error_code({'error': data.get('error', {})})}")
                    return None
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            ctx.rec.error(f"login.{type(exc).__name__}")
            return None
        ctx.rec.latency("setup.login", time.time() - sent)
        return str(data["access_token"])
