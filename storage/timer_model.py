"""What a timer store returns: one timer as stored (shared by the SQL and Redis stores).

The hub's ``TimerStore`` protocol (hub/timers.py) is implemented structurally by
``storage.sql_timers.SqlTimerStore`` and ``storage.redis.timers.RedisTimerStore``; storage never
imports the hub, so the record type lives here.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class DueTimer:
    """A durable timer.

    ``id`` changes whenever (owner, key) is scheduled again, so a handler still running for a
    replaced timer can neither complete nor retry its successor. ``attempts`` counts earlier
    failed runs. ``claimed_by`` / ``claimed_until`` name the node holding the lease, if any.
    """

    id: str
    owner: str
    kind: str
    key: str
    fire_at: float
    payload: dict[str, Any] = field(default_factory=dict)
    attempts: int = 0
    claimed_by: str | None = None
    claimed_until: float | None = None


def new_timer_id() -> str:
    return uuid.uuid4().hex
