"""What the escalation routes answer, as the OpenAPI document describes it.

The handlers build plain dicts (the same ones socket events carry); these models only describe
them: docs/http-api.md has the fields in words, tests/plugins/escalation checks real answers
against these models. Times are epoch seconds.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from plugins.escalation.config import Policy


class PoliciesOut(BaseModel):
    policies: list[Policy]
    notifiers: list[str] = Field(description="the configured notifier names")
    disabled_defaults: list[str] = Field(
        default_factory=list, description="plugins' default policies turned off, by name"
    )


class ChainOut(BaseModel):
    id: int
    trigger: Literal["alarm", "incident", "sos", "checkin"]
    subject: str = Field(description='what the chain is about: "alarm:12", "sos:3", ...')
    policy: str
    grid_id: int
    state: Literal["active", "stopped", "finished"]
    next_step: int
    started_at: float
    ended_at: float | None
    end_reason: str | None
    context: dict[str, Any]


class ChainsOut(BaseModel):
    chains: list[ChainOut]


class SosLocationOut(BaseModel):
    lat: float
    lon: float


class SosOut(BaseModel):
    id: int
    person_id: int
    person_name: str
    grid_id: int
    state: Literal["open", "acknowledged", "closed"]
    source: Literal["button", "checkin"]
    location: SosLocationOut | None
    note: str
    raised_at: float
    owner_id: int | None
    owner_name: str | None
    acknowledged_at: float | None
    closed_at: float | None
    close_note: str | None
    audio_stream_id: str | None = Field(description="recording:<id> once the SOS audio is kept")


class SosListOut(BaseModel):
    sos: list[SosOut]


class OneSosOut(BaseModel):
    sos: SosOut


class CheckinOut(BaseModel):
    id: int
    person_id: int
    grid_id: int
    task: str
    interval_s: float
    due_at: float = Field(description="when the next check-in is due (Unix time)")
    state: Literal["active", "stopped", "missed"]
    started_at: float
    sos_id: int | None = Field(description="the SOS a missed check-in raised")


class CheckinsOut(BaseModel):
    checkins: list[CheckinOut]
