"""The shipped systemd units and environment file (deploy/systemd/).

`systemd-analyze verify` checks the units (with /opt/gridhub pointed at this checkout, so the
commands they name must exist); every GRIDHUB_ variable of the example environment file is a
real setting, and the file loads into the hub's settings as they are."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest
from pydantic import BaseModel

from hub.settings import Settings
from media.protocol import SECRET_ENV
from media.worker.__main__ import parse

ROOT = Path(__file__).parents[2]
SYSTEMD = ROOT / "deploy" / "systemd"
UNITS = ("gridhub@.service", "gridhub-media-worker@.service", "gridhub.target")
INSTANCES = {"gridhub@.service": "gridhub@1.service", "gridhub-media-worker@.service":
             "gridhub-media-worker@7001.service", "gridhub.target": "gridhub.target"}  # fmt: skip
NOT_SETTINGS = {SECRET_ENV}  # read by the media worker process, not a hub setting


def env_lines() -> dict[str, str]:
    """Every GRIDHUB_ assignment of gridhub.env, commented-out examples included."""
    found = {}
    for line in (SYSTEMD / "gridhub.env").read_text().splitlines():
        name, sep, value = line.lstrip("#").partition("=")
        if sep and name.startswith("GRIDHUB_") and name.strip() == name:
            found[name] = value
    return found


def is_setting(model: type[BaseModel], path: list[str]) -> bool:
    field = model.model_fields.get(path[0])
    if field is None:
        return False
    if len(path) == 1:
        return True
    inner = field.annotation
    return isinstance(inner, type) and issubclass(inner, BaseModel) and is_setting(inner, path[1:])


def test_every_variable_of_the_env_file_is_a_setting() -> None:
    names = env_lines()
    assert len(names) > 15
    for name in set(names) - NOT_SETTINGS:
        path = name.removeprefix("GRIDHUB_").lower().split("__")
        assert is_setting(Settings, path), name


def test_the_env_file_loads_as_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for line in (SYSTEMD / "gridhub.env").read_text().splitlines():  # uncommented lines
        name, sep, value = line.partition("=")
        if sep and name.startswith("GRIDHUB_"):
            monkeypatch.setenv(name, value)
    settings = Settings()
    assert settings.port == 8081
    assert settings.trusted_proxies == ["127.0.0.1/32"]
    assert settings.backup.keep == 14


def installed(unit: str) -> str:
    """The unit with /opt/gridhub (the install path) pointed at this checkout."""
    text = (SYSTEMD / unit).read_text()
    return text.replace("/opt/gridhub/.venv/bin/python", sys.executable).replace(
        "/opt/gridhub", str(ROOT)
    )


def test_the_units_name_existing_commands_and_the_env_file() -> None:
    for unit in UNITS[:2]:
        text = installed(unit)
        assert "EnvironmentFile=/etc/gridhub/gridhub.env" in text
        assert "Restart=always" in text
        assert "LimitNOFILE=" in text
        start = next(line for line in text.splitlines() if line.startswith("ExecStart="))
        assert Path(start.removeprefix("ExecStart=").split()[0]).is_file(), start


async def test_systemd_analyze_verifies_the_units(tmp_path: Path) -> None:
    for unit in UNITS:
        (tmp_path / unit).write_text(installed(unit))
    for unit, instance in INSTANCES.items():
        if instance != unit:  # an instance of a template unit
            (tmp_path / instance).symlink_to(tmp_path / unit)
    process = await asyncio.create_subprocess_exec(
        "systemd-analyze", "verify", "--man=no", *(str(tmp_path / i) for i in INSTANCES.values()),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    out = (await process.communicate())[0].decode()
    # users and paths of the target host (gridhub user, /var/lib/gridhub) do not exist here
    problems = [
        line for line in out.splitlines()
        if "gridhub" in line and "does not exist" not in line and "No such" not in line
    ]  # fmt: skip
    assert problems == [], out


def test_the_media_worker_unit_passes_flags_the_worker_takes() -> None:
    start = next(line for line in installed(UNITS[1]).splitlines() if line.startswith("ExecStart="))
    argv = start.replace("%i", "7001").replace("%H", "host").split()
    module = argv.index("-m") + 1
    assert argv[module] == "media.worker"
    args = parse(argv[module + 1 :])  # argparse exits on an unknown flag
    assert (args.port, args.id, args.capacity) == (7001, "media-host-7001", 200)
