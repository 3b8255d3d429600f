"""A private coturn for tests: Debian's turnserver in the foreground, loopback only, free ports,
no configuration file from /etc (`-n`), TURN REST credentials (`use-auth-secret`) with the
hub's secret. Ready once it answers a STUN Binding request."""

from __future__ import annotations

import asyncio
import shutil
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from aioice import stun

TURNSERVER = "/usr/bin/turnserver"
LOOPBACK = "127.0.0.1"
RELAY_PORTS = 64
READY_S = 15.0


@dataclass
class Coturn:
    port: int
    relay_ports: range
    log: Path

    @property
    def url(self) -> str:
        return f"turn:{LOOPBACK}:{self.port}?transport=udp"


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def arguments(
    port: int, relay: range, secret: str, workdir: Path, config: Path | None
) -> list[str]:
    # no /etc/turnserver.conf: everything is on this command line (after `config`, if given)
    return [
        TURNSERVER,
        *(["-c", str(config)] if config else ["-n"]),
        f"--listening-ip={LOOPBACK}",
        f"--relay-ip={LOOPBACK}",
        f"--listening-port={port}",
        f"--min-port={relay.start}",
        f"--max-port={relay.stop - 1}",
        "--use-auth-secret",
        f"--static-auth-secret={secret}",
        "--realm=gridhub.test",
        "--allow-loopback-peers",  # both parties are on 127.0.0.1 here
        "--no-tls",
        "--no-dtls",
        "--no-tcp",
        "--no-cli",
        "--fingerprint",
        f"--pidfile={workdir / 'turnserver.pid'}",
        f"--userdb={workdir / 'turndb'}",
        "--log-file=stdout",  # the caller sends stdout to turn.log
        "--simple-log",
        "--verbose",
    ]


async def stun_answers(port: int) -> bool:
    """One STUN Binding request to the server; True if it answered within a short wait."""
    loop = asyncio.get_running_loop()
    answered: asyncio.Future[None] = loop.create_future()

    class Probe(asyncio.DatagramProtocol):
        def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
            if not answered.done():
                answered.set_result(None)

    transport, _ = await loop.create_datagram_endpoint(Probe, remote_addr=(LOOPBACK, port))
    try:
        request = stun.Message(stun.Method.BINDING, stun.Class.REQUEST)
        transport.sendto(bytes(request))
        await asyncio.wait_for(answered, 0.2)
        return True
    except TimeoutError:
        return False
    finally:
        transport.close()


async def _ready(process: asyncio.subprocess.Process, server: Coturn) -> None:
    async with asyncio.timeout(READY_S):
        while not await stun_answers(server.port):
            if process.returncode is not None:
                raise RuntimeError(f"turnserver exited: {server.log.read_text()[-2000:]}")


@asynccontextmanager
async def coturn(workdir: Path, secret: str, config: Path | None = None) -> AsyncIterator[Coturn]:
    """coturn on loopback; `config` is a turnserver.conf whose ports, addresses, secret and log
    the command line overrides."""
    assert shutil.which(TURNSERVER), "coturn is not installed (scripts/setup installs it)"
    port, first = free_udp_port(), free_udp_port()
    relay = range(first, min(first + RELAY_PORTS, 65536))
    server = Coturn(port, relay, workdir / "turn.log")
    with server.log.open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            *arguments(port, relay, secret, workdir, config), stdout=log, stderr=log
        )
    try:
        await _ready(process, server)
        yield server
    finally:
        if process.returncode is None:
            process.terminate()
        await process.wait()
