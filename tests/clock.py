"""A settable clock for the code under test that takes `clock: Callable[[], float]`."""

from __future__ import annotations


class FakeClock:
    """Reads `now`; a test moves time by setting it."""

    def __init__(self, now: float = 1_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now
