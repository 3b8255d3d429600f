"""A real RTSP camera for tests: tests/media/rtsp_camera.py (Debian's GStreamer RTSP server) in
its own process on a loopback port, killed and started again at will."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

SERVER = Path(__file__).with_name("rtsp_camera.py")
SYSTEM_PYTHON = "/usr/bin/python3"  # Debian's gi bindings are not in the venv
READY_S = 10.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


class RtspCamera:
    """rtsp://127.0.0.1:<port>/cam, H.264 pictures and (unless --no-audio) G.711 sound."""

    def __init__(self, port: int, *flags: str) -> None:
        self.port, self.flags = port, flags
        self.process: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        return f"rtsp://127.0.0.1:{self.port}/cam"

    async def start(self) -> None:
        """Start the server and wait until it listens (it says `ready`)."""
        self.process = await asyncio.create_subprocess_exec(
            SYSTEM_PYTHON, str(SERVER), str(self.port), *self.flags, stdout=asyncio.subprocess.PIPE
        )
        assert self.process.stdout is not None
        line = await asyncio.wait_for(self.process.stdout.readline(), READY_S)
        assert line == b"ready\n", line

    async def kill(self) -> None:
        process, self.process = self.process, None
        if process is not None and process.returncode is None:
            process.kill()
            await process.wait()
