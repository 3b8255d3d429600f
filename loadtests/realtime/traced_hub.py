"""`gridhub` with tracemalloc controls, for `loadtests.realtime.socket_memory`: SIGUSR1 starts
tracing (1 frame per allocation, enough to group by file and line, and cheap), SIGUSR2 writes a
snapshot after a garbage collection to $TRACE_DIR/snap-<n>.pickle, then marks it done-<n>."""

from __future__ import annotations

import gc
import os
import signal
import sys
import tracemalloc
from pathlib import Path
from types import FrameType

from hub.cli import main

taken = 0


def start(_signum: int, _frame: FrameType | None) -> None:
    tracemalloc.start(1)


def dump(_signum: int, _frame: FrameType | None) -> None:
    global taken
    gc.collect()
    out = Path(os.environ["TRACE_DIR"])
    tracemalloc.take_snapshot().dump(str(out / f"snap-{taken}.pickle"))
    (out / f"done-{taken}").touch()
    taken += 1


if __name__ == "__main__":
    signal.signal(signal.SIGUSR1, start)
    signal.signal(signal.SIGUSR2, dump)
    sys.argv[0] = "gridhub"
    sys.exit(main())
