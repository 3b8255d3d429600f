"""The steps of a case: which states each accepts and what it changes (pure, on the row).

States: pending (待受理) → accepted (已受理) → agreed (已达成协议) → performed (已履行, closed);
accepted → failed (调解失败) → referred (已移交诉讼/仲裁/信访, closed); pending or failed may also
be escalated to the committee above (back to pending there) or referred at once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from hub.sdk import Conflict, GridIndex, utcnow
from plugins.mediation import schemas
from plugins.mediation.levels import above
from plugins.mediation.models import Case

OPEN = frozenset({"pending", "accepted", "failed"})


@dataclass
class Outcome:
    """What a step did, for the timeline and what follows the commit."""

    details: dict[str, Any] = field(default_factory=dict)
    concluded: str | None = None  # agreed | performed | breached | referred
    risk_raised: bool = False
    follow_up: bool = False  # schedule the follow-up visit
    risk_settled: bool = False  # cancel the risk timer


Mutate = Callable[[Case, Any, GridIndex], Outcome]


@dataclass(frozen=True)
class StepSpec:
    states: frozenset[str]
    model: type[BaseModel]
    mutate: Mutate


def require_state(case: Case, states: frozenset[str], action: str) -> None:
    if case.state not in states:
        raise Conflict(
            "mediation.bad_state", f"case {case.number} is {case.state}: cannot {action} now"
        )


def accept(case: Case, body: schemas.NoteIn, index: GridIndex) -> Outcome:
    case.state = "accepted"
    return Outcome({"note": body.note})


def assign(case: Case, body: schemas.AssignIn, index: GridIndex) -> Outcome:
    case.mediator_ids = sorted(set(body.mediator_ids))
    if case.state == "pending":
        case.state = "accepted"
    return Outcome({"mediator_ids": case.mediator_ids})


def escalate(case: Case, body: schemas.NoteIn, index: GridIndex) -> Outcome:
    upper = above(index, case.grid_id, case.level)
    if upper is None:
        raise Conflict("mediation.top_level", "the county committee has no level above it")
    previous = case.level
    case.level, case.level_grid_id = upper
    case.state = "pending"
    case.mediator_ids = []
    return Outcome({"from": previous, "to": case.level, "note": body.note})


def agree(case: Case, body: schemas.AgreeIn, index: GridIndex) -> Outcome:
    case.state = "agreed"
    case.agreement = body.terms
    case.judicial_confirmation = body.judicial_confirmation
    case.resolved_level = case.level
    case.performance = "pending"
    return Outcome({"terms": body.terms}, concluded="agreed", follow_up=True, risk_settled=True)


def perform(case: Case, body: schemas.PerformIn, index: GridIndex) -> Outcome:
    if body.performed:
        case.state, case.performance, case.closed_at = "performed", "performed", utcnow()
        return Outcome({"note": body.note}, concluded="performed")
    case.state, case.performance = "failed", "breached"
    case.outcome_note = body.note
    return Outcome({"note": body.note, "breached": True}, concluded="breached")


def fail(case: Case, body: schemas.NoteIn, index: GridIndex) -> Outcome:
    case.state = "failed"
    case.outcome_note = body.note
    return Outcome({"note": body.note})


def refer(case: Case, body: schemas.ReferIn, index: GridIndex) -> Outcome:
    case.state, case.referral, case.closed_at = "referred", body.to, utcnow()
    case.outcome_note = body.note
    details = {"to": body.to, "note": body.note}
    return Outcome(details, concluded="referred", risk_settled=True)


def set_risk(case: Case, body: schemas.RiskIn, index: GridIndex) -> Outcome:
    raised = body.risk == "high" and case.risk != "high"
    case.risk = body.risk
    if raised:
        case.risk_taken_by = None
    return Outcome({"risk": body.risk, "note": body.note}, risk_raised=raised)


def take_risk(case: Case, body: schemas.NoteIn, index: GridIndex) -> Outcome:
    """Someone of the centre took the high-risk case in hand: the alert chain stops."""
    if case.risk != "high" or case.risk_taken_by is not None:
        raise Conflict("mediation.risk_not_open", f"case {case.number} has no open risk alert")
    return Outcome({"note": body.note}, risk_settled=True)


def confirm(case: Case, body: schemas.ConfirmIn, index: GridIndex) -> Outcome:
    case.judicial_confirmation = body.judicial_confirmation
    return Outcome({"judicial_confirmation": body.judicial_confirmation})


def follow_up(case: Case, body: schemas.NoteIn, index: GridIndex) -> Outcome:
    return Outcome({"note": body.note})


AGREED = frozenset({"agreed", "performed"})
STEPS: dict[str, StepSpec] = {
    "accept": StepSpec(frozenset({"pending"}), schemas.NoteIn, accept),
    "assign": StepSpec(frozenset({"pending", "accepted"}), schemas.AssignIn, assign),
    "escalate": StepSpec(OPEN, schemas.NoteIn, escalate),
    "agree": StepSpec(frozenset({"accepted"}), schemas.AgreeIn, agree),
    "perform": StepSpec(frozenset({"agreed"}), schemas.PerformIn, perform),
    "fail": StepSpec(frozenset({"accepted"}), schemas.NoteIn, fail),
    "refer": StepSpec(OPEN, schemas.ReferIn, refer),
    "risk": StepSpec(OPEN | {"agreed"}, schemas.RiskIn, set_risk),
    "take_risk": StepSpec(OPEN | {"agreed"}, schemas.NoteIn, take_risk),
    "confirm": StepSpec(AGREED, schemas.ConfirmIn, confirm),
    "follow_up": StepSpec(AGREED, schemas.NoteIn, follow_up),
}
ACTIONS = tuple(STEPS)
