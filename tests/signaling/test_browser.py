"""A real Chromium joins a 1:1 call with an aiortc peer through the hub's signaling.

The call runs (hub, aiortc peer, Chromium: tests/signaling/browser_call.py under pytest) inside
a network namespace made for it with only `lo` up, so every packet stays on 127.0.0.1; the
namespace is deleted afterwards and whatever still runs in it is killed by PID.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.signaling.browser_call import INSIDE

ROOT = Path(__file__).resolve().parents[2]
INNER = Path(__file__).with_name("browser_call.py")
LIMIT_S = 180


def ip(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["ip", *args], capture_output=True, text=True, timeout=30)


@pytest.fixture
def namespace() -> Iterator[str]:
    if not Path("/usr/bin/chromium").exists():
        pytest.fail("Debian chromium is not installed (scripts/setup installs it)")
    name = f"gridhub-sig-{os.getpid()}"
    made = ip("netns", "add", name)
    if made.returncode != 0:
        if "Operation not permitted" in made.stderr or os.geteuid() != 0:
            pytest.skip(f"cannot create a network namespace here: {made.stderr.strip()}")
        raise AssertionError(f"ip netns add failed: {made.stderr}")
    try:
        up = ip("netns", "exec", name, "ip", "link", "set", "lo", "up")
        assert up.returncode == 0, up.stderr
        yield name
    finally:
        for pid in ip("netns", "pids", name).stdout.split():
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(pid), signal.SIGKILL)
        ip("netns", "del", name)


async def test_chromium_joins_a_call_with_an_aiortc_peer(namespace: str) -> None:
    """Chromium <-> aiortc call, and a Chromium <-> Chromium call through an ICE restart."""
    command = [
        "netns", "exec", namespace,
        sys.executable, "-m", "pytest", str(INNER), "-q", "-p", "no:cacheprovider", "-x",
    ]  # fmt: skip
    inner = await asyncio.create_subprocess_exec(
        "ip", *command, cwd=ROOT, env={**os.environ, INSIDE: "1"},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    try:
        out, _ = await asyncio.wait_for(inner.communicate(), LIMIT_S)
    except TimeoutError:
        inner.kill()
        raise AssertionError(f"the calls in the namespace took over {LIMIT_S} s") from None
    text = out.decode(errors="replace")
    assert inner.returncode == 0, text[-6000:]
    assert "2 passed" in text
