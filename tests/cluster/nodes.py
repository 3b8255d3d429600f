"""Real hub processes for cluster tests: `gridhub serve` nodes sharing PostgreSQL and Redis."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from tests import services

FAST_HASHING = {
    "GRIDHUB_AUTH__HASH_TIME_COST": "1",
    "GRIDHUB_AUTH__HASH_MEMORY_KIB": "1024",
    "GRIDHUB_AUTH__HASH_PARALLELISM": "1",
}
START_DEADLINE_S = 120.0  # a node starts in seconds; a CI machine under load can take a minute


@dataclass
class Node:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def kill(self) -> None:
        """SIGKILL: the node gets no chance to clean up."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()


@dataclass
class Cluster:
    """Nodes of one deployment; every node gets the same database, Redis and settings."""

    database_url: str
    redis_url: str
    workdir: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    nodes: dict[str, Node] = field(default_factory=dict)

    def env(self, node_id: str = "") -> dict[str, str]:
        env = {**os.environ, **FAST_HASHING, **self.extra_env}
        env.update(
            GRIDHUB_DATABASE_URL=self.database_url,
            GRIDHUB_REDIS_URL=self.redis_url,
            GRIDHUB_LOG_LEVEL="WARNING",
        )
        if node_id:
            env["GRIDHUB_NODE_ID"] = node_id
        return env

    def gridhub(self, *args: str) -> subprocess.CompletedProcess[bytes]:
        command = [sys.executable, "-m", "hub", *args, "--data-dir", str(self.workdir)]
        return subprocess.run(command, env=self.env(), capture_output=True, timeout=120, check=True)

    async def start(self, name: str, port: int | None = None) -> Node:
        """Start node `name` (again, on the same `port` if given: a restart)."""
        node = self.spawn(name, port)
        await wait_healthy(node)
        return node

    async def start_together(self, *names: str) -> list[Node]:
        """Start every process before waiting for any: they reach start-up together."""
        nodes = [self.spawn(name) for name in names]
        await asyncio.gather(*(wait_healthy(node) for node in nodes))
        return nodes

    def spawn(self, name: str, port: int | None = None) -> Node:
        port = port or services.free_port()
        log = self.workdir / f"{name}.log"
        command = [
            sys.executable,
            "-m",
            "hub",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--data-dir",
            str(self.workdir),
        ]
        node = Node(name, port, _spawn(command, self.env(name), log), log)
        self.nodes[name] = node
        return node

    def stop_all(self) -> None:
        for node in self.nodes.values():
            node.stop()


def _spawn(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)


async def wait_healthy(node: Node) -> None:
    """Poll /healthz until the node answers (bounded); fail with its log otherwise."""
    deadline = time.monotonic() + START_DEADLINE_S
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline:
            if node.process.poll() is not None:
                break
            try:
                async with http.get(node.url + "/healthz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError(f"node {node.name} did not start:\n{node.log.read_text()[-3000:]}")


@contextlib.contextmanager
def deployment(
    postgres_server: str,
    tmp_path: Path,
    prefix: str,
    extra_env: dict[str, str],
    demo: bool = True,
) -> Iterator[Cluster]:
    """A fresh database and private Redis, with the demo county seeded unless `demo` is false;
    nodes stopped after."""
    (tmp_path / "redis").mkdir()
    with (
        services.fresh_database(postgres_server, prefix) as database_url,
        services.redis_server(tmp_path / "redis") as redis_url,
    ):
        cluster = Cluster(database_url, redis_url, tmp_path / "hub", extra_env=extra_env)
        cluster.workdir.mkdir()
        if demo:
            cluster.gridhub("seed-demo")
        try:
            yield cluster
        finally:
            cluster.stop_all()
