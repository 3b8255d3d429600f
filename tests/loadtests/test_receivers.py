"""Receiver modes of the fan-out driver against a real hub on loopback (small counts).

Hand-framed engine.io receivers (`raw`), engine.io receivers on aiohttp's WebSocket client and
python-socketio receivers all get every message exactly once and in send order; the
generator's CPU is reported and a run above 80 % of a core is marked generator-bound. Here the
hub runs in the test's own process, so the "generator" CPU figure includes the hub: only its
presence and range are checked, never its size.
"""

from __future__ import annotations

from typing import Any

import pytest

from loadtests.cli import parser as load_parser
from loadtests.realtime.cli import parser as bench_parser
from loadtests.realtime.fanout import figures
from loadtests.realtime.receivers import generator_bound
from loadtests.realtime.traffic import Plan, drive
from tests.hub.conftest import StartHub, login


async def run_plan(start_hub: StartHub, mode: str, receivers: int, messages: int) -> Any:
    """The admin of an empty hub sends into a channel of its own; its other sockets receive."""
    hub = await start_hub(demo=False)
    client = hub.client
    url = str(client.make_url("")).rstrip("/")
    token = await login(client, "admin", hub.admin_password)
    plan = Plan(url, token, [token] * receivers, [], messages, 1000.0, receivers=mode)
    return figures(*await drive(plan), plan)


@pytest.mark.parametrize(
    ("mode", "receivers", "messages"), [("raw", 20, 50), ("aiohttp", 10, 30), ("socketio", 5, 20)]
)
async def test_every_receiver_gets_every_message_once_in_order(
    start_hub: StartHub, mode: str, receivers: int, messages: int
) -> None:
    result = await run_plan(start_hub, mode, receivers, messages)
    assert result["receiver_mode"] == mode
    assert result["probe_reached"] == receivers
    assert result["acks_ok"] == messages
    assert result["deliveries"] == result["deliveries_expected"] == receivers * messages
    assert result["receivers_in_order"] == result["receivers_complete"] == receivers
    assert result["receivers_exactly_once"] == result["receivers_in_offset_order"] == receivers
    assert 0 < result["generator_cpu_pct"] == result["cpu"]["loadgen_cpu_pct"]
    assert result["generator_bound"] is generator_bound(result["cpu"])


def test_generator_bound_above_80_percent_of_a_core() -> None:
    assert generator_bound({"loadgen_cpu_pct": 80.1})
    assert not generator_bound({"loadgen_cpu_pct": 80.0})
    assert not generator_bound({"loadgen_cpu_pct": 12.5})
    assert not generator_bound({})


def test_both_tools_take_the_receiver_mode() -> None:
    bench = bench_parser()
    assert bench.parse_args(["fanout"]).receivers == "raw"
    assert bench.parse_args(["fanout", "--receivers", "socketio"]).receivers == "socketio"
    assert bench.parse_args(["fanout", "--receivers", "aiohttp"]).receivers == "aiohttp"
    load = load_parser()
    assert load.parse_args(["run", "x", "--receivers", "socketio"]).receivers == "socketio"
    assert load.parse_args(["run", "x"]).receivers == "raw"
    with pytest.raises(SystemExit):
        bench.parse_args(["fanout", "--receivers", "fast"])
