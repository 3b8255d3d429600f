"""`gridhub serve` and `gridhub demo` as real processes: first start creates and prints an admin,
SIGTERM is clean, the demo county is usable at once."""

from __future__ import annotations

import asyncio
import re
import signal
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import socketio

from hub.demo_data import DEMO_PASSWORD, demo_grids
from loadtests.realtime.wire import open_wire_receiver
from tests.hub.processes import GRIDHUB, clean_env
from tests.services import free_port

STARTUP_DEADLINE = 60.0
POLL_S = 0.01  # how often a client waiting for a starting hub asks again
ADMIN_LINE = re.compile(r"Created the first admin: username (\S+)\s+password (\S+)")


@dataclass
class Served:
    process: asyncio.subprocess.Process
    port: int
    lines: list[str]  # stdout up to and including the "listening" line


class PortTaken(Exception):
    """Another process bound the free port between our check and the hub's bind."""


async def _start(
    command: str, data_dir: Path, port: int, log: Path, stdout: int
) -> asyncio.subprocess.Process:
    """`gridhub <command>` on 127.0.0.1:`port`, its stderr appended to `log`."""
    with log.open("ab") as stderr:
        return await asyncio.create_subprocess_exec(
            *GRIDHUB,
            *(command, "--data-dir", str(data_dir), "--host", "127.0.0.1", "--port", str(port)),
            stdout=stdout,
            stderr=stderr,
            env=clean_env(),
        )


@asynccontextmanager
async def serving(data_dir: Path, log: Path, command: str = "serve") -> AsyncIterator[Served]:
    """Start `gridhub serve` (or `demo`) on a free port and yield it once it is listening."""
    for _ in range(3):
        port = free_port()
        process = await _start(command, data_dir, port, log, asyncio.subprocess.PIPE)
        try:
            lines = await _read_until_listening(process, log)
        except PortTaken:
            await process.wait()
            continue
        except BaseException:
            await _kill(process)
            raise
        try:
            yield Served(process, port, lines)
        finally:
            await _kill(process)
        return
    raise AssertionError(f"no free port after three tries; stderr:\n{_tail(log)}")


async def _kill(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        process.kill()
        await process.wait()


async def _read_until_listening(process: asyncio.subprocess.Process, log: Path) -> list[str]:
    assert process.stdout is not None
    deadline = time.monotonic() + STARTUP_DEADLINE
    lines: list[str] = []
    while True:
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"no listening line; stdout {lines}; stderr:\n{_tail(log)}"
        raw = await asyncio.wait_for(process.stdout.readline(), remaining)
        if not raw:
            if "address already in use" in _tail(log).lower():
                raise PortTaken
            raise AssertionError(f"serve exited early; stdout {lines}; stderr:\n{_tail(log)}")
        lines.append(raw.decode().rstrip("\n"))
        if "is listening on" in lines[-1]:
            return lines


def _tail(log: Path) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-30:])


async def _stop(process: asyncio.subprocess.Process) -> int:
    process.send_signal(signal.SIGTERM)
    return await asyncio.wait_for(process.wait(), 30)


async def _login(port: int, username: str, password: str) -> int:
    async with aiohttp.ClientSession() as http:
        response = await http.post(
            f"http://127.0.0.1:{port}/api/v1/auth/login",
            json={"username": username, "password": password},
        )
        return response.status


async def test_first_start_prints_an_admin_password_once(tmp_path: Path) -> None:
    data_dir, log = tmp_path / "data", tmp_path / "serve.log"
    async with serving(data_dir, log) as served:
        url = f"http://127.0.0.1:{served.port}"
        assert served.lines[-1] == f"GridHub is listening on {url}  (health: {url}/healthz)"
        matches = [m for m in map(ADMIN_LINE.search, served.lines) if m]
        assert len(matches) == 1, served.lines
        username, password = matches[0].groups()
        assert username == "admin"
        assert len(password) >= 12
        async with aiohttp.ClientSession() as http:
            health = await http.get(f"{url}/healthz")
            assert health.status == 200
            assert (await health.json())["status"] == "ok"
        assert await _login(served.port, "admin", password) == 200
        assert await _login(served.port, "admin", password + "x") == 401
        assert await _stop(served.process) == 0

    async with serving(data_dir, log) as served:
        assert not any("password" in line for line in served.lines), served.lines
        assert await _login(served.port, "admin", password) == 200
        assert await _stop(served.process) == 0


async def test_a_fresh_demo_answers_only_once_it_is_seeded(tmp_path: Path) -> None:
    # The readiness signal (README): the port opens once the county is seeded and the first
    # admin exists, so the first /healthz answer a polling client gets is from a ready hub.
    data_dir, log = tmp_path / "data", tmp_path / "demo.log"
    for _ in range(3):
        port = free_port()
        process = await _start("demo", data_dir, port, log, asyncio.subprocess.DEVNULL)
        try:
            health = await _first_health(process, port, log)
            if health is None:  # another process took the port first
                continue
            assert health["grids"] == len(demo_grids()["features"]), health
            assert await _login(port, "w01", DEMO_PASSWORD) == 200
            return
        finally:
            await _kill(process)
    raise AssertionError(f"no free port after three tries; stderr:\n{_tail(log)}")


async def _first_health(
    process: asyncio.subprocess.Process, port: int, log: Path
) -> dict[str, Any] | None:
    """The first answer of /healthz, asked as soon as the process starts, as a client that
    waits for the hub would (None: the port was taken)."""
    deadline = time.monotonic() + STARTUP_DEADLINE
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline:
            if process.returncode is not None:
                if "address already in use" in _tail(log).lower():
                    return None
                raise AssertionError(f"demo exited early; stderr:\n{_tail(log)}")
            try:
                async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                    assert response.status == 200
                    body: dict[str, Any] = await response.json()
                    return body
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(POLL_S)  # nothing listens yet: a client can only ask again
    raise AssertionError(f"/healthz never answered; stderr:\n{_tail(log)}")


async def test_demo_first_start_puts_workers_in_their_grid_channels(tmp_path: Path) -> None:
    # The seed writes people after the grid channels exist; the members must follow at once,
    # not only after a restart.
    data_dir, log = tmp_path / "data", tmp_path / "demo.log"
    async with serving(data_dir, log, command="demo") as served:
        url = f"http://127.0.0.1:{served.port}"
        async with aiohttp.ClientSession() as http:
            response = await http.post(
                f"{url}/api/v1/auth/login", json={"username": "w01", "password": DEMO_PASSWORD}
            )
            token = (await response.json())["access_token"]
        client = socketio.AsyncClient()
        await client.connect(url, auth={"token": token}, transports=["websocket"])
        try:
            reply = await client.call("channel.list", {}, timeout=10)
        finally:
            await client.disconnect()
        grid_channels = [c["name"] for c in reply["channels"] if c["kind"] == "grid"]
        assert "东庄村第一网格" in grid_channels, reply


async def test_sigterm_closes_open_sockets_so_clients_reconnect_elsewhere(tmp_path: Path) -> None:
    # aiohttp's shutdown waits for running handlers, and a socket's handler runs while it is
    # open: a hub with clients used to take its whole shutdown timeout (60 s) to stop. Sockets
    # must be closed at engine.io level (packet "1"), after which socket.io clients reconnect;
    # a socket.io disconnect (packet "41", "io server disconnect") would leave them
    # disconnected for good.
    data_dir, log = tmp_path / "data", tmp_path / "serve.log"
    async with serving(data_dir, log) as served, aiohttp.ClientSession() as http:
        url = f"http://127.0.0.1:{served.port}"
        password = next(m for m in map(ADMIN_LINE.search, served.lines) if m).group(2)
        response = await http.post(
            f"{url}/api/v1/auth/login", json={"username": "admin", "password": password}
        )
        token = (await response.json())["access_token"]
        websocket = await open_wire_receiver(url, {"token": token})
        await asyncio.wait_for(_served_socket_count(http, url, 1), 10)
        assert await _stop(served.process) == 0
        await asyncio.wait_for(websocket.wait_closed(), 10)  # its bytes may be read after the exit
        assert websocket.close_reason == "engine.io close"


async def _served_socket_count(http: aiohttp.ClientSession, url: str, count: int) -> None:
    """Until the hub's /metrics shows `count` connected sockets (a poll: nothing to await)."""
    while True:
        async with http.get(f"{url}/metrics") as response:
            lines = (await response.text()).splitlines()
        gauge = [ln.split()[1] for ln in lines if ln.startswith("gridhub_socket_connections ")]
        if gauge and float(gauge[0]) == count:
            return
        await asyncio.sleep(POLL_S)
