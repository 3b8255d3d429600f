"""`gridhub doctor`: check a deployment and say what is wrong in plain words (zh-CN, then en).

Each check gives findings: `ok`, `warn` (works, but look at it) or `fail` (the deployment does
not work as configured; the command exits non-zero). Checks, in order:

* database — reachable, and every migration branch of the enabled plugins at its head;
* redis — on a cluster (`redis_url`), reachable;
* clock — this machine's clock against Redis's and PostgreSQL's (`TIME`, `clock_timestamp()`).
  Run the doctor on every node: each node within `max_skew_s` of the one shared clock keeps
  every pair of nodes within twice that;
* nodes — each other node given (`--node URL`) answers /healthz, and its clock (the HTTP
  `Date` header) is within `max_skew_s` (plus the header's second) of this machine's;
* media — each external worker's control URL accepts the shared secret (embedded workers are
  started and watched by each node itself);
* disk — free space where uploads, recordings and backups are written;
* turn — every `stun:`/`turn:`/`turns:` URL of `calls.ice_servers` answers a STUN binding
  request (RFC 5389; coturn answers one without credentials).

The hub reads the components' settings tables (`calls`, `media`) as plain data: it knows them
only by their tables' names, never by importing their code.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import ssl
import struct
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import aiohttp
import redis.asyncio as redis
from sqlalchemy import text

from hub import plugins
from hub.backup import backup_root, data_directories, database_kind, sqlite_path
from hub.settings import Settings
from storage import migrate
from storage.sql import create_engine

Level = Literal["ok", "warn", "fail"]
Clock = Callable[[], float]
STUN_MAGIC = 0x2112A442
STUN_BINDING = 0x0001
STUN_SUCCESS = 0x0101


@dataclass(frozen=True, slots=True)
class Finding:
    check: str
    level: Level
    zh: str
    en: str

    def line(self) -> str:
        mark = {"ok": "正常 OK  ", "warn": "注意 WARN", "fail": "故障 FAIL"}[self.level]
        return f"[{mark}] {self.check}: {self.zh} / {self.en}"


@dataclass(frozen=True, slots=True)
class Limits:
    timeout_s: float = 5.0
    max_skew_s: float = 2.0
    min_free_bytes: int = 2 * 1024**3


def ok(check: str, zh: str, en: str) -> Finding:
    return Finding(check, "ok", zh, en)


def warn(check: str, zh: str, en: str) -> Finding:
    return Finding(check, "warn", zh, en)


def fail(check: str, zh: str, en: str) -> Finding:
    return Finding(check, "fail", zh, en)


async def diagnose(
    settings: Settings,
    limits: Limits = Limits(),
    clock: Clock = time.time,
    nodes: Sequence[str] = (),
) -> list[Finding]:
    """Every check's findings, in order (each check bounded by `limits.timeout_s`); `nodes`
    are other hub nodes' base URLs, whose health and clocks are checked too."""
    found: list[Finding] = []
    found += await _bounded("database", check_database(settings, limits, clock), limits)
    found += await _bounded("redis", check_redis(settings, limits, clock), limits)
    found += await _bounded("nodes", check_nodes(nodes, limits, clock), limits)
    found += await _bounded("media", check_media(settings, limits), limits)
    found += check_disk(settings, limits)
    found += await _bounded("turn", check_turn(settings, limits), limits)
    return found


async def _bounded(check: str, findings: Awaitable[list[Finding]], limits: Limits) -> list[Finding]:
    try:
        async with asyncio.timeout(limits.timeout_s * 4):
            return await findings
    except TimeoutError:
        return [fail(check, "检查超时", "the check timed out")]


def component_table(settings: Settings, name: str) -> dict[str, Any]:
    """A component's settings table as plain data (secrets included: not for printing)."""
    table = getattr(settings, name, None)
    if table is None:
        return {}
    data: dict[str, Any] = table.model_dump()
    return data


# --- database and clocks ----------------------------------------------------------------------


async def check_database(settings: Settings, limits: Limits, clock: Clock) -> list[Finding]:
    url = settings.effective_database_url
    if database_kind(url) == "sqlite" and not sqlite_path(url).is_file():  # connecting makes one
        where = sqlite_path(url)
        return [fail("database", f"数据库文件不存在: {where}", f"no database file at {where}")]
    engine = create_engine(url)
    try:
        async with asyncio.timeout(limits.timeout_s):
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
                server_time = await _db_time(conn)
        current = await migrate.current_heads(engine)
    except Exception as exc:
        name = type(exc).__name__
        return [fail("database", f"数据库连不上（{name}）", f"database unreachable ({name})")]
    finally:
        await engine.dispose()
    found = [ok("database", "数据库可以连接", "database reachable"), _migrated(settings, current)]
    if server_time is not None:
        found.append(skew("clock", "PostgreSQL", server_time, clock(), limits))
    return found


async def _db_time(conn: Any) -> float | None:
    if conn.dialect.name != "postgresql":
        return None
    value = await conn.scalar(text("SELECT EXTRACT(EPOCH FROM clock_timestamp())"))
    return float(value)


def expected_heads(settings: Settings) -> set[str]:
    chosen = plugins.select(plugins.discover(), settings.plugins.enabled, settings.plugins.disabled)
    return migrate.script_heads([p.migrations for p in chosen if p.migrations is not None])


def _migrated(settings: Settings, current: set[str]) -> Finding:
    expected = expected_heads(settings)
    missing = expected - current
    if not current:
        return fail(
            "migrations", "数据库是空的：请运行 gridhub migrate", "empty: run gridhub migrate"
        )
    if missing:
        return fail(
            "migrations",
            f"数据库结构不是最新（缺 {len(missing)} 个分支的升级）：请运行 gridhub migrate",
            f"schema behind ({len(missing)} branches): run gridhub migrate",
        )
    unknown = current - expected
    if unknown and not unknown <= migrate.script_heads(plugins.installed_migrations()):
        return warn(
            "migrations",
            "数据库含有本版本不认识的升级（比代码新？）",
            f"revisions this code does not know: {', '.join(sorted(unknown))}",
        )
    return ok("migrations", "数据库结构已是最新", "schema at head")


def skew(check: str, other: str, their: float, ours: float, limits: Limits) -> Finding:
    off = ours - their
    words = f"本机时钟与 {other} 相差 {off:+.3f} 秒", f"clock {off:+.3f} s off {other}'s"
    if abs(off) > limits.max_skew_s:
        zh, en = words
        return fail(check, zh + "：请配置 NTP（chrony）", en + ": set up NTP (chrony)")
    return ok(check, *words)


async def check_redis(settings: Settings, limits: Limits, clock: Clock) -> list[Finding]:
    if not settings.redis_url:
        return [ok("redis", "单节点部署，不用 Redis", "single node: no Redis")]
    client = redis.Redis.from_url(settings.redis_url, socket_timeout=limits.timeout_s)
    try:
        before = clock()
        seconds, micros = await client.time()
        after = clock()
    except (redis.RedisError, OSError) as exc:
        name = type(exc).__name__
        return [fail("redis", f"Redis 连不上（{name}）", f"Redis unreachable ({name})")]
    finally:
        await client.aclose()
    reached = ok("redis", "Redis 可以连接", "Redis reachable")
    their = seconds + micros / 1e6
    return [reached, skew("clock", "Redis", their, (before + after) / 2, limits)]


async def check_nodes(urls: Sequence[str], limits: Limits, clock: Clock) -> list[Finding]:
    """Each node answers /healthz, and its clock (the HTTP Date header, whole seconds) is
    within `max_skew_s` of ours, give or take the header's second."""
    timeout = aiohttp.ClientTimeout(total=limits.timeout_s)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        return [await _node(session, url.rstrip("/"), limits, clock) for url in urls]


async def _node(session: aiohttp.ClientSession, url: str, limits: Limits, clock: Clock) -> Finding:
    try:
        async with session.get(f"{url}/healthz") as response:
            status, date = response.status, response.headers.get("Date")
    except (aiohttp.ClientError, OSError, TimeoutError):
        return fail("nodes", f"节点 {url} 连不上", f"node {url} unreachable")
    if status != 200 or date is None:
        return fail("nodes", f"节点 {url} 不健康（{status}）", f"node {url} unhealthy ({status})")
    now, their = clock(), parsedate_to_datetime(date).timestamp()
    coarse = replace(limits, max_skew_s=limits.max_skew_s + 1.0)  # the header has whole seconds
    if abs(now - their) > coarse.max_skew_s:
        return skew("clock", f"节点 {url}", their, now, coarse)
    return ok("nodes", f"节点 {url} 正常", f"node {url} healthy")


# --- media workers ----------------------------------------------------------------------------


async def check_media(settings: Settings, limits: Limits) -> list[Finding]:
    media = component_table(settings, "media")
    urls: list[str] = list(media.get("external_workers") or [])
    embedded = int(media.get("embedded_workers") or 0)
    if not urls:
        if embedded:
            zh, en = f"每个节点自带 {embedded} 个媒体进程", f"{embedded} embedded worker(s) a node"
            return [ok("media", zh, en)]
        return [warn("media", "没有媒体进程：群组通话、录音不可用", "no media workers")]
    secret = media.get("secret")
    if secret is None:
        return [fail("media", "外部媒体进程需要配置 media.secret", "set media.secret")]
    return [await _worker(url, secret.get_secret_value(), limits) for url in urls]


async def _worker(url: str, secret: str, limits: Limits) -> Finding:
    headers = {"Authorization": f"Bearer {secret}"}
    timeout = aiohttp.ClientTimeout(total=limits.timeout_s)
    try:
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.ws_connect(url, headers=headers),
        ):
            return ok("media", f"媒体进程 {url} 在线", f"worker {url} answers")
    except aiohttp.WSServerHandshakeError as exc:
        if exc.status in (401, 403):
            return fail("media", f"媒体进程 {url} 拒绝密钥", f"worker {url} refuses the secret")
        return fail("media", f"媒体进程 {url} 异常（{exc.status}）", f"worker {url}: {exc.status}")
    except (aiohttp.ClientError, OSError, TimeoutError):
        return fail("media", f"媒体进程 {url} 连不上", f"worker {url} unreachable")


# --- disk -------------------------------------------------------------------------------------


def check_disk(settings: Settings, limits: Limits) -> list[Finding]:
    places = {**data_directories(settings), "backups": backup_root(settings)}
    found: list[Finding] = []
    seen: set[int] = set()
    for name, path in places.items():
        existing = _existing(path)
        device = existing.stat().st_dev
        if device in seen:
            continue
        seen.add(device)
        found.append(_free(name, existing, limits))
    return found


def _existing(path: Path) -> Path:
    while not path.exists() and path.parent != path:
        path = path.parent
    return path


def _free(name: str, path: Path, limits: Limits) -> Finding:
    free = shutil.disk_usage(path).free
    gib = free / 1024**3
    need = limits.min_free_bytes / 1024**3
    if free < limits.min_free_bytes:
        return fail(
            "disk",
            f"{name} 所在磁盘只剩 {gib:.1f} GiB（至少要 {need:.1f} GiB）: {path}",
            f"{gib:.1f} GiB free for {name} (need {need:.1f}): {path}",
        )
    if not os.access(path, os.W_OK):
        return fail("disk", f"{name} 目录不可写: {path}", f"{name} not writable: {path}")
    return ok("disk", f"{name} 所在磁盘剩 {gib:.1f} GiB", f"{gib:.1f} GiB free for {name}")


# --- TURN / STUN ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IceUrl:
    url: str
    host: str
    port: int
    transport: Literal["udp", "tcp", "tls"]


def parse_ice_url(url: str) -> IceUrl:
    """stun:host[:port], turn:host[:port][?transport=udp|tcp], turns:host[:port]."""
    scheme, _, rest = url.partition(":")
    where, _, query = rest.partition("?")
    parts = urlsplit("//" + where)
    if scheme not in ("stun", "turn", "turns") or not parts.hostname:
        raise ValueError(f"not an ICE server URL: {url}")
    secure = scheme == "turns"
    tcp = "transport=tcp" in query
    transport: Literal["udp", "tcp", "tls"] = "tls" if secure else ("tcp" if tcp else "udp")
    return IceUrl(url, parts.hostname, parts.port or (5349 if secure else 3478), transport)


def binding_request() -> tuple[bytes, bytes]:
    """A STUN binding request and its transaction id."""
    transaction = os.urandom(12)
    return struct.pack("!HHI", STUN_BINDING, 0, STUN_MAGIC) + transaction, transaction


def is_binding_success(reply: bytes, transaction: bytes) -> bool:
    if len(reply) < 20:
        return False
    kind, _, magic = struct.unpack("!HHI", reply[:8])
    return kind == STUN_SUCCESS and magic == STUN_MAGIC and reply[8:20] == transaction


async def stun_binding(target: IceUrl, timeout_s: float) -> bool:
    """True when the server answers a binding request with a success for our transaction."""
    request, transaction = binding_request()
    async with asyncio.timeout(timeout_s):
        if target.transport == "udp":
            reply = await _udp_exchange(target, request)
        else:
            reply = await _stream_exchange(target, request)
    return is_binding_success(reply, transaction)


class _OneReply(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.reply: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()

    def datagram_received(self, data: bytes, addr: Any) -> None:
        if not self.reply.done():
            self.reply.set_result(data)

    def error_received(self, exc: Exception) -> None:
        if not self.reply.done():
            self.reply.set_exception(exc)


async def _udp_exchange(target: IceUrl, request: bytes) -> bytes:
    loop = asyncio.get_running_loop()
    transport, protocol = await loop.create_datagram_endpoint(
        _OneReply, remote_addr=(target.host, target.port)
    )
    try:
        while True:  # UDP may drop a datagram: resend until the caller's timeout
            transport.sendto(request)
            done, _ = await asyncio.wait({protocol.reply}, timeout=0.5)
            if done:
                return protocol.reply.result()
    finally:
        transport.close()


async def _stream_exchange(target: IceUrl, request: bytes) -> bytes:
    context = ssl.create_default_context() if target.transport == "tls" else None
    reader, writer = await asyncio.open_connection(target.host, target.port, ssl=context)
    try:
        writer.write(request)
        await writer.drain()
        head = await reader.readexactly(20)
        length = struct.unpack("!H", head[2:4])[0]
        return head + await reader.readexactly(length)
    finally:
        writer.close()


async def check_turn(settings: Settings, limits: Limits) -> list[Finding]:
    calls = component_table(settings, "calls")
    urls: list[str] = list(calls.get("ice_servers") or [])
    if not urls:
        return [warn("turn", "未配置 TURN：不同网络间的通话可能接不通", "no TURN configured")]
    found = [await _reach(url, limits) for url in urls]
    if any(u.startswith(("turn:", "turns:")) for u in urls) and calls.get("turn_secret") is None:
        found.append(fail("turn", "配置了 TURN 但没有 calls.turn_secret", "set calls.turn_secret"))
    return found


async def _reach(url: str, limits: Limits) -> Finding:
    try:
        target = parse_ice_url(url)
        answered = await stun_binding(target, limits.timeout_s)
    except ValueError:
        return fail("turn", f"地址写错了: {url}", f"not an ICE URL: {url}")
    except (OSError, TimeoutError, asyncio.IncompleteReadError, ssl.SSLError) as exc:
        name = type(exc).__name__
        return fail("turn", f"{url} 无应答（{name}）", f"{url} does not answer ({name})")
    if not answered:
        return fail("turn", f"{url} 应答不是 STUN", f"{url} answers, but not STUN")
    return ok("turn", f"{url} 可以连通", f"{url} answers STUN")
