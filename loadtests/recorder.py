"""What a run measures: latency histograms (HdrHistogram), counters, errors by code, gauges.

A client process keeps a :class:`Recorder` and drains it once a second into a JSON-able
interval (histograms encoded with HdrHistogram's own compressed format). The parent merges the
intervals of every process into an :class:`Aggregate`: one histogram per metric over the whole
run, and per second of the run the merged histograms, counts and gauges (for the charts).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from hdrh.histogram import HdrHistogram

LOWEST_US, HIGHEST_US, DIGITS = 1, 120_000_000, 3  # 1 µs .. 120 s, 3 significant digits


def new_histogram() -> HdrHistogram:
    return HdrHistogram(LOWEST_US, HIGHEST_US, DIGITS)


class Recorder:
    """One process's measurements since the last drain."""

    def __init__(self) -> None:
        self.histograms: dict[str, HdrHistogram] = {}
        self.counts: Counter[str] = Counter()
        self.errors: Counter[str] = Counter()
        self.gauges: dict[str, int] = {}

    def latency(self, name: str, seconds: float) -> None:
        """A latency sample in seconds (clamped to the histogram's range)."""
        hist = self.histograms.get(name)
        if hist is None:
            hist = self.histograms[name] = new_histogram()
        micros = int(seconds * 1_000_000) if math.isfinite(seconds) else HIGHEST_US
        hist.record_value(min(max(micros, LOWEST_US), HIGHEST_US))
        self.counts[name] += 1

    def count(self, name: str, n: int = 1) -> None:
        self.counts[name] += n

    def error(self, code: str, n: int = 1) -> None:
        self.errors[code[:80]] += n

    def gauge(self, name: str, value: int) -> None:
        self.gauges[name] = value

    def drain(self) -> dict[str, Any]:
        interval = {
            "histograms": {k: h.encode().decode("ascii") for k, h in self.histograms.items()},
            "counts": dict(self.counts),
            "errors": dict(self.errors),
            "gauges": dict(self.gauges),
        }
        self.histograms, self.counts, self.errors = {}, Counter(), Counter()
        return interval


def decode(encoded: dict[str, str]) -> dict[str, HdrHistogram]:
    return {name: HdrHistogram.decode(text.encode("ascii")) for name, text in encoded.items()}


def merge_into(target: dict[str, HdrHistogram], decoded: dict[str, HdrHistogram]) -> None:
    for name, other in decoded.items():
        hist = target.get(name)
        if hist is None:
            hist = target[name] = new_histogram()
        hist.add(other)


def percentiles(hist: HdrHistogram, wanted: tuple[float, ...]) -> list[int]:
    """Values at the percentiles, as HdrHistogram's get_value_at_percentile gives them, in one
    vectorised pass over the counts (the library walks them in Python for each percentile)."""
    cumulative = np.cumsum(np.ctypeslib.as_array(hist.counts)[: hist.counts_len])
    out = []
    for p in wanted:
        target = hist.get_target_count_at_percentile(p)
        index = int(np.searchsorted(cumulative, target))
        out.append(int(hist.get_highest_equivalent_value(hist.get_value_from_index(index))))
    return out


def summary(hist: HdrHistogram) -> dict[str, float | int]:
    """count, p50, p90, p99, max in milliseconds."""
    p50, p90, p99 = percentiles(hist, (50.0, 90.0, 99.0))
    return {
        "count": int(hist.get_total_count()),
        "p50_ms": p50 / 1000.0,
        "p90_ms": p90 / 1000.0,
        "p99_ms": p99 / 1000.0,
        "max_ms": hist.get_max_value() / 1000.0,
    }


@dataclass
class Second:
    histograms: dict[str, HdrHistogram] = field(default_factory=dict)
    counts: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    gauges: dict[int, dict[str, int]] = field(default_factory=dict)  # by process


@dataclass
class Aggregate:
    """Everything the client processes reported, merged."""

    totals: dict[str, HdrHistogram] = field(default_factory=dict)
    counts: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    seconds: dict[int, Second] = field(default_factory=dict)
    gauges: dict[int, dict[str, int]] = field(default_factory=dict)  # latest, by process

    def add(self, process: int, second: int, interval: dict[str, Any]) -> None:
        decoded = decode(interval["histograms"])
        merge_into(self.totals, decoded)
        self.counts.update(interval["counts"])
        self.errors.update(interval["errors"])
        self.gauges[process] = interval["gauges"]
        slot = self.seconds.setdefault(max(second, 0), Second())
        merge_into(slot.histograms, decoded)
        slot.counts.update(interval["counts"])
        slot.errors.update(interval["errors"])
        slot.gauges[process] = interval["gauges"]

    def gauge_totals(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for values in self.gauges.values():
            total.update(values)
        return total

    def latencies(self) -> dict[str, dict[str, float | int]]:
        return {name: summary(h) for name, h in sorted(self.totals.items())}

    def gauge_series(self) -> list[Counter[str]]:
        """Per second, the gauges summed over the processes (a process that reported nothing
        in a second keeps its last values)."""
        out, latest = [], {}
        for second in sorted(self.seconds):
            latest.update(self.seconds[second].gauges)
            total: Counter[str] = Counter()
            for values in latest.values():
                total.update(values)
            out.append(total)
        return out

    def series(self) -> dict[str, Any]:
        """Per second: latency p50/p99 per metric, counts per metric, gauges summed."""
        rows = []
        for second, gauges in zip(sorted(self.seconds), self.gauge_series(), strict=True):
            slot = self.seconds[second]
            rows.append(
                {
                    "t": second,
                    "latency": {
                        k: [v / 1000.0 for v in percentiles(h, (50.0, 99.0))]
                        for k, h in slot.histograms.items()
                    },
                    "counts": dict(slot.counts),
                    "errors": sum(slot.errors.values()),
                    "gauges": dict(gauges),
                }
            )
        return {"seconds": rows}
