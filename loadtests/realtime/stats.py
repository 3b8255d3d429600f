"""Exact percentiles from collected samples, and the printed results table."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any


def percentile(sorted_samples: Sequence[float], p: float) -> float:
    """Nearest-rank percentile of already sorted samples (p in 0..100); NaN when empty."""
    if not sorted_samples:
        return math.nan
    rank = max(1, math.ceil(p / 100.0 * len(sorted_samples)))
    return float(sorted_samples[rank - 1])


def latency_summary(samples_s: Iterable[float]) -> dict[str, float | int]:
    """Count, p50, p99, max of latencies given in seconds, reported in milliseconds."""
    ordered = sorted(samples_s)
    return {
        "count": len(ordered),
        "p50_ms": round(percentile(ordered, 50) * 1000, 3),
        "p99_ms": round(percentile(ordered, 99) * 1000, 3),
        "max_ms": round(ordered[-1] * 1000, 3) if ordered else math.nan,
    }


def fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.3f}" if abs(value) < 100 else f"{value:,.1f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def table(title: str, rows: Sequence[tuple[str, Any]]) -> str:
    """A two-column text table: metric and value."""
    width = max((len(name) for name, _ in rows), default=10)
    lines = [f"== {title} ==", f"{'metric':<{width}}  value", f"{'-' * width}  {'-' * 16}"]
    lines += [f"{name:<{width}}  {fmt(value)}" for name, value in rows]
    return "\n".join(lines)


def flatten(prefix: str, data: dict[str, Any]) -> list[tuple[str, Any]]:
    """Nested result dicts → dotted (name, value) rows for the table."""
    rows: list[tuple[str, Any]] = []
    for key, value in data.items():
        name = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict):
            rows += flatten(name, value)
        elif not isinstance(value, list):
            rows.append((name, value))
    return rows
