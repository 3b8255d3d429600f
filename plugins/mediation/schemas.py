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
    # An archived person (the archives plugin's resident id), checked with the archive.
    person_id: DbId | None = None


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
    """A session to hold, or (with `record`) one held now: the field app records it at once."""

    scheduled_at: AwareDatetime
    place: Place
    attendees: list[Name] = Field(default_factory=list, max_length=30)
    record: Annotated[str, StringConstraints(strip_whitespace=True, max_length=5000)] = ""


class RecordIn(Versioned):
    record: Text


class LedgerQuery(Strict):
    grid_id: DbId
    level: Level | None = None
    type: CaseType | None = None
    since: AwareDatetime | None = None
    until: AwareDatetime | None = None


# The expert pool (专家库): specialties are the case types an expert knows, plus the trades
# mediation keeps calling on.
SPECIALTIES = (*CASE_TYPES, "law", "psychology", "survey", "medical", "finance")
Specialty = Literal[
    "marriage_family",
    "neighbours",
    "land_contract",
    "labour_wages",
    "damages",
    "property_mgmt",
    "other",
    "law",  # 法律
    "psychology",  # 心理疏导
    "survey",  # 土地测绘
    "medical",  # 医疗
    "finance",  # 财会
]
Specialties = Annotated[list[Specialty], Field(min_length=1, max_length=len(SPECIALTIES))]


class ExpertIn(Strict):
    grid_id: DbId  # the town or county keeping the expert
    name: Name
    title: Line = ""
    specialties: Specialties
    phone: Phone = ""


class ExpertPatch(Versioned):
    name: Name | None = None
    title: Line | None = None
    specialties: Specialties | None = None
    phone: Phone | None = None
    active: bool | None = None


class ExpertsQuery(Strict):
    specialty: Specialty | None = None
    active: bool | None = None


class ExpertAssign(Versioned):
    expert_id: DbId


# 普法 articles: plain text (shown as text, never HTML), a title and a body.
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
Body = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20000)]


class ArticleIn(Strict):
    grid_id: DbId  # the residents of this grid's subtree read it
    title: Title
    body: Body


class ArticlePatch(Versioned):
    grid_id: DbId | None = None
    title: Title | None = None
    body: Body | None = None


class ArticlesQuery(Strict):
    state: Literal["draft", "published", "withdrawn"] | None = None


class PublicArticlesQuery(Strict):
    village_id: DbId
