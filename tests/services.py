"""Throw-away PostgreSQL databases and Redis servers for the test suite.

PostgreSQL is found in this order:

* ``GRIDHUB_TEST_POSTGRES_URL`` — a server URL such as
  ``postgresql://postgres@127.0.0.1:5432/postgres``; it must answer;
* a server answering on 127.0.0.1:5432 as user ``postgres`` without a password;
* a private cluster (initdb + pg_ctl) in a temporary directory, stopped and deleted afterwards.

``GRIDHUB_TEST_POSTGRES_PRIVATE=1`` always uses a private cluster and ignores both of the above.
Redis is always a private ``redis-server`` on a free port.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
from sqlalchemy.engine import make_url

SHARED_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
STARTUP_TIMEOUT = 60.0
CONNECT_ERRORS = (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError)

T = TypeVar("T")


class ServiceError(RuntimeError):
    """A service the tests need could not be found, started or used."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def run_async(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine on a private event loop in a worker thread (safe beside pytest-asyncio)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


def truthy(name: str) -> bool:
    """True when the environment variable is set to something other than '', 0, no or false."""
    return os.environ.get(name, "").strip().lower() not in ("", "0", "no", "false")


# --- PostgreSQL: URLs and databases ---------------------------------------------------------


def libpq_url(url: str, database: str | None = None) -> str:
    """A plain postgresql:// URL (what asyncpg accepts), optionally naming another database."""
    parsed = make_url(url).set(drivername="postgresql")
    if database is not None:
        parsed = parsed.set(database=database)
    return parsed.render_as_string(hide_password=False)


def sqlalchemy_url(server_url: str, database: str) -> str:
    """The postgresql+asyncpg:// URL of one database on the server."""
    parsed = make_url(server_url).set(drivername="postgresql+asyncpg", database=database)
    return parsed.render_as_string(hide_password=False)


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def unique_name(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:16]}"


async def _execute(server_url: str, *statements: str) -> None:
    conn = await asyncpg.connect(libpq_url(server_url), timeout=10)
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


def postgres_answers(server_url: str) -> bool:
    """True when a PostgreSQL server accepts us at server_url."""
    try:
        run_async(_execute(server_url, "SELECT 1"))
    except CONNECT_ERRORS:
        return False
    return True


def create_database(server_url: str, name: str) -> None:
    try:
        run_async(_execute(server_url, f"CREATE DATABASE {quote_ident(name)}"))
    except CONNECT_ERRORS as exc:
        raise ServiceError(f"cannot create database {name} on {server_url}: {exc}") from exc


async def _drop(server_url: str, name: str) -> None:
    conn = await asyncpg.connect(libpq_url(server_url), timeout=10)
    try:
        await conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = $1 AND pid <> pg_backend_pid()",
            name,
        )
        force = " WITH (FORCE)" if conn.get_server_version().major >= 13 else ""
        await conn.execute(f"DROP DATABASE IF EXISTS {quote_ident(name)}{force}")
    finally:
        await conn.close()


def drop_database(server_url: str, name: str) -> None:
    """Terminate the database's connections, then drop it."""
    run_async(_drop(server_url, name))


@contextmanager
def fresh_database(server_url: str, prefix: str) -> Iterator[str]:
    """Yield the postgresql+asyncpg URL of a new empty database; drop it afterwards."""
    name = unique_name(prefix)
    create_database(server_url, name)
    try:
        yield sqlalchemy_url(server_url, name)
    finally:
        drop_database(server_url, name)


# --- PostgreSQL: which server -----------------------------------------------------------------


def external_postgres() -> str | None:
    """The URL of a server to borrow (see the module docstring), or None for a private one."""
    if truthy("GRIDHUB_TEST_POSTGRES_PRIVATE"):
        return None
    explicit = os.environ.get("GRIDHUB_TEST_POSTGRES_URL", "").strip()
    if not explicit:
        return SHARED_POSTGRES if postgres_answers(SHARED_POSTGRES) else None
    if not postgres_answers(explicit):
        raise ServiceError(f"GRIDHUB_TEST_POSTGRES_URL={explicit} does not accept connections")
    return explicit


@contextmanager
def postgres_server() -> Iterator[str]:
    """Yield the admin URL of a server the tests may create and drop databases on."""
    url = external_postgres()
    if url is not None:
        yield url
        return
    cluster = start_private_postgres()
    try:
        yield cluster.url
    finally:
        stop_private_postgres(cluster)


# --- PostgreSQL: private cluster ----------------------------------------------------------------


@dataclass(frozen=True)
class PrivatePostgres:
    root: Path
    bindir: Path
    port: int

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def log(self) -> Path:
        return self.root / "postgres.log"

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"


def postgres_bindir() -> Path:
    """The bin directory of the newest installed PostgreSQL server."""
    initdbs = Path("/usr/lib/postgresql").glob("*/bin/initdb")
    newest = max(initdbs, key=lambda p: _version(p.parent.parent.name), default=None)
    if newest is None:
        found = shutil.which("initdb")
        if found is None:
            raise ServiceError("PostgreSQL server binaries (initdb) not found; run scripts/setup")
        newest = Path(found)
    return newest.parent


def _version(name: str) -> tuple[int, ...]:
    return tuple(int(part) for part in name.split(".") if part.isdigit())


def as_postgres(cmd: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root, so root runs it as the postgres user."""
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


def _run(cmd: list[str], cwd: Path, what: str) -> None:
    result = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        output = (result.stdout + result.stderr).strip()
        raise ServiceError(f"{what} failed (exit {result.returncode}): {' '.join(cmd)}\n{output}")


def _private_root() -> Path:
    """A temp dir the server user owns; under /tmp so the socket path stays short."""
    parent = "/tmp" if Path("/tmp").is_dir() else None
    root = Path(tempfile.mkdtemp(prefix="gridhub-pg-", dir=parent))
    if os.geteuid() == 0:
        try:
            shutil.chown(root, "postgres", "postgres")
        except LookupError as exc:
            shutil.rmtree(root, ignore_errors=True)
            raise ServiceError("no user 'postgres' to run a private cluster as") from exc
    return root


def start_private_postgres() -> PrivatePostgres:
    """initdb and start a trust-auth cluster on a free port of 127.0.0.1."""
    cluster = PrivatePostgres(_private_root(), postgres_bindir(), free_port())
    try:
        _initdb(cluster)
        _pg_start(cluster)
    except BaseException:
        stop_private_postgres(cluster)
        raise
    return cluster


def _initdb(cluster: PrivatePostgres) -> None:
    cmd = [str(cluster.bindir / "initdb"), "-D", str(cluster.data), "-U", "postgres"]
    cmd += ["--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync"]
    _run(as_postgres(cmd), cluster.root, "initdb")


def _pg_start(cluster: PrivatePostgres) -> None:
    options = f"-h 127.0.0.1 -p {cluster.port} -k {cluster.root}"
    options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    cmd = [str(cluster.bindir / "pg_ctl"), "-D", str(cluster.data), "-l", str(cluster.log)]
    cmd += ["-w", "-t", str(int(STARTUP_TIMEOUT)), "-o", options, "start"]
    try:
        _run(as_postgres(cmd), cluster.root, "pg_ctl start")
    except ServiceError as exc:
        raise ServiceError(f"{exc}\n--- {cluster.log}:\n{_tail(cluster.log)}") from exc


def stop_private_postgres(cluster: PrivatePostgres) -> None:
    """Stop the cluster (if it runs) and delete its directory."""
    if (cluster.data / "postmaster.pid").exists():
        cmd = [str(cluster.bindir / "pg_ctl"), "-D", str(cluster.data), "-m", "fast", "-w", "stop"]
        subprocess.run(as_postgres(cmd), cwd=cluster.root, capture_output=True, check=False)
    shutil.rmtree(cluster.root, ignore_errors=True)


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError as exc:
        return f"(unreadable: {exc})"


# --- Redis ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RedisServer:
    process: subprocess.Popen[bytes]
    port: int
    workdir: Path

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def log(self) -> Path:
        return self.workdir / "redis.log"


def start_redis(workdir: Path) -> RedisServer:
    """Start a private, non-persistent redis-server on a free port and wait until it answers."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise ServiceError("redis-server not found; run scripts/setup")
    port = free_port()
    cmd = [binary, "--port", str(port), "--bind", "127.0.0.1", "--daemonize", "no"]
    cmd += ["--save", "", "--appendonly", "no", "--dir", str(workdir)]
    with (workdir / "redis.log").open("wb") as log:
        process = subprocess.Popen(cmd, cwd=workdir, stdout=log, stderr=subprocess.STDOUT)
    server = RedisServer(process, port, workdir)
    try:
        _wait_for_redis(server)
    except BaseException:
        stop_redis(server)
        raise
    return server


def redis_answers(port: int) -> bool:
    """True when a Redis server on 127.0.0.1:port replies to PING."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


def _wait_for_redis(server: RedisServer) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while not redis_answers(server.port):
        if (code := server.process.poll()) is not None:
            raise ServiceError(f"redis-server exited ({code}):\n{_tail(server.log)}")
        if time.monotonic() > deadline:
            raise ServiceError(f"redis-server did not answer PING in {STARTUP_TIMEOUT:.0f}s")
        time.sleep(0.02)


def stop_redis(server: RedisServer) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


@contextmanager
def redis_server(workdir: Path) -> Iterator[str]:
    """Yield the URL of a private Redis server; stop it afterwards."""
    server = start_redis(workdir)
    try:
        yield server.url
    finally:
        stop_redis(server)
