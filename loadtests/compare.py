"""Room fan-out on the hub and on bare servers, in the same run, for ratios.

One sender sends ``messages`` at ``rate`` into a room of ``members`` receivers; each message
carries its send time. On the hub the room is an ad-hoc channel of load accounts; on the
baselines (a bare python-socketio server, :mod:`loadtests.realtime.baseline`, and a bare
Node.js socket.io server, ``loadtests/baselines/node``) every socket is in one room. The
driver is the real-time benchmark's (:mod:`loadtests.realtime.traffic`). The Node.js server's
dependencies are installed on demand with ``npm ci`` from the committed lockfile.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from pathlib import Path
from typing import Any

import aiohttp

from loadtests.provision import Member, login_token
from loadtests.realtime.fanout import figures, ratio
from loadtests.realtime.servers import ServerProcess, baseline_process, free_port, server_prefix
from loadtests.realtime.traffic import Plan, drive
from loadtests.scenario import Fanout

NODE_DIR = Path(__file__).resolve().parent / "baselines" / "node"
KINDS = ("python", "node")


class BaselineError(RuntimeError):
    """A baseline server could not be prepared or started."""


def ensure_node_modules() -> None:
    """``npm ci`` in loadtests/baselines/node when its modules are missing or stale."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        raise BaselineError("the node baseline needs node and npm (scripts/setup installs them)")
    lock, stamp = NODE_DIR / "package-lock.json", NODE_DIR / "node_modules" / ".package-lock.json"
    if stamp.exists() and stamp.stat().st_mtime >= lock.stat().st_mtime:
        return
    done = subprocess.run(
        ["npm", "ci", "--no-audit", "--no-fund", "--silent"],
        cwd=NODE_DIR,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if done.returncode != 0:
        raise BaselineError(f"npm ci failed: {(done.stderr or done.stdout)[-800:]}")


def unpinned(server: ServerProcess, pin: bool) -> ServerProcess:
    """Without the ``taskset`` prefix when pinning is off (a busy shared machine)."""
    if not pin and server.argv[0] == "taskset":
        server.argv = server.argv[3:]
    return server


def node_process(log_dir: Path, ping_interval_s: float) -> ServerProcess:
    port = free_port()
    argv = [*server_prefix(), "node", str(NODE_DIR / "server.js"), "--port", str(port)]
    argv += ["--ping-interval", str(ping_interval_s)]
    return ServerProcess(argv, port, log_path=log_dir / "node-baseline.log")


async def on_baseline(
    kind: str, f: Fanout, log_dir: Path, pin: bool, receivers: str = "raw"
) -> dict[str, Any]:
    if kind == "node":
        await asyncio.to_thread(ensure_node_modules)
        server = node_process(log_dir, 25.0)
    else:
        server = baseline_process(log_dir, 25.0)
    await unpinned(server, pin).start()
    try:
        tokens = [f"baseline-{i}" for i in range(f.members)]
        plan = Plan(server.url, "sender", tokens, [], f.messages, f.rate, server_pid=server.pid,
                    receivers=receivers)  # fmt: skip
        return figures(*await drive(plan), plan)
    finally:
        server.stop()


async def sign_in_all(url: str, members: list[Member], password: str) -> list[str]:
    gate = asyncio.Semaphore(8)
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as http:

        async def one(member: Member) -> str:
            async with gate:
                return await login_token(http, url, member.username, password)

        return list(await asyncio.gather(*(one(m) for m in members)))


async def on_hub(
    url: str, members: list[Member], f: Fanout, password: str, pid: int = 0,
    receivers: str = "raw",
) -> dict[str, Any]:  # fmt: skip
    """The same fan-out through the hub: an ad-hoc channel of load accounts on one grid."""
    tokens = await sign_in_all(url, members, password)
    ids = [m.person_id for m in members[1:]]
    plan = Plan(url, tokens[0], tokens[1:], ids, f.messages, f.rate, server_pid=pid,
                receivers=receivers)  # fmt: skip
    return figures(*await drive(plan), plan)


async def fanout_phase(
    url: str,
    members: list[Member],
    f: Fanout,
    password: str,
    kinds: list[str],
    log_dir: Path,
    pid: int = 0,
    pin: bool = True,
    receivers: str = "raw",
) -> dict[str, Any]:
    """Hub first, then each baseline; ratios hub / baseline (throughput, p50, p99)."""
    result: dict[str, Any] = {
        "settings": {
            "members": f.members,
            "messages": f.messages,
            "rate_per_s": f.rate,
            "receivers": receivers,
        }
    }
    result["hub"] = await on_hub(url, members, f, password, pid, receivers)
    for kind in kinds:
        try:
            result[kind] = await on_baseline(kind, f, log_dir, pin, receivers)
        except (BaselineError, RuntimeError, OSError) as exc:
            result[kind] = {"error": f"{type(exc).__name__}: {exc}"}
            continue
        result.setdefault("ratios", {})[kind] = ratio(result["hub"], result[kind])
    return result
