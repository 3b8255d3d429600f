"""A small time-bounded cache for rows that rarely change (categories, people)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class TtlCache(Generic[K, V]):
    """Values kept for `ttl_s`: another node's change is seen within that time."""

    def __init__(self, ttl_s: float, limit: int = 10_000) -> None:
        self.ttl_s = ttl_s
        self.limit = limit
        self._items: dict[K, tuple[float, V]] = {}

    async def get(self, key: K, load: Callable[[K], Awaitable[V]]) -> V:
        now = time.monotonic()
        found = self._items.get(key)
        if found is not None and found[0] > now:
            return found[1]
        value = await load(key)
        if len(self._items) >= self.limit:
            self._items.clear()
        self._items[key] = (now + self.ttl_s, value)
        return value

    def peek(self, key: K) -> V | None:
        """The value if it is cached and fresh (no loading: for synchronous code)."""
        found = self._items.get(key)
        return found[1] if found is not None and found[0] > time.monotonic() else None

    def forget(self, key: K | None = None) -> None:
        if key is None:
            self._items.clear()
        else:
            self._items.pop(key, None)
