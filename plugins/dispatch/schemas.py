"""Validated inputs of the dispatch plugin (HTTP bodies and socket payloads)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from hub.sdk import DbId
from plugins.dispatch.lifecycle import Action, Priority

Text = Field(default="", max_length=5000)


class Point(BaseModel):
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)


class NewIncident(BaseModel):
    title: str = Field(min_length=1, max_length=200)
    description: str = Text
    category: str = Field(min_length=1, max_length=64)
    priority: Priority = Priority.NORMAL
    location: Point | None = None
    grid: str | None = Field(default=None, max_length=64, description="grid code")
    address: str = Field(default="", max_length=300)
    fields: dict[str, Any] = Field(default_factory=dict, max_length=30)
    attachments: list[int] = Field(default_factory=list, max_length=20)
    source: Literal["field", "console", "hotline"] | None = None
    reporter_name: str = Field(default="", max_length=100)
    reporter_contact: str = Field(default="", max_length=100)
    client_ref: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9_.:-]{8,64}$",
        description="idempotency key chosen by the client (e.g. a UUID per report): a resend "
        "with the same key by the same person returns the incident filed the first time",
    )

    @model_validator(mode="after")
    def _placed(self) -> NewIncident:
        if self.location is None and self.grid is None:
            raise ValueError("an incident needs a location or a grid")
        return self


class AssigneeIn(BaseModel):
    kind: Literal["person", "grid", "department"]
    target: str = Field(min_length=1, max_length=64, description="person id, grid code, dept code")
    lead: bool = False


class ActionIn(BaseModel):
    """One lifecycle action; which extra fields it needs depends on the action."""

    version: int = Field(ge=1, description="the version the client acted on")
    note: str = Text
    assignees: list[AssigneeIn] = Field(default_factory=list, max_length=20)
    passed: bool | None = Field(default=None, description="verify: did the check pass")
    rating: int | None = Field(default=None, ge=1, le=5)
    review_at: datetime | None = Field(default=None, description="park: when to review")
    attachments: list[int] = Field(default_factory=list, max_length=20)
    location: Point | None = None


class SocketAction(ActionIn):
    incident_id: DbId
    action: Action


class IncidentRef(BaseModel):
    incident_id: DbId


class IncidentQuery(BaseModel):
    state: str | None = Field(default=None, max_length=200, description="comma-separated")
    category: str | None = Field(default=None, max_length=64)
    grid: str | None = Field(default=None, max_length=64)
    mine: bool = False
    reported: bool = Field(default=False, description="only the incidents you reported")
    overdue: bool | None = None
    q: str | None = Field(default=None, max_length=100)
    limit: int = Field(default=50, ge=1, le=500)
    before_id: DbId | None = None
