"""The console's group call, push-to-talk and a 1:1 call to a phone, in Chromium.

media_inside.py runs under pytest inside a network namespace made for it with only `lo` up,
so every WebRTC packet stays on 127.0.0.1; the namespace is deleted afterwards and whatever
still runs in it is killed by PID (the namespace fixture of tests/signaling/test_browser.py).
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from tests.consoles.media_inside import INSIDE
from tests.signaling.test_browser import namespace  # noqa: F401  (fixture)

ROOT = Path(__file__).resolve().parents[2]
INNER = Path(__file__).with_name("media_inside.py")
LIMIT_S = 180


async def test_group_call_and_ptt_in_the_console(namespace: str) -> None:  # noqa: F811
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
        raise AssertionError(f"the console media test took over {LIMIT_S} s") from None
    text = out.decode(errors="replace")
    assert inner.returncode == 0, text[-6000:]
    assert "2 passed" in text
