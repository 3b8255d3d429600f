"""Scenario files (TOML): parsed into frozen dataclasses, every key and value checked.

A scenario names its populations (workers, commanders, devices, residents, callers), an
optional room fan-out, the ramp-up and the duration. Unknown keys, wrong types and values out
of range are refused with a :class:`ScenarioError` that names the key. Targets are checked
separately by :func:`check_targets`: loopback, or a host the operator names with
``--allow-host``.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

SCENARIOS = Path(__file__).resolve().parent / "scenarios"
SOCKETS_PER_PROCESS = 19_000  # one process's descriptor budget (~19,900) minus head-room
SEVERITIES = ("CRITICAL", "MAJOR", "MINOR", "WARNING", "INDETERMINATE")


class ScenarioError(ValueError):
    """A scenario that cannot run; the message names the file and the key."""


def bounded(low: float, high: float, default: Any) -> Any:
    return field(default=default, metadata={"min": low, "max": high})


@dataclass(frozen=True)
class Target:
    urls: tuple[str, ...] = ()
    admin_user: str = "admin"
    admin_password: str = "Demo@2026"
    demo_password: str = "Demo@2026"
    load_password: str = "Load@2026pw"
    account_prefix: str = "load"
    login_parallel: int = bounded(1, 64, 8)


@dataclass(frozen=True)
class Workers:
    count: int = bounded(0, 20_000, 0)
    grids: int = bounded(0, 10_000, 0)  # spread over the first N basic grids (0: all)
    heartbeat_s: float = bounded(1, 600, 20.0)
    location_s: float = bounded(1, 3600, 60.0)
    chat_per_min: float = bounded(0, 60, 0.0)
    tasks: bool = True
    handle_after_s: float = bounded(0, 300, 2.0)
    connect_parallel: int = bounded(1, 500, 50)


@dataclass(frozen=True)
class Commanders:
    accounts: tuple[str, ...] = ("county.cmd",)
    dispatchers: tuple[str, ...] = ("county.dispatch",)
    incidents_per_min: float = bounded(0, 6000, 0.0)
    dispatch_appeals: bool = True


@dataclass(frozen=True)
class Devices:
    count: int = bounded(0, 20_000, 0)
    telemetry_s: float = bounded(0.05, 3600, 30.0)
    alarms_per_s: float = bounded(0, 5000, 0.0)
    severity: str = "MINOR"
    connect_parallel: int = bounded(1, 500, 100)


@dataclass(frozen=True)
class Residents:
    appeals_per_min: float = bounded(0, 6000, 0.0)
    category: str = "road_facility"
    parallel: int = bounded(1, 64, 8)


@dataclass(frozen=True)
class Callers:
    pairs: int = bounded(0, 50, 0)
    calls_per_pair: int = bounded(1, 100, 1)
    hold_s: float = bounded(0.5, 120, 3.0)
    pause_s: float = bounded(0, 60, 1.0)


@dataclass(frozen=True)
class Groups:
    rooms: int = bounded(0, 20, 0)
    members: int = bounded(2, 50, 4)
    hold_s: float = bounded(1, 600, 10.0)


@dataclass(frozen=True)
class Fanout:
    members: int = bounded(1, 5000, 100)
    messages: int = bounded(1, 100_000, 200)
    rate: float = bounded(1, 5000, 100.0)


@dataclass(frozen=True)
class Scenario:
    name: str = "unnamed"
    description: str = ""
    duration_s: float = bounded(1, 3600, 30.0)
    ramp_s: float = bounded(0, 600, 5.0)
    processes: int = bounded(1, 8, 1)
    target: Target = field(default_factory=Target)
    workers: Workers = field(default_factory=Workers)
    commanders: Commanders = field(default_factory=Commanders)
    devices: Devices = field(default_factory=Devices)
    residents: Residents = field(default_factory=Residents)
    callers: Callers = field(default_factory=Callers)
    groups: Groups = field(default_factory=Groups)
    fanout: Fanout | None = None

    def sockets_per_process(self) -> int:
        spread = -(-(self.workers.count + self.devices.count) // self.processes)
        fixed = len(self.commanders.accounts) + len(self.commanders.dispatchers)
        return spread + fixed + 2 * self.callers.pairs + self.groups.rooms * self.groups.members

    def public(self) -> dict[str, Any]:
        """Plain JSON types (lists for tuples): ``from_dict(s.public())`` gives ``s`` back."""
        data: dict[str, Any] = json.loads(json.dumps(dataclasses.asdict(self)))
        if data["fanout"] is None:
            del data["fanout"]
        return data


SECTIONS: dict[str, type[Any]] = {
    "target": Target,
    "workers": Workers,
    "commanders": Commanders,
    "devices": Devices,
    "residents": Residents,
    "callers": Callers,
    "groups": Groups,
    "fanout": Fanout,
}


def _expect(default: Any, value: Any, where: str) -> Any:
    """``value`` converted to the type of ``default``, or a ScenarioError."""
    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
    elif isinstance(default, int):
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif isinstance(default, float):
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
    elif isinstance(default, str):
        if isinstance(value, str):
            return value
    elif isinstance(default, tuple):
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return tuple(value)
        raise ScenarioError(f"{where}: expected a list of strings, got {value!r}")
    raise ScenarioError(f"{where}: expected {type(default).__name__}, got {value!r}")


def _build(cls: type[Any], table: Any, where: str) -> Any:
    if not isinstance(table, dict):
        raise ScenarioError(f"{where}: expected a table, got {table!r}")
    known = {f.name: f for f in dataclasses.fields(cls) if f.name not in SECTIONS}
    unknown = sorted(set(table) - set(known))
    if unknown:
        raise ScenarioError(
            f"{where}: unknown key {unknown[0]!r} (allowed: {', '.join(sorted(known))})"
        )
    values: dict[str, Any] = {}
    for name, value in table.items():
        spec = known[name]
        values[name] = _checked(spec, _expect(spec.default, value, f"{where}.{name}"), where)
    return cls(**values)


def _checked(spec: dataclasses.Field[Any], value: Any, where: str) -> Any:
    low, high = spec.metadata.get("min"), spec.metadata.get("max")
    if low is not None and not low <= value <= high:
        raise ScenarioError(f"{where}.{spec.name}: {value!r} is outside {low:g}..{high:g}")
    return value


def from_dict(data: dict[str, Any], source: str = "scenario") -> Scenario:
    sections = {k: v for k, v in data.items() if k in SECTIONS}
    top = {k: v for k, v in data.items() if k not in SECTIONS}
    base = _build(Scenario, top, source)
    built = {
        name: _build(cls, sections[name], f"{source}: [{name}]")
        for name, cls in SECTIONS.items()
        if name in sections
    }
    scenario: Scenario = dataclasses.replace(base, **built)
    _cross_checks(scenario, source)
    return scenario


def _cross_checks(s: Scenario, source: str) -> None:
    if s.devices.severity not in SEVERITIES:
        raise ScenarioError(
            f"{source}: [devices].severity: {s.devices.severity!r} is not one of {SEVERITIES}"
        )
    if s.ramp_s > s.duration_s:
        raise ScenarioError(f"{source}: ramp_s ({s.ramp_s:g}) is longer than duration_s")
    if s.sockets_per_process() > SOCKETS_PER_PROCESS:
        raise ScenarioError(
            f"{source}: {s.sockets_per_process():,} sockets per client process is over "
            f"{SOCKETS_PER_PROCESS:,}; raise `processes`"
        )
    for url in s.target.urls:
        _parse_url(url, f"{source}: [target].urls")


def resolve(name_or_path: str) -> Path:
    """A scenario given by name (``county-day``) or by a path to a TOML file."""
    path = Path(name_or_path)
    if path.suffix == ".toml" or path.exists():
        if not path.is_file():
            raise ScenarioError(f"{name_or_path}: no such scenario file")
        return path
    candidate = SCENARIOS / f"{name_or_path}.toml"
    if not candidate.is_file():
        known = ", ".join(sorted(p.stem for p in SCENARIOS.glob("*.toml")))
        raise ScenarioError(f"no scenario named {name_or_path!r} (ready ones: {known})")
    return candidate


def load(name_or_path: str) -> Scenario:
    path = resolve(name_or_path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{path}: not valid TOML: {exc}") from None
    return from_dict(data, str(path))


def _parse_url(url: str, where: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ScenarioError(f"{where}: {url!r} is not an http(s) URL with a host")
    return parts.hostname


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_targets(urls: list[str], allowed: list[str]) -> None:
    """Every target must be loopback or a host the operator named with ``--allow-host``."""
    if not urls:
        raise ScenarioError("no target: give --url (repeatable), [target].urls or --spawn-hub")
    for url in urls:
        host = _parse_url(url, "target")
        if not is_loopback(host) and host not in allowed:
            raise ScenarioError(
                f"target {url!r} is not loopback; load-test another host only by naming it "
                f"explicitly: --allow-host {host}"
            )
