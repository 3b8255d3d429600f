"""The shipped backup units (deploy/systemd/gridhub-backup.service and .timer):
`systemd-analyze verify` accepts them with /opt/gridhub pointed at this checkout, and the
service runs the `gridhub backup` command this checkout has."""

from __future__ import annotations

import asyncio
from pathlib import Path

from click.testing import CliRunner

from hub.cli import main

ROOT = Path(__file__).parents[2]
SYSTEMD = ROOT / "deploy" / "systemd"
UNITS = ("gridhub-backup.service", "gridhub-backup.timer")


def installed(unit: str) -> str:
    return (SYSTEMD / unit).read_text().replace("/opt/gridhub", str(ROOT))


def test_the_service_runs_gridhub_backup() -> None:
    start = next(line for line in installed(UNITS[0]).splitlines() if line.startswith("ExecStart"))
    program, *args = start.removeprefix("ExecStart=").split()
    assert Path(program).is_file(), program
    assert args == ["backup"]
    assert CliRunner().invoke(main, [*args, "--help"]).exit_code == 0
    assert "Persistent=true" in installed(UNITS[1])


async def test_systemd_analyze_verifies_the_backup_units(tmp_path: Path) -> None:
    for unit in UNITS:
        (tmp_path / unit).write_text(installed(unit))
    process = await asyncio.create_subprocess_exec(
        "systemd-analyze", "verify", "--man=no", *(str(tmp_path / u) for u in UNITS),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    out = (await process.communicate())[0].decode()
    # the gridhub user and /var/lib/gridhub of the target host do not exist here
    problems = [
        line for line in out.splitlines()
        if "gridhub" in line and "does not exist" not in line and "No such" not in line
    ]  # fmt: skip
    assert problems == [], out
