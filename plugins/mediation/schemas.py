"""Request models: every field bounded, every word a closed set where it can be."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from hub.sdk import DbId

CASE_TYPES = (
    "marriage_family",  # 婚姻家庭
    "neighbours",  # 邻里纠纷
    "land_contract",  # 土地承包
    "labour_wages",  # 劳资纠纷
    "damages",  # 损害赔偿
    "property_mgmt",  # 物业纠纷
    "other",  # 其他
)
CaseType = Literal[
    "marriage_family",
    "neighbours",
    "land_contract",
    "labour_wages",
    "damages",
    "property_mgmt",
    "other",
]
Risk = Literal["low", "medium", "high"]
Side = Literal["applicant", "respondent", "other"]
Referral = Literal["litigation", "arbitration", "petition"]
Level = Literal["village", "town", "county"]
State = Literal["pending", "accepted", "agreed", "performed", "failed", "referred"]

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]
Line = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
Place = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9+\- ]{0,20}$")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PartyIn(Strict):
    name: Name
    side: Side = "applicant"
    phone: Phone = ""
    address: Line = ""
    person_ref: Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)] = ""


class CaseIn(Strict):
    """A case entered at a mediation office (or from the field)."""

    grid_id: DbId
    type: CaseType
    summary: Text
    place: Line = ""
    amount_yuan: float | None = Field(None, ge=0, le=1e11, allow_inf_nan=False)
    risk: Risk = "low"
    parties: list[PartyIn] = Field(default_factory=list, max_length=20)


class OfficeCaseIn(CaseIn):
    """A case entered by a person names at least one party (one from an incident may not)."""

    parties: list[PartyIn] = Field(min_length=1, max_length=20)


class CasesQuery(Strict):
    grid_id: DbId | None = None
    state: State | None = None
    level: Level | None = None
    limit: int = Field(100, ge=1, le=500)


class Versioned(Strict):
    version: int = Field(ge=1, le=2**31 - 1)


class PartyAdd(Versioned):
    party: PartyIn


class NoteIn(Versioned):
    note: Note = ""


class AssignIn(Versioned):
    mediator_ids: list[DbId] = Field(min_length=1, max_length=10)


class AgreeIn(Versioned):
    terms: Text
    judicial_confirmation: bool = False


class PerformIn(Versioned):
    performed: bool
    note: Note = ""


class ReferIn(Versioned):
    to: Referral
    note: Note = ""


class RiskIn(Versioned):
    risk: Risk
    note: Note = ""


class ConfirmIn(Versioned):
    judicial_confirmation: bool


class MeetingIn(Versioned):
    scheduled_at: AwareDatetime
    place: Place
    attendees: list[Name] = Field(default_factory=list, max_length=30)


class RecordIn(Versioned):
    record: Text


class LedgerQuery(Strict):
    grid_id: DbId
    level: Level | None = None
    type: CaseType | None = None
    since: AwareDatetime | None = None
    until: AwareDatetime | None = None
