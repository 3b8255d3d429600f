"""The mediation ledger (台账) by level, type and period, its XLSX export, and the KPIs:
success rate, agreement performance rate, share resolved at village level, average days."""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl
from sqlalchemy import select

from hub.sdk import GridIndex, PluginContext, Principal, require_scope
from plugins.mediation import access
from plugins.mediation.agreement import TYPES
from plugins.mediation.models import Case
from plugins.mediation.schemas import LedgerQuery
from plugins.mediation.views import OPEN_STATES

STATES_ZH = {
    "pending": "待受理",
    "accepted": "调解中",
    "agreed": "已达成协议",
    "performed": "已履行",
    "failed": "调解失败",
    "referred": "已移交",
}
RISKS_ZH = {"low": "低", "medium": "中", "high": "高"}
PERFORMANCE_ZH = {"pending": "待履行", "performed": "已履行", "breached": "未履行"}
LEVELS_ZH = {"village": "村级", "town": "镇级", "county": "县级"}
REFERRALS_ZH = {"litigation": "诉讼", "arbitration": "仲裁", "petition": "信访"}
HEADERS = (
    "编号",
    "受理日期",
    "网格",
    "调解层级",
    "类型",
    "状态",
    "风险",
    "金额(元)",
    "结果",
    "结案日期",
)
CONCLUDED = frozenset({"agreed", "performed", "failed", "referred"})
SUCCESS = frozenset({"agreed", "performed"})


async def cases(ctx: PluginContext, who: Principal, query: LedgerQuery) -> list[Case]:
    index = ctx.grids.index
    require_scope(who, index, query.grid_id, access.LEDGER_ROLES)
    grids = index.scope_ids([query.grid_id])
    stmt = select(Case).where(Case.grid_id.in_(grids)).order_by(Case.created_at, Case.id)
    if query.level:
        stmt = stmt.where(Case.level == query.level)
    if query.type:
        stmt = stmt.where(Case.type == query.type)
    if query.since:
        stmt = stmt.where(Case.created_at >= query.since)
    if query.until:
        stmt = stmt.where(Case.created_at < query.until)
    async with ctx.sessions() as session:
        return list(await session.scalars(stmt))


def kpis(rows: list[Case]) -> dict[str, Any]:
    concluded = [c for c in rows if c.state in CONCLUDED]
    succeeded = [c for c in concluded if c.state in SUCCESS]
    judged = [c for c in rows if c.performance in {"performed", "breached"}]
    performed = [c for c in judged if c.performance == "performed"]
    at_village = [c for c in succeeded if c.resolved_level == "village"]
    durations = [
        (c.closed_at - c.created_at).total_seconds() / 86_400
        for c in rows
        if c.closed_at is not None
    ]
    return {
        "total": len(rows),
        "open": len(rows) - len(concluded),
        "concluded": len(concluded),
        "success_rate": _ratio(len(succeeded), len(concluded)),
        "performance_rate": _ratio(len(performed), len(judged)),
        "village_share": _ratio(len(at_village), len(succeeded)),
        "average_days": round(sum(durations) / len(durations), 1) if durations else None,
        "by_level": _count(rows, "level"),
        "by_type": _count(rows, "type"),
        "by_state": _count(rows, "state"),
        "open_by_level_risk": _open_by_level_risk(rows),
    }


def _open_by_level_risk(rows: list[Case]) -> dict[str, dict[str, int]]:
    """Cases still being worked (pending, accepted, failed), by committee level and risk."""
    table: dict[str, dict[str, int]] = {}
    for row in rows:
        if row.state in OPEN_STATES:
            by_risk = table.setdefault(row.level, {})
            by_risk[row.risk] = by_risk.get(row.risk, 0) + 1
    return table


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _count(rows: list[Case], attribute: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for row in rows:
        key = str(getattr(row, attribute))
        counts[key] = counts.get(key, 0) + 1
    return counts


def workbook(rows: list[Case], index: GridIndex, tz: ZoneInfo) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "调解台账"
    sheet.append(HEADERS)
    for case in rows:
        sheet.append(_row(case, index, tz))
    summary = book.create_sheet("统计")
    for key, value in kpis(rows).items():
        if not isinstance(value, dict):
            summary.append((key, value))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _row(case: Case, index: GridIndex, tz: ZoneInfo) -> tuple[Any, ...]:
    outcome = REFERRALS_ZH.get(case.referral or "") or PERFORMANCE_ZH.get(
        case.performance or "", ""
    )
    return (
        case.number,
        _date(case.created_at, tz),
        index.get(case.grid_id).name if case.grid_id in index else case.grid_id,
        LEVELS_ZH.get(case.level, case.level),
        TYPES.get(case.type, case.type),
        STATES_ZH.get(case.state, case.state),
        RISKS_ZH.get(case.risk, case.risk),
        None if case.amount_cents is None else case.amount_cents / 100,
        outcome,
        _date(case.closed_at, tz) if case.closed_at else "",
    )


def _date(at: datetime, tz: ZoneInfo) -> str:
    return at.astimezone(tz).strftime("%Y-%m-%d")
