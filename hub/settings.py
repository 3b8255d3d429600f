"""Settings from flags, GRIDHUB_* environment variables and an optional TOML file, in that order."""

from __future__ import annotations

import ipaddress
import os
import re
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    create_model,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

CONFIG_ENV = "GRIDHUB_CONFIG"
# Components' settings tables (hub/components.py); their modules must import nothing of hub.
SETTINGS_GROUP = "gridhub.settings"


class AuthSettings(BaseModel):
    access_ttl_s: int = Field(900, ge=30, le=86_400)
    refresh_ttl_s: int = Field(14 * 86_400, ge=300)
    lockout_threshold: int = Field(5, ge=1, le=100)
    lockout_window_s: int = Field(900, ge=10)
    lockout_base_s: int = Field(30, ge=1)
    lockout_max_s: int = Field(900, ge=1)
    # Sign-in limits beyond the (username, address) pair above; see docs/security.md.
    address_threshold: int = Field(30, ge=1, le=10_000, description="failures per address")
    unknown_username_cost: int = Field(
        3, ge=1, le=100, description="an unknown username counts this many against its address"
    )
    account_threshold: int = Field(
        50, ge=1, le=10_000, description="failures per account from unfamiliar addresses"
    )
    account_window_s: int = Field(3600, ge=10)
    familiar_days: int = Field(
        30, ge=1, le=365, description="a sign-in from an address makes it familiar this long"
    )
    throttle_sweep_s: float = Field(
        300.0, gt=0, description="purge of ended sign-in limit windows and login sessions"
    )
    refresh_grace_s: int = Field(
        10, ge=0, le=300, description="the previous refresh token is 'superseded', not reuse"
    )
    secret_key: SecretStr | None = None
    hash_time_cost: int = Field(3, ge=1, le=20)
    hash_memory_kib: int = Field(65_536, ge=1024)
    hash_parallelism: int = Field(2, ge=1, le=16)


class AuditSettings(BaseModel):
    retention_days: int = Field(365, ge=1)
    sweep_interval_s: float = Field(3600.0, gt=0)


class RealtimeSettings(BaseModel):
    away_after_s: float = Field(300.0, gt=0)
    sweep_interval_s: float = Field(5.0, gt=0)
    node_ttl_s: float = Field(30.0, gt=0)
    track_retention_days: int = Field(90, ge=1)
    ping_interval_s: float = Field(25.0, gt=0)
    ping_timeout_s: float = Field(20.0, gt=0)
    max_frame_bytes: int = Field(1_000_000, ge=1024)
    cors_origins: list[str] = Field(default_factory=list)
    # How often a node looks for people changed by the `gridhub` CLI (hub/outside_changes.py).
    outside_changes_s: float = Field(2.0, gt=0)


class FileSettings(BaseModel):
    max_image_bytes: int = Field(10 * 1024 * 1024, ge=1024)
    max_audio_bytes: int = Field(20 * 1024 * 1024, ge=1024)
    max_video_bytes: int = Field(100 * 1024 * 1024, ge=1024)
    max_document_bytes: int = Field(20 * 1024 * 1024, ge=1024)


class BackupSettings(BaseModel):
    """`gridhub backup` (docs/operations.md, Backup and restore): where backups go and how
    many are kept. A backup is removed when it is not among the `keep` newest, or when it is
    older than `keep_days`; the one just made is always kept."""

    directory: Path = Field(Path("backups"), description="under the data dir, unless absolute")
    keep: int | None = Field(7, ge=1, le=10_000, description="newest backups kept (None: all)")
    keep_days: float | None = Field(None, gt=0, le=36_500, description="older ones removed")
    pg_bin_dir: Path | None = Field(
        None, description="where pg_dump/pg_restore are (default: PATH, then the newest Debian's)"
    )


class TimerSettings(BaseModel):
    backend: Literal["sql", "redis"] = "sql"
    lease_s: float = Field(30.0, gt=0)
    poll_s: float = Field(0.2, gt=0)
    max_attempts: int = Field(5, ge=1)


class PluginSettings(BaseModel):
    enabled: list[str] | None = None
    disabled: list[str] = Field(default_factory=list)
    config: dict[str, dict[str, Any]] = Field(default_factory=dict)


# a big-screen panel: a built-in one ("kpis") or a plugin's ("party/party")
SCREEN_PANEL = re.compile(r"[a-z][a-z0-9_]{0,31}(/[a-z][a-z0-9_-]{0,62})?")
LAYOUT_NAME = re.compile(r"[a-z][a-z0-9_-]{0,31}")
ROLE = re.compile(r"[a-z][a-z0-9_]{1,31}")


class ScreenLayout(BaseModel):
    """A theme of the big screen (综合治理, 党建, ...): its panels in order, and the roles
    whose holders get it when they open the screen without naming a layout."""

    model_config = ConfigDict(extra="forbid")

    title_zh: str = Field(min_length=1, max_length=40)
    title_en: str = Field(min_length=1, max_length=40)
    panels: list[str] = Field(min_length=1, max_length=24, description="panel ids, in order")
    roles: list[str] = Field(default_factory=list, description="holders get it by default")

    @field_validator("panels")
    @classmethod
    def _panels(cls, value: list[str]) -> list[str]:
        for panel in value:
            if not SCREEN_PANEL.fullmatch(panel):
                raise ValueError(f"panel {panel!r} is not a panel id (kpis, <plugin>/<panel>)")
        if len(set(value)) != len(value):
            raise ValueError("a panel is listed twice")
        return value

    @field_validator("roles")
    @classmethod
    def _roles(cls, value: list[str]) -> list[str]:
        for role in value:
            if not ROLE.fullmatch(role):
                raise ValueError(f"{role!r} is not a role name")
        return value


class UiSettings(BaseModel):
    """The web consoles: the big screen's layouts (docs/consoles.md, 展示中心)."""

    model_config = ConfigDict(extra="forbid")

    screen_layouts: dict[str, ScreenLayout] = Field(default_factory=dict)
    screen_layout: str | None = Field(
        None, description="the layout of those no layout's roles name (default: all panels)"
    )

    @field_validator("screen_layouts")
    @classmethod
    def _names(cls, value: dict[str, ScreenLayout]) -> dict[str, ScreenLayout]:
        for name in value:
            if not LAYOUT_NAME.fullmatch(name):
                raise ValueError(f"layout name {name!r} must match {LAYOUT_NAME.pattern}")
        return value

    @model_validator(mode="after")
    def _default(self) -> UiSettings:
        if self.screen_layout not in (None, *self.screen_layouts):
            raise ValueError(f"screen_layout {self.screen_layout!r} is not a layout")
        return self


class CoreSettings(BaseSettings):
    """The hub's own configuration; `Settings` adds the components' tables."""

    model_config = SettingsConfigDict(
        env_prefix="GRIDHUB_", env_nested_delimiter="__", extra="forbid"
    )

    host: str = "127.0.0.1"
    port: int = Field(8080, ge=0, le=65_535)
    data_dir: Path = Path("data")
    database_url: str | None = None
    redis_url: str | None = None
    node_id: str | None = None
    log_level: str = "INFO"
    log_json: bool = True
    map_tile_url: str | None = None
    map_tiles: Path | None = Field(
        None, description="MBTiles file of a raster base map the hub serves to the console"
    )
    time_zone: str = Field(
        "Asia/Shanghai", description="IANA zone every time on the web pages is shown in"
    )
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="addresses/networks whose X-Forwarded-For/-Proto/-Host are believed",
    )
    metrics_token: SecretStr | None = Field(
        None, description="bearer token that lets a scraper read /metrics from any address"
    )
    metrics_allowed_networks: list[str] = Field(
        default_factory=lambda: ["127.0.0.1/32", "::1/128"],
        description="client addresses/networks that read /metrics without the token",
    )
    auth: AuthSettings = Field(default_factory=AuthSettings)
    audit: AuditSettings = Field(default_factory=AuditSettings)
    realtime: RealtimeSettings = Field(default_factory=RealtimeSettings)
    files: FileSettings = Field(default_factory=FileSettings)
    timers: TimerSettings = Field(default_factory=TimerSettings)
    plugins: PluginSettings = Field(default_factory=PluginSettings)
    ui: UiSettings = Field(default_factory=UiSettings)
    backup: BackupSettings = Field(default_factory=BackupSettings)

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ValueError, ZoneInfoNotFoundError) as error:  # a settings error names the field
            raise ValueError(
                f"unknown time zone {value!r} (an IANA name, e.g. Asia/Shanghai)"
            ) from error
        return value

    @field_validator("trusted_proxies", "metrics_allowed_networks")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for item in value:
            ipaddress.ip_network(item, strict=False)  # a ValueError becomes a settings error
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls))

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'gridhub.db').resolve()}"

    @property
    def is_cluster(self) -> bool:
        return bool(self.redis_url)


def _component_tables() -> dict[str, Any]:
    """`gridhub.settings` entry points: table name -> the component's settings model."""
    tables: dict[str, Any] = {}
    for ep in entry_points(group=SETTINGS_GROUP):
        model = ep.load()
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            raise TypeError(f"settings entry point {ep.name!r} is not a pydantic model")
        tables[ep.name] = (model, Field(default_factory=model))
    return tables


if TYPE_CHECKING:
    Settings = CoreSettings  # components read their table through section()
else:
    Settings = create_model(
        "Settings", __base__=CoreSettings, __module__=__name__, **_component_tables()
    )
    Settings.__doc__ = "The hub's effective configuration: its own and its components' tables."

M = TypeVar("M", bound=BaseModel)


def section(settings: CoreSettings, name: str, model: type[M]) -> M:
    """A component's settings table (e.g. `media`), typed."""
    value = getattr(settings, name, None)
    if not isinstance(value, model):
        raise TypeError(f"settings have no {name!r} table of {model.__name__}")
    return value


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    """Build settings; `overrides` (from command-line flags) win over everything else."""
    path = config_file or os.environ.get(CONFIG_ENV)
    flags = {key: value for key, value in overrides.items() if value is not None}
    if not path:
        return Settings(**flags)
    toml_file = Path(path)
    if not toml_file.is_file():
        raise FileNotFoundError(f"config file not found: {toml_file}")

    class FileSettings(Settings):
        model_config = SettingsConfigDict(toml_file=toml_file)

    return FileSettings(**flags)


SECRET_MARKERS = ("secret", "password", "passphrase", "token", "key", "credential", "authorization")
MASK = "********"


def masked(settings: Settings) -> dict[str, Any]:
    """The effective settings as plain data with every secret masked."""
    data: dict[str, Any] = _mask(settings.model_dump(mode="json"))
    return data


def is_secret_name(name: str) -> bool:
    return any(marker in name.lower() for marker in SECRET_MARKERS)


def _mask(value: Any, key: str = "") -> Any:
    """Whatever sits under a secret-looking name is masked whole — a string, a list of API
    keys, a table of them — and credentials in URLs anywhere else."""
    if value is None:
        return None
    if is_secret_name(key):
        return MASK
    if isinstance(value, dict):
        return {k: _mask(v, str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask(v) for v in value]
    if isinstance(value, str):
        return _mask_url(value)
    return value


def _mask_url(value: str) -> str:
    if "://" not in value or "@" not in value:
        return value
    scheme, rest = value.split("://", 1)
    creds, host = rest.rsplit("@", 1)
    user = creds.split(":", 1)[0]
    return f"{scheme}://{user}:{MASK}@{host}"


def describe_errors(exc: ValidationError) -> str:
    """A settings error without the values given: they may be secrets."""
    problems = []
    for item in exc.errors(include_url=False, include_input=False, include_context=False):
        where = ".".join(str(part) for part in item.get("loc", ())) or "settings"
        problems.append(f"{where}: {item.get('msg', 'invalid')}")
    return "; ".join(problems)
