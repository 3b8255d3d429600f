"""Deployment configuration of the dispatch plugin (`[plugins.config.dispatch]`)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, field_validator

from plugins.dispatch.lifecycle import DEFAULT_SLA, Priority, Stage


class DispatchConfig(BaseModel):
    number_prefix: str | None = Field(
        default=None, max_length=12, description="incident number prefix; default: root grid code"
    )
    command_levels: list[str] = Field(
        default_factory=lambda: ["village", "town", "county"],
        description="grid levels that have a command centre, lowest first (上报 climbs them)",
    )
    sla: dict[str, dict[str, int]] = Field(
        default_factory=lambda: {k: dict(v) for k, v in DEFAULT_SLA.items()},
        description="seconds per stage and priority, unless the category says otherwise",
    )
    warn_at: float = Field(default=0.8, gt=0, lt=1, description="warn after this share of a SLA")
    seed_catalogue: bool = True
    auto_dispatch: bool = Field(default=False, description="apply auto-dispatch rules")
    appeal_limit: int = Field(default=5, ge=1, le=1000, description="appeals per client per window")
    appeal_window_s: int = Field(default=3600, ge=1)
    rating_limit: int = Field(default=20, ge=1, description="public look-ups per client per minute")
    appeal_max_photos: int = Field(default=3, ge=0, le=10, description="photos per appeal")
    appeal_photo_bytes: int = Field(
        default=5 * 1024 * 1024, ge=1024, le=50 * 1024 * 1024, description="largest photo"
    )
    trust_forwarded_for: bool = Field(
        default=False,
        description="ignored (was: believe X-Forwarded-For from anyone); use trusted_proxies",
    )
    open311_api_keys: list[str] = Field(
        default_factory=list, description="keys an Open311 POST must carry; empty: none needed"
    )
    open311_max_results: int = Field(default=1000, ge=1, le=10000)
    open311_read_limit: int = Field(
        default=60, ge=1, description="Open311 GET requests per client per minute"
    )
    location_fresh_s: float = Field(default=900, gt=0)
    suggestions: int = Field(default=10, ge=1, le=100)

    @field_validator("sla", mode="before")
    @classmethod
    def _over_defaults(cls, given: Any) -> dict[str, dict[str, int]]:
        """Settings name only what differs from the defaults; every stage and priority is set."""
        if not isinstance(given, dict):
            raise ValueError("sla must be a table of stages")
        merged = {k: dict(v) for k, v in DEFAULT_SLA.items()}
        for stage, row in given.items():
            if stage not in Stage.__members__.values() or not isinstance(row, dict):
                raise ValueError(f"unknown SLA stage {stage!r}")
            for priority, seconds in row.items():
                if priority not in Priority.__members__.values():
                    raise ValueError(f"unknown priority {priority!r}")
                if not isinstance(seconds, int | float) or not 1 <= seconds <= 366 * 86400:
                    raise ValueError("SLA seconds must be between 1 and a year")
                merged[stage][priority] = int(seconds)
        return merged
