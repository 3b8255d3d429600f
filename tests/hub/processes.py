"""Running the `gridhub` command as a real subprocess (click's CliRunner cannot: the command
runs its own event loop)."""

from __future__ import annotations

import asyncio
import os
import sys
from dataclasses import dataclass
from pathlib import Path

GRIDHUB = [sys.executable, "-m", "hub"]
TIMEOUT = 60


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without any GRIDHUB_* settings of the caller, plus fast hashing."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRIDHUB_")}
    env.update(
        GRIDHUB_AUTH__HASH_TIME_COST="1",
        GRIDHUB_AUTH__HASH_MEMORY_KIB="1024",
        GRIDHUB_AUTH__HASH_PARALLELISM="1",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


async def gridhub(*args: str | Path, env: dict[str, str] | None = None) -> Result:
    process = await asyncio.create_subprocess_exec(
        *GRIDHUB,
        *map(str, args),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env or clean_env(),
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), TIMEOUT)
    finally:
        if process.returncode is None:  # timed out: do not leave it behind
            process.kill()
            await process.wait()
    assert process.returncode is not None
    return Result(process.returncode, out.decode(), err.decode())


async def ok(*args: str | Path, env: dict[str, str] | None = None) -> str:
    result = await gridhub(*args, env=env)
    assert result.code == 0, result
    return result.out
