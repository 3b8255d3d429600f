"""Server processes under test: the hub (seeded bench data dir) and the bare baseline.

Each runs as its own subprocess pinned to core 0 when the machine has two or more cores (the
load generator then pins itself to core 1), listens on 127.0.0.1 only, and is stopped with
SIGTERM (SIGKILL after a grace period) by the process that started it.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[2]
GRIDHUB = Path(sys.executable).parent / "gridhub"
BENCH_PASSWORD = "Bench@2026pw"
BENCH_GRID = "370783-001-001-01"
READY_MARK = "bench-ready.json"
SERVER_CORE = "0"
CLIENT_CORE = 1


def fast_auth_env(ping_interval_s: float | None = None) -> dict[str, str]:
    """Environment for the hub: cheap Argon2 for bench accounts, hour-long tokens, quiet logs."""
    env = dict(os.environ)
    env.update(
        GRIDHUB_AUTH__HASH_TIME_COST="1",
        GRIDHUB_AUTH__HASH_MEMORY_KIB="1024",
        GRIDHUB_AUTH__HASH_PARALLELISM="1",
        GRIDHUB_AUTH__ACCESS_TTL_S="3600",
        GRIDHUB_LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    if ping_interval_s is not None:
        env["GRIDHUB_REALTIME__PING_INTERVAL_S"] = str(ping_interval_s)
    return env


def pinning() -> bool:
    return (os.cpu_count() or 1) >= 2 and shutil.which("taskset") is not None


def pin_self_to_client_core() -> None:
    """Keep the load generator (and the workers it starts) off the server's core."""
    if pinning():
        os.sched_setaffinity(0, {CLIENT_CORE})


def server_prefix() -> list[str]:
    return ["taskset", "-c", SERVER_CORE] if pinning() else []


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def read_rss_kib(pid: int) -> int:
    """VmRSS of a process in KiB, from /proc/<pid>/status."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for pid {pid}")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy_seconds() -> float:
    """CPU seconds spent busy by all cores since boot (from /proc/stat), for interference."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def bench_people(count: int) -> list[dict[str, object]]:
    return [
        {
            "username": f"bench{i:04d}",
            "display_name": f"Bench {i:04d}",
            "roles": [{"role": "grid_worker", "grid": BENCH_GRID}],
            "password": BENCH_PASSWORD,
        }
        for i in range(1, count + 1)
    ]


@dataclass
class ServerProcess:
    """A started server subprocess and its base URL."""

    argv: list[str]
    port: int
    env: dict[str, str] = field(default_factory=lambda: dict(os.environ))
    log_path: Path | None = None
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def rss_kib(self) -> int:
        return read_rss_kib(self.pid)

    def launch(self) -> None:
        log = self.log_path.open("ab") if self.log_path else None
        out = log if log is not None else subprocess.DEVNULL
        self.proc = subprocess.Popen(
            self.argv, env=self.env, stdout=out, stderr=out, cwd=ROOT, start_new_session=True
        )
        if log is not None:
            log.close()  # the child keeps its own descriptor

    async def start(self, ready_path: str = "/healthz", limit_s: float = 60.0) -> None:
        self.launch()
        assert self.proc is not None
        try:
            await wait_http(self.url + ready_path, self.proc, limit_s)
        except (RuntimeError, TimeoutError) as exc:
            self.stop()
            raise RuntimeError(f"{exc}; log tail: {self.log_tail()}") from None

    def log_tail(self, chars: int = 600) -> str:
        if self.log_path is None or not self.log_path.exists():
            return "(no log)"
        return self.log_path.read_text(errors="replace")[-chars:].strip()

    def stop(self, grace: float = 10.0) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(grace)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def logged(self, text: str) -> bool:
        return self.log_path is not None and text in self.log_path.read_text(errors="replace")


async def wait_http(url: str, proc: subprocess.Popen[bytes], limit_s: float) -> None:
    deadline = time.monotonic() + limit_s
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited with {proc.returncode} before {url} answered")
            try:
                async with http.get(url) as resp:
                    if resp.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise TimeoutError(f"{url} did not answer within {limit_s} s")


async def wait_for_text(server: ServerProcess, text: str, limit_s: float) -> None:
    """Wait until the server's log shows ``text`` (the hub announces itself after seeding)."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if server.logged(text):
            return
        await asyncio.sleep(0.1)
    raise TimeoutError(f"server did not log {text!r} within {limit_s} s")


def hub_process(data_dir: Path, ping_interval_s: float | None = None) -> ServerProcess:
    port = free_port()
    argv = [*server_prefix(), str(GRIDHUB), "demo", "--data-dir", str(data_dir)]
    argv += ["--port", str(port)]
    env = fast_auth_env(ping_interval_s)
    return ServerProcess(argv, port, env, data_dir / "hub.log")


def baseline_process(log_dir: Path, ping_interval_s: float) -> ServerProcess:
    port = free_port()
    argv = [*server_prefix(), sys.executable, "-m", "loadtests.realtime.baseline"]
    argv += ["--port", str(port), "--ping-interval", str(ping_interval_s)]
    return ServerProcess(argv, port, dict(os.environ), log_dir / "baseline.log")


def prepared(data_dir: Path, accounts: int) -> bool:
    mark = data_dir / READY_MARK
    return mark.exists() and int(json.loads(mark.read_text()).get("accounts", 0)) >= accounts


def write_people(data_dir: Path, accounts: int) -> Path:
    data_dir.mkdir(parents=True, exist_ok=True)
    people = data_dir / "bench-people.json"
    people.write_text(json.dumps(bench_people(accounts)))
    return people


async def import_people(data_dir: Path, people: Path) -> None:
    cmd = [str(GRIDHUB), "people", "import", str(people), "--data-dir", str(data_dir)]
    proc = await asyncio.create_subprocess_exec(
        *cmd, env=fast_auth_env(), cwd=ROOT, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"people import failed: {output.decode(errors='replace')[-2000:]}")


async def prepare_data_dir(data_dir: Path, accounts: int) -> None:
    """Seed the demo county (first `gridhub demo` start), then import the bench accounts."""
    if prepared(data_dir, accounts):
        return
    people = write_people(data_dir, accounts)
    seeder = hub_process(data_dir)
    await seeder.start()
    try:
        await wait_for_text(seeder, "is listening", 120.0)
    finally:
        seeder.stop()
    await import_people(data_dir, people)
    mark_prepared(data_dir, accounts)


def mark_prepared(data_dir: Path, accounts: int) -> None:
    mark = {"accounts": accounts, "password": BENCH_PASSWORD}
    (data_dir / READY_MARK).write_text(json.dumps(mark))


CpuMark = tuple[float, float, float, float]


def cpu_mark(server_pid: int, worker_pids: Iterable[int] = ()) -> CpuMark:
    """(wall clock, server CPU s, load generator CPU s, whole machine busy CPU s).

    The load generator is this process plus the worker processes still running."""
    server = cpu_seconds(server_pid) if server_pid else 0.0
    mine = resource.getrusage(resource.RUSAGE_SELF)
    workers = sum(cpu_seconds(pid) for pid in worker_pids)
    return time.monotonic(), server, mine.ru_utime + mine.ru_stime + workers, machine_busy_seconds()


def cpu_usage(a: CpuMark, b: CpuMark) -> dict[str, float]:
    """CPU use over the measured window in % of one core: server, load generator, and what
    everything else on the machine took (other people's jobs skew the figures)."""
    wall = max(b[0] - a[0], 1e-9)
    server, mine, busy = ((b[i] - a[i]) * 100 / wall for i in (1, 2, 3))
    return {"window_s": round(wall, 3), "server_cpu_pct": round(server, 1),
            "loadgen_cpu_pct": round(mine, 1),
            "other_cpu_pct": round(max(0.0, busy - server - mine), 1)}  # fmt: skip
