"""The MQTT bridge's watchdog: what /healthz and /metrics say about it.

The bridge reports each connect, disconnect, message and failure here. /healthz marks the
bridge (and so the node) `degraded` once it has been disconnected for longer than
`down_after_s`; /metrics exports the same state as a gauge and counters, read at scrape time.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from hub.sdk import Health

PREFIX = "gridhub_alarms_mqtt"


class BridgeWatch:
    """The bridge's state; also a Prometheus collector (register it on a registry)."""

    def __init__(self, down_after_s: float) -> None:
        self.down_after_s = down_after_s
        self.connected = False
        self.changed_at = time.monotonic()  # when `connected` last changed (start: down)
        self.sessions = 0  # successful connections
        self.messages = 0
        self.errors = 0  # messages that could not be taken (refused or failed)
        self.last_message_at: float | None = None  # epoch seconds
        self.last_error = ""
        self.last_error_at: float | None = None

    @property
    def reconnects(self) -> int:
        return max(0, self.sessions - 1)

    def up(self) -> None:
        self.connected, self.changed_at = True, time.monotonic()
        self.sessions += 1

    def down(self, error: str) -> None:
        if self.connected:
            self.connected, self.changed_at = False, time.monotonic()
        self._note(error)

    def message(self) -> None:
        self.messages += 1
        self.last_message_at = time.time()

    def failed(self, error: str) -> None:
        self.errors += 1
        self._note(error)

    def _note(self, error: str) -> None:
        self.last_error, self.last_error_at = error[:200], time.time()

    def down_for_s(self) -> float:
        return 0.0 if self.connected else time.monotonic() - self.changed_at

    def health(self) -> Health:
        down_for = self.down_for_s()
        details: dict[str, Any] = {
            "connected": self.connected,
            "down_for_s": round(down_for, 1),
            "reconnects": self.reconnects,
            "messages": self.messages,
            "errors": self.errors,
            "last_message_at": _iso(self.last_message_at),
            "last_error": self.last_error or None,
            "last_error_at": _iso(self.last_error_at),
        }
        return Health(ok=down_for <= self.down_after_s, details=details)

    def collect(self) -> Iterator[Metric]:
        yield GaugeMetricFamily(
            f"{PREFIX}_connected", "1 while the MQTT bridge is connected", value=self.connected
        )
        yield GaugeMetricFamily(
            f"{PREFIX}_down_seconds", "How long the bridge has been disconnected", self.down_for_s()
        )
        for name, help_text, value in (
            ("messages", "MQTT messages the bridge received", self.messages),
            ("errors", "MQTT messages refused or failed", self.errors),
            ("reconnects", "Times the bridge connected again after losing the broker",
             self.reconnects),
        ):  # fmt: skip
            yield CounterMetricFamily(f"{PREFIX}_{name}", help_text, value=value)
        if self.last_message_at is not None:
            yield GaugeMetricFamily(
                f"{PREFIX}_last_message_timestamp_seconds",
                "When the bridge last received a message (epoch seconds)",
                value=self.last_message_at,
            )


def _iso(at: float | None) -> str | None:
    return None if at is None else datetime.fromtimestamp(at, UTC).isoformat()
