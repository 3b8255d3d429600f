"""The `record` tap of mixed rooms (group calls, push-to-talk): the full mix to an Opus file.

The mixer calls ``write`` on the worker's loop every 20 ms; encoding and file writes go to one
thread of the tap's own (one thread keeps the blocks in order). ``close`` finishes the file and
the room emits ``recording.ended`` with the tap's ``recording_id`` and the file's facts.

Tap args: ``path`` (absolute), ``recording_id`` (the hub's row).
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from media.protocol import ControlError
from media.recording.writer import BLOCK, MediaFile
from media.worker.rooms import PCM, RoomContext


class RecordTap:
    def __init__(self, ctx: RoomContext, path: Path, recording_id: str) -> None:
        self.ctx, self.recording_id = ctx, recording_id
        self.file = MediaFile(path)
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="record-tap")
        self._first_pts: int | None = None
        self._next = 0  # samples handed to the file
        self._closed = False

    def write(self, pcm: PCM, pts: int) -> None:
        if self._closed:
            return
        if self._first_pts is None:
            self._first_pts = pts
        at = pts - self._first_pts
        if at > self._next:  # the mixer skipped ticks: keep the file on the room's clock
            gap = at - self._next
            self._thread.submit(self.file.write_audio, np.zeros(gap - gap % BLOCK, np.int16))
            self._next += gap - gap % BLOCK
        self._thread.submit(self.file.write_audio, pcm.copy())
        self._next += len(pcm)

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        loop = asyncio.get_running_loop()
        facts = await loop.run_in_executor(self._thread, self.file.close)
        self._thread.shutdown(wait=False)
        self.ctx.emit("recording.ended", {"recording_id": self.recording_id, **asdict(facts)})


async def record_tap(ctx: RoomContext, args: dict[str, Any]) -> RecordTap:
    path, recording_id = args.get("path"), args.get("recording_id")
    if not isinstance(path, str) or not Path(path).is_absolute():
        raise ControlError("control.bad_args", "the record tap needs an absolute `path`")
    if not isinstance(recording_id, str) or not 0 < len(recording_id) <= 64:
        raise ControlError("control.bad_args", "the record tap needs a `recording_id`")
    return await asyncio.to_thread(RecordTap, ctx, Path(path), recording_id)


def register(registry: Any) -> None:
    """Worker extension hook (media.worker.registry.EXTENSIONS)."""
    registry.tap("record", record_tap)
