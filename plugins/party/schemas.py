"""Request models: every field bounded, so hostile input is refused before anything runs."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from hub.sdk import DbId
from plugins.party import periods

Category = Literal["party", "village", "finance"]
FIRST_JOIN = date(1921, 7, 1)  # no join date before the party's founding, none in the future


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class DraftIn(Strict):
    grid_id: DbId
    category: Category
    period: str = Field(min_length=7, max_length=7)
    title: str = Field(min_length=1, max_length=120)
    body: str = Field(default="", max_length=20000)

    @field_validator("period")
    @classmethod
    def _period(cls, value: str) -> str:
        periods.parse(value)
        return value


class EditIn(Strict):
    title: str = Field(min_length=1, max_length=120)
    body: str = Field(default="", max_length=20000)


class CorrectIn(EditIn):
    reason: str = Field(min_length=2, max_length=500)


class ReviewIn(Strict):
    decision: Literal["approve", "return"]
    note: str = Field(default="", max_length=500)


class AnswerIn(Strict):
    answer: str = Field(min_length=1, max_length=1000)


class QuestionIn(Strict):
    text: str = Field(min_length=2, max_length=500)


class ListQuery(Strict):
    grid_id: DbId | None = None
    state: Literal["draft", "submitted", "returned", "published"] | None = None
    period: str | None = Field(default=None, max_length=7)


class PublicQuery(Strict):
    grid: str = Field(min_length=1, max_length=64)  # the village's code
    period: str | None = Field(default=None, max_length=7)


class YearQuery(Strict):
    year: int = Field(ge=2000, le=2100)
    grid_id: DbId | None = None


class OrgIn(Strict):
    name: str = Field(min_length=1, max_length=80)
    kind: Literal["committee", "general_branch", "branch"]
    parent_id: DbId | None = None
    grid_id: DbId


class MemberIn(Strict):
    org_id: DbId
    name: str = Field(min_length=1, max_length=40)
    person_id: DbId | None = None
    join_date: date
    status: Literal["formal", "probationary", "inactive"] = "formal"
    grid_id: DbId | None = None


class HomeIn(Strict):
    grid_id: DbId  # the home community (a village or grid) the member reports to


class TaskIn(Strict):
    grid_id: DbId
    title: str = Field(min_length=1, max_length=120)


class DoneIn(Strict):
    hours: int = Field(ge=1, le=24)
    note: str = Field(default="", max_length=500)


class MeetingIn(Strict):
    org_id: DbId
    kind: Literal["assembly", "committee", "group", "lecture", "theme_day"]
    title: str = Field(min_length=1, max_length=120)
    starts_at: datetime
    place: str = Field(default="", max_length=120)
    lon: float | None = Field(default=None, ge=-180, le=180, allow_inf_nan=False)
    lat: float | None = Field(default=None, ge=-90, le=90, allow_inf_nan=False)


class SignInIn(Strict):
    code: str | None = Field(default=None, pattern=r"^\d{6}$")
    lon: float | None = Field(default=None, ge=-180, le=180, allow_inf_nan=False)
    lat: float | None = Field(default=None, ge=-90, le=90, allow_inf_nan=False)


class MinutesIn(Strict):
    minutes: str = Field(min_length=1, max_length=20000)


class PointsIn(Strict):
    member_id: DbId
    points: int = Field(ge=-100, le=100)
    reason: str = Field(min_length=1, max_length=200)
    ref: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_.:-]+$")


class YearOnly(Strict):
    year: int = Field(ge=2000, le=2100)


class PromoIn(Strict):
    """An article or a course (党建宣传): plain text, meant for the grids given and below."""

    kind: Literal["article", "course"]
    title: str = Field(min_length=1, max_length=120)
    body: str = Field(default="", max_length=20000)
    grid_ids: list[DbId] = Field(min_length=1, max_length=50)

    @field_validator("grid_ids")
    @classmethod
    def _distinct(cls, value: list[int]) -> list[int]:
        return sorted(set(value))


class PromoQuery(Strict):
    grid: str | None = Field(default=None, min_length=1, max_length=64)  # a grid's code


class OrgEditIn(Strict):
    """Rename and/or move an organisation; `parent_id: null` makes it a top organisation."""

    name: str | None = Field(default=None, min_length=1, max_length=80)
    parent_id: DbId | None = None


class MemberEditIn(Strict):
    """A status change, a transfer (`org_id`), a link to an account (`person_id`, null unlinks),
    the grid served, or a corrected name or join date; only the fields given change."""

    status: Literal["formal", "probationary", "inactive"] | None = None
    org_id: DbId | None = None
    person_id: DbId | None = None
    grid_id: DbId | None = None
    name: str | None = Field(default=None, min_length=1, max_length=40)
    join_date: date | None = None

    @field_validator("join_date")
    @classmethod
    def _plausible(cls, value: date | None) -> date | None:
        if value is not None and not FIRST_JOIN <= value <= date.today():
            raise ValueError(f"a join date from {FIRST_JOIN} to today")
        return value
