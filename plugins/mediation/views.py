"""How a case reads: the summary pushed live and listed, and the detail of the drawer."""

from __future__ import annotations

from typing import Any

from hub.sdk import GridIndex, mask_personal
from plugins.mediation.models import Case, Document, Expert, Link, Meeting, Party, Step

OPEN_STATES = frozenset({"pending", "accepted", "failed"})
CLOSED_STATES = frozenset({"performed", "referred"})


def grid_name(index: GridIndex, grid_id: int) -> str | None:
    return index.get(grid_id).name if grid_id in index else None


def summary(case: Case, index: GridIndex) -> dict[str, Any]:
    return {
        "id": case.id,
        "number": case.number,
        "grid_id": case.grid_id,
        "grid_name": grid_name(index, case.grid_id),
        "level": case.level,
        "level_grid_id": case.level_grid_id,
        "level_grid_name": grid_name(index, case.level_grid_id),
        "type": case.type,
        "summary": case.summary,
        "place": case.place,
        "amount_yuan": None if case.amount_cents is None else case.amount_cents / 100,
        "risk": case.risk,
        "risk_taken": case.risk_taken_by is not None,
        "repeat": case.repeat,
        "state": case.state,
        "source": case.source,
        "incident_id": case.incident_id,
        "incident_number": case.incident_number,
        "mediator_ids": list(case.mediator_ids),
        "expert_ids": list(case.expert_ids or []),
        "agreement": case.agreement,
        "performance": case.performance,
        "judicial_confirmation": case.judicial_confirmation,
        "referral": case.referral,
        "outcome_note": case.outcome_note,
        "created_at": case.created_at.timestamp(),
        "updated_at": case.updated_at.timestamp(),
        "closed_at": case.closed_at.timestamp() if case.closed_at else None,
        "version": case.version,
    }


def party(row: Party, phone: str) -> dict[str, Any]:
    """A party with the phone masked (138****1234); the full number is a separate, audited ask."""
    return {
        "id": row.id,
        "name": row.name,
        "side": row.side,
        "phone": mask_personal(phone),
        "address": row.address,
        "person_ref": row.person_ref,
        "person": None
        if row.person_id is None
        else {"id": row.person_id, "grid_id": row.person_grid_id, "name_masked": row.person_masked},
    }


def meeting(row: Meeting) -> dict[str, Any]:
    return {
        "id": row.id,
        "scheduled_at": row.scheduled_at.timestamp(),
        "place": row.place,
        "attendees": list(row.attendees),
        "record": row.record,
        "held": row.held,
    }


def step(row: Step) -> dict[str, Any]:
    return {
        "id": row.id,
        "action": row.action,
        "actor_id": row.actor_id,
        "actor_name": row.actor_name,
        "details": row.details,
        "version": row.version,
        "at": row.at.timestamp(),
    }


def link(row: Link, numbers: dict[int, str]) -> dict[str, Any]:
    return {"case_id": row.other_id, "number": numbers.get(row.other_id), "reason": row.reason}


def document(row: Document) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "content_type": row.content_type,
        "size": row.size,
        "by": row.created_by_name,
        "at": row.created_at.timestamp(),
    }


def expert(row: Expert, index: GridIndex, phone: str) -> dict[str, Any]:
    """An expert of the pool, the phone masked like a party's."""
    return {
        "id": row.id,
        "grid_id": row.grid_id,
        "grid_name": grid_name(index, row.grid_id),
        "name": row.name,
        "title": row.title,
        "specialties": list(row.specialties),
        "phone": mask_personal(phone),
        "active": row.active,
        "version": row.version,
    }
