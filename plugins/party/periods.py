"""Disclosure periods and when each is due.

财务 (finance) is disclosed monthly, 党务 and 村务 quarterly (the usual county rule); a period is
due by the `grace_days`-th day after it ends, in the deployment's time zone. A period is overdue
when that day has passed and the village has published nothing of the category for it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

CATEGORIES = ("party", "village", "finance")
MONTHLY = frozenset({"finance"})
PERIOD_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2]|Q[1-4])$")


@dataclass(frozen=True, slots=True)
class Period:
    code: str
    start: date
    end: date  # the first day after the period

    def due(self, grace_days: int) -> date:
        return self.end + timedelta(days=grace_days - 1)


def parse(code: str) -> Period:
    match = PERIOD_RE.match(code)
    if match is None:
        raise ValueError(f"{code!r} is not a period (2026-11 or 2026-Q4)")
    year, part = int(match[1]), match[2]
    if part.startswith("Q"):
        first_month = 3 * (int(part[1]) - 1) + 1
        return Period(code, date(year, first_month, 1), _month_after(year, first_month + 2))
    return Period(code, date(year, int(part), 1), _month_after(year, int(part)))


def _month_after(year: int, month: int) -> date:
    return date(year + month // 12, month % 12 + 1, 1)


def fits(category: str, code: str) -> bool:
    """Finance takes a month, the others a quarter."""
    return ("Q" in code) != (category in MONTHLY)


def periods_of(category: str, year: int) -> list[Period]:
    if category in MONTHLY:
        return [parse(f"{year}-{m:02d}") for m in range(1, 13)]
    return [parse(f"{year}-Q{q}") for q in range(1, 5)]


def today(zone: str, now: datetime | None = None) -> date:
    return (now or datetime.now(ZoneInfo(zone))).astimezone(ZoneInfo(zone)).date()
