"""Configuration of the alarms plugin: every field has a default, so no config is needed."""

from __future__ import annotations

from pydantic import BaseModel, Field

SEVERITIES = ("CRITICAL", "MAJOR", "MINOR", "WARNING", "INDETERMINATE")


class IncidentPolicy(BaseModel):
    """Which alarms open a dispatch incident: by type (empty = any) and severity."""

    types: list[str] = Field(default_factory=list)
    severities: list[str] = Field(default_factory=lambda: ["CRITICAL"])
    # alarm type -> dispatch category code; anything else gets `default_category`
    categories: dict[str, str] = Field(default_factory=dict)
    default_category: str = "iot_alarm"
    # alarm type -> how incident titles name it (the dispatcher reads Chinese); merged over these
    names: dict[str, str] = Field(default_factory=dict)

    def name_of(self, alarm_type: str) -> str:
        return self.names.get(alarm_type) or ALARM_NAMES.get(alarm_type) or f"{alarm_type} 告警"


ALARM_NAMES = {
    "smoke": "烟感告警",
    "fire": "火情告警",
    "high_water": "水位超限",
    "gas_leak": "燃气泄漏",
    "gas": "燃气浓度超限",
    "intrusion": "入侵告警",
    "tamper": "设备防拆告警",
    "low_battery": "设备电量低",
    "offline": "设备离线",
}


class MqttConfig(BaseModel):
    """The optional MQTT bridge (off unless `enabled`)."""

    enabled: bool = False
    host: str = "127.0.0.1"
    port: int = Field(1883, ge=1, le=65535)
    username: str | None = None
    password: str | None = None
    # devices publish frames to <prefix>/<code>/up and read acks from <prefix>/<code>/down
    topic_prefix: str = Field("gridhub/devices", pattern=r"^[A-Za-z0-9_\-/]{1,100}$")
    client_id: str | None = None
    # after a lost connection: wait reconnect_s, doubling on each failed try up to reconnect_max_s
    reconnect_s: float = Field(1.0, gt=0)
    reconnect_max_s: float = Field(30.0, gt=0)
    # /healthz reports the bridge (and the node) degraded once it has been down this long
    down_after_s: float = Field(30.0, gt=0)


class AlarmsConfig(BaseModel):
    # device protocol limits
    max_frame_bytes: int = Field(64 * 1024, ge=256)
    max_batch: int = Field(500, ge=1)
    rate_per_s: float = Field(200.0, gt=0)  # frames per second per device, sustained
    rate_burst: float = Field(1000.0, gt=0)
    auth_timeout_s: float = Field(10.0, gt=0)
    max_skew_s: float = Field(300.0, ge=0)  # device times further ahead are clamped
    max_age_s: float = Field(7 * 86400.0, gt=0)  # older device times are clamped too
    max_invalid: int = Field(20, ge=1)  # bad frames on one connection before it is closed
    heartbeat_s: float = Field(60.0, gt=0)  # advertised to devices
    # offline detection
    offline_after_s: float = Field(180.0, gt=0)
    offline_check_s: float = Field(15.0, gt=0)
    last_seen_flush_s: float = Field(5.0, gt=0)
    # ingestion
    commit_batch: int = Field(10_000, ge=1)
    commit_wait_ms: float = Field(2.0, ge=0)
    recover_every_s: float = Field(10.0, gt=0)
    frame_retention_days: int = Field(30, ge=1)
    incident_retry_s: float = Field(60.0, gt=0)
    default_rules: bool = True  # install DEFAULT_RULES on first start (no rules yet)
    incidents: IncidentPolicy = Field(default_factory=IncidentPolicy)
    mqtt: MqttConfig = Field(default_factory=MqttConfig)
