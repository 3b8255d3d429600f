"""WebRTC tests with every packet on 127.0.0.1: a pytest module run inside a network namespace
that has only `lo` up (hub, aiortc peers and Chromium all inside it).

The outer test asks for the `loopback_netns` fixture (tests/conftest.py) and hands the inner
module to `pytest_inside`; the namespace is deleted afterwards and whatever still runs in it is
killed by PID.
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

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")


def ip(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["ip", *args], capture_output=True, text=True, timeout=30)


@contextlib.contextmanager
def loopback_namespace(prefix: str) -> Iterator[str]:
    """A fresh namespace with only `lo` up; skipped only where namespaces cannot be made."""
    if not CHROMIUM.exists():
        pytest.fail("Debian chromium is not installed (scripts/setup installs it)")
    name = f"{prefix}-{os.getpid()}"
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


async def pytest_inside(namespace: str, module: Path, inside_env: str, limit_s: float) -> str:
    """Run `module` under pytest in the namespace (`inside_env`=1); its output, once green."""
    command = [
        "netns", "exec", namespace,
        sys.executable, "-m", "pytest", str(module), "-q", "-p", "no:cacheprovider", "-x",
    ]  # fmt: skip
    inner = await asyncio.create_subprocess_exec(
        "ip", *command, cwd=ROOT, env={**os.environ, inside_env: "1"},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    try:
        out, _ = await asyncio.wait_for(inner.communicate(), limit_s)
    except TimeoutError:
        inner.kill()
        raise AssertionError(f"{module.name} in the namespace took over {limit_s} s") from None
    text = out.decode(errors="replace")
    assert inner.returncode == 0, text[-6000:]
    return text
