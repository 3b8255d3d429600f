"""[plugins.config.party]: the disclosure deadline, the residents' question limit, points, and
how long closed incidents stay known."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, field_validator


class PartyConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # A period's disclosure is due by this day after the period ends (the 10th by default).
    grace_days: int = Field(default=10, ge=1, le=60)
    # The deployment's zone decides which day it is for due dates.
    time_zone: str = Field(default="Asia/Shanghai", max_length=64)
    question_limit: int = Field(default=5, ge=1, le=1000)
    question_window_s: int = Field(default=3600, ge=10, le=86400)
    incident_points: int = Field(default=5, ge=0, le=100)
    meeting_points: int = Field(default=2, ge=0, le=100)
    service_points_per_hour: int = Field(default=1, ge=0, le=100)
    # A closed incident no 包靠领导 is on is forgotten (party_known_cases) this many days after
    # dispatch last described it.
    known_case_days: int = Field(default=90, ge=1, le=3650)

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, value: str) -> str:
        ZoneInfo(value)
        return value
