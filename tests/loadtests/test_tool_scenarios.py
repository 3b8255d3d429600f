"""gridhub-load scenario files and targets: every mistake is refused with a clear message.

The command line is run as the operator runs it (`python -m loadtests`), in its own process;
a refused scenario or target exits with status 2 before anything is sent anywhere.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from loadtests.scenario import (
    SCENARIOS,
    ScenarioError,
    check_targets,
    from_dict,
    load,
)

ROOT = Path(__file__).resolve().parents[2]
READY = ("smoke", "county-day", "alarm-storm", "fanout", "calls")


def tool(*args: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "loadtests", *args]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=60)


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "s.toml"
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize("name", READY)
def test_ready_scenarios_load(name: str) -> None:
    scenario = load(name)
    assert scenario.name == name
    assert (SCENARIOS / f"{name}.toml").is_file()


def test_county_day_is_a_county_of_2000_workers_and_1000_devices() -> None:
    county = load("county-day")
    assert county.workers.count == 2000
    assert county.devices.count == 1000
    assert county.sockets_per_process() < 19_900


def test_list_names_every_ready_scenario() -> None:
    done = tool("list")
    assert done.returncode == 0
    for name in READY:
        assert name in done.stdout


def test_unknown_key_is_named(tmp_path: Path) -> None:
    done = tool(
        "run",
        write(tmp_path, "[workers]\ncount = 5\nheartbeats = 3\n"),
        "--url",
        "http://127.0.0.1:9",
    )
    assert done.returncode == 2
    assert "[workers]: unknown key 'heartbeats'" in done.stderr
    assert "heartbeat_s" in done.stderr  # the allowed keys are listed


def test_unknown_section_is_named(tmp_path: Path) -> None:
    done = tool("check", write(tmp_path, "[walkers]\ncount = 5\n"))
    assert done.returncode == 2
    assert "unknown key 'walkers'" in done.stderr


def test_bad_toml_is_reported(tmp_path: Path) -> None:
    done = tool("check", write(tmp_path, "duration_s = = 3\n"))
    assert done.returncode == 2
    assert "not valid TOML" in done.stderr


def test_wrong_type_and_range_are_refused() -> None:
    with pytest.raises(ScenarioError, match=r"\[devices\]\.count: expected int"):
        from_dict({"devices": {"count": "many"}})
    with pytest.raises(ScenarioError, match=r"\[workers\]\.count: 30000 is outside 0\.\.20000"):
        from_dict({"workers": {"count": 30_000}})
    with pytest.raises(ScenarioError, match="severity"):
        from_dict({"devices": {"severity": "LOUD"}})
    with pytest.raises(ScenarioError, match="ramp_s"):
        from_dict({"duration_s": 10, "ramp_s": 20})


def test_too_many_sockets_for_one_process_asks_for_processes() -> None:
    with pytest.raises(ScenarioError, match="raise `processes`"):
        from_dict({"workers": {"count": 15_000}, "devices": {"count": 10_000}})
    assert (
        from_dict(
            {"workers": {"count": 15_000}, "devices": {"count": 10_000}, "processes": 2}
        ).processes
        == 2
    )


def test_non_loopback_target_needs_allow_host() -> None:
    done = tool("run", "smoke", "--url", "http://192.0.2.10:8080")
    assert done.returncode == 2
    assert "not loopback" in done.stderr
    assert "--allow-host 192.0.2.10" in done.stderr


def test_allow_host_admits_only_the_named_host() -> None:
    check_targets(["http://192.0.2.10:8080"], ["192.0.2.10"])
    check_targets(["http://127.0.0.1:8080", "http://[::1]:8081", "http://localhost:1"], [])
    with pytest.raises(ScenarioError, match=re.escape("--allow-host 192.0.2.11")):
        check_targets(["http://192.0.2.10:8080", "http://192.0.2.11:8080"], ["192.0.2.10"])


def test_no_target_and_unknown_scenario_and_baseline() -> None:
    done = tool("run", "smoke")
    assert done.returncode == 2
    assert "no target" in done.stderr
    done = tool("run", "county-night", "--url", "http://127.0.0.1:9")
    assert done.returncode == 2
    assert "no scenario named 'county-night'" in done.stderr
    done = tool("run", "smoke", "--url", "http://127.0.0.1:9", "--baseline", "go")
    assert done.returncode == 2
    assert "unknown 'go'" in done.stderr


def test_scenario_round_trips_through_its_json_form() -> None:
    county = load("county-day")
    assert from_dict(county.public()) == county
