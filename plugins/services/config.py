"""Configuration of the services plugin ([plugins.config.services])."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, SecretStr


class ServicesConfig(BaseModel):
    # Retired: venue days and opening hours follow the deployment's `time_zone` setting
    # (ctx.time_zone). Still accepted so that an old settings file starts, with a warning.
    time_zone: str | None = Field(default=None, max_length=64)
    # Dispatch categories the plugin asks incidents of. The plugin offers 政务代办 (gov_service)
    # and 为老服务 (elderly_care) to dispatch at start-up (added when missing); another code
    # must exist in dispatch's catalogue.
    proxy_category: str = Field(default="gov_service", pattern=r"^[a-z][a-z0-9_]{1,63}$")
    care_category: str = Field(default="elderly_care", pattern=r"^[a-z][a-z0-9_]{1,63}$")
    # Hand-off of proxy requests to an external government system.
    handoff_adapter: Literal["none", "webhook"] = "none"
    webhook_url: str = Field(default="", max_length=500)
    webhook_secret: SecretStr = SecretStr("")
    webhook_timeout_s: float = Field(default=10.0, gt=0, le=120)
    retry_base_s: float = Field(default=5.0, gt=0, le=3600)
    retry_max_s: float = Field(default=3600.0, gt=0, le=86400)
    # Where the archives plugin is installed, its people are the elderly (born `elderly_age`
    # years ago or more: 高龄) and those living alone (the `alone_tag` key group, visited every
    # `alone_visit_days` from the tagging on).
    elderly_age: int = Field(default=80, ge=50, le=120)
    alone_tag: str = Field(default="elderly_alone", pattern=r"^[a-z][a-z0-9_]{1,31}$")
    alone_visit_days: int = Field(default=7, ge=1, le=90)
    # Alarms of a cared-for person's SOS device: for these severities the alarms plugin opens
    # the dispatch incident itself (its `incidents.severities`), which services then links;
    # for any other severity services asks dispatch for one (source services.sos).
    sos_linked_severities: list[str] = Field(default_factory=lambda: ["CRITICAL"], max_length=5)
    # Public forms (residents' page): requests per client address per minute.
    public_submit_per_minute: int = Field(default=10, ge=1, le=10_000)
    public_lookup_per_minute: int = Field(default=60, ge=1, le=10_000)
    # Signed-in residents booking care for themselves: bookings and cancellations per resident
    # per hour.
    resident_care_per_hour: int = Field(default=10, ge=1, le=10_000)
