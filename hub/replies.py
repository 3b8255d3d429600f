"""Bounds on what one reply carries, so a small request can never ask for a huge answer.

A request names at most so many things (each list in an input model has a `max_length`), names
each thing once (`distinct`), and its reply stops at a `Budget` of items and JSON bytes; a
reply that stopped early says so (`more`) and where to go on from. See docs/security.md,
"Real-time rooms and channels", for the numbers.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")

REPLY_MAX_BYTES = 512 * 1024  # JSON bytes of the rows of one reply (about half a frame)


def json_size(value: Any) -> int:
    """Bytes of `value` as Socket.IO sends it (compact JSON, non-ASCII escaped)."""
    return len(json.dumps(value, separators=(",", ":"), default=str))


def distinct(items: Iterable[T], key: Callable[[T], Hashable]) -> list[T]:
    """`items` with repeats of a key dropped (the first one stays), in order."""
    seen: set[Hashable] = set()
    out: list[T] = []
    for item in items:
        if key(item) not in seen:
            seen.add(key(item))
            out.append(item)
    return out


@dataclass(slots=True)
class Budget:
    """What is left of one reply: rows and their JSON bytes."""

    rows: int
    bytes: int = REPLY_MAX_BYTES
    taken: int = 0

    def take(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The leading `rows` that still fit (always at least one row per reply, so a client
        paging on always makes progress)."""
        fitted: list[dict[str, Any]] = []
        for row in rows:
            size = json_size(row)
            if self.rows <= 0 or (size > self.bytes and self.taken):
                break
            fitted.append(row)
            self.rows, self.bytes, self.taken = self.rows - 1, self.bytes - size, self.taken + 1
        return fitted
