"""Settings of the mediation plugin ([plugins.config.mediation])."""

from __future__ import annotations

from pydantic import BaseModel, Field


class MediationConfig(BaseModel):
    # Dispatch categories whose new incidents become cases (the catalogue's 矛盾纠纷).
    dispute_categories: tuple[str, ...] = Field(("dispute",), max_length=20)
    # A high-risk case nobody took is raised to the county after this long (seconds).
    risk_unanswered_s: float = Field(600.0, gt=0, le=86_400, allow_inf_nan=False)
    # The follow-up visit (回访) comes this long after an agreement (seconds).
    follow_up_after_s: float = Field(7 * 86_400.0, gt=0, le=365 * 86_400, allow_inf_nan=False)
    # Earlier cases looked at for repeats (same parties or same place), in days.
    repeat_window_days: int = Field(365, ge=1, le=3650)
    # A legal question should be answered within this long (SLA, seconds); then it is overdue.
    question_sla_s: float = Field(3 * 86_400.0, gt=0, le=90 * 86_400, allow_inf_nan=False)
    # Questions one client address may ask per hour (counted in the database, cluster-wide).
    questions_per_hour: int = Field(5, ge=1, le=1000)
