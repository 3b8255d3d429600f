"""The field app's 1:1 calls in Chromium, with every packet on 127.0.0.1.

The call (hub, two Chromium contexts: tests/consoles/field_calls.py under pytest) runs inside a
network namespace made for it with only `lo` up; the namespace is deleted afterwards and
whatever still runs in it is killed by PID.
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

from tests.consoles.browser import require_dist
from tests.consoles.field_calls import INSIDE

ROOT = Path(__file__).resolve().parents[2]
INNER = Path(__file__).with_name("field_calls.py")
LIMIT_S = 120


def ip(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["ip", *args], capture_output=True, text=True, timeout=30)


@pytest.fixture
def namespace() -> Iterator[str]:
    require_dist()
    name = f"gridhub-field-{os.getpid()}"
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


async def test_field_app_calls_on_loopback(namespace: str) -> None:
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
        raise AssertionError(f"the call in the namespace took over {LIMIT_S} s") from None
    text = out.decode(errors="replace")
    assert inner.returncode == 0, text[-6000:]
    assert "2 passed" in text
