"""The shipped Grafana dashboard and Prometheus alert rules (deploy/monitoring/) use only
metrics a running hub exports: each name is looked up in the /metrics of a real node (HTTP on
loopback) with the alarms plugin and an embedded media worker; promtool accepts the rules."""

from __future__ import annotations

import asyncio
import json
import re
import time
from pathlib import Path

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from hub.bus import MessageBus
from hub.messages import GridTreeChanged
from hub.node_metrics import SAMPLED, TICK_S
from plugins.alarms.plugin import AlarmsPlugin
from storage.memory.bus import MemoryBusTransport
from storage.redis.bus import RedisBusTransport
from tests.hub.conftest import (  # noqa: F401  (fixtures)
    Client,
    StartHub,
    copy_demo,
    demo_template,
    login,
    peers,
    start_hub,
)
from tests.hub.sockets import Peer, connect
from tests.media.conftest import MediaHub

MONITORING = Path(__file__).parents[2] / "deploy" / "monitoring"
DASHBOARD, RULES = MONITORING / "grafana-dashboard.json", MONITORING / "gridhub-alerts.yml"
NAME = re.compile(r"\b(?:gridhub|process)_[a-z0-9_]+\b")
BLOCK_S = 0.8  # how long the lag test blocks the event loop
LAG_UNDER_HALF_S = 'gridhub_event_loop_lag_seconds_bucket{le="0.5"}'
SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count"), "gauge": ("",)}


def dashboard_expressions() -> list[str]:
    panels = json.loads(DASHBOARD.read_text())["panels"]
    return [target["expr"] for panel in panels for target in panel["targets"]]


def rule_expressions() -> list[str]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return [rule["expr"] for group in groups for rule in group["rules"]]


def exported(text: str) -> set[str]:
    """Every series name a scrape can show, samples or not (a labelled family may have none
    yet): the samples' names and each family's names by its type."""
    names: set[str] = set()
    for family in text_string_to_metric_families(text):
        names |= {sample.name for sample in family.samples}
        names |= {family.name + suffix for suffix in SUFFIXES.get(family.type, ("",))}
    return names


async def test_every_metric_of_the_dashboard_and_the_alerts_is_exported(
    start_hub: StartHub,  # noqa: F811
    peers: list[Peer],  # noqa: F811
) -> None:
    started = await start_hub(
        media={"embedded_workers": 1}, with_plugins={"alarms": AlarmsPlugin()}
    )
    hub = MediaHub(started.client, peers)
    async with asyncio.timeout(30):
        await hub.pool.wait_for(lambda: all(s.state == "up" for s in hub.pool.slots.values()))
    response = await started.client.get("/metrics")
    assert response.status == 200
    names = exported(await response.text())
    used = {n for e in dashboard_expressions() + rule_expressions() for n in NAME.findall(e)}
    assert len(used) > 20
    assert used - names == set()
    # the figures this page promises exist by name, including event-loop and bus lag
    for promised in ("gridhub_event_loop_lag_seconds_bucket", "gridhub_bus_backlog_messages"):
        assert promised in used


def test_every_dashboard_panel_has_a_query_and_a_title() -> None:
    panels = json.loads(DASHBOARD.read_text())["panels"]
    assert all(panel["title"] and panel["targets"] for panel in panels)
    assert len({panel["id"] for panel in panels}) == len(panels)


async def test_promtool_accepts_the_alert_rules() -> None:
    process = await asyncio.create_subprocess_exec(
        "promtool", "check", "rules", str(RULES), stdout=asyncio.subprocess.PIPE
    )
    out, _ = await process.communicate()
    assert process.returncode == 0, out.decode()
    assert f"SUCCESS: {len(rule_expressions())} rules found" in out.decode()


@pytest.mark.parametrize("backend", ["memory", "redis"])
async def test_the_bus_reports_its_consumer_lag(
    backend: str, request: pytest.FixtureRequest
) -> None:
    """`gridhub_bus_backlog_messages` comes from here: with a handler stuck on its first
    message, the two after it wait (Redis: not yet handed to the group; one unacknowledged)."""
    transport: MemoryBusTransport | RedisBusTransport = MemoryBusTransport()
    if backend == "redis":
        transport = RedisBusTransport(request.getfixturevalue("redis_url"), node_id="lag")
    bus = MessageBus(transport)
    started, release = asyncio.Event(), asyncio.Event()

    async def stuck(_: GridTreeChanged) -> None:
        started.set()
        await release.wait()

    await bus.subscribe(GridTreeChanged, stuck, group="lag-test")
    for grid_id in (1, 2, 3):
        await bus.publish(GridTreeChanged(grid_ids=(grid_id,)))
    await started.wait()
    [row] = [b for b in await bus.backlog() if b.group == "lag-test"]
    assert row.topic == GridTreeChanged.topic
    # memory: two queued behind the stuck one; Redis: all three read or waiting, none acked
    assert (row.waiting == 2) if backend == "memory" else (row.waiting + row.unacked == 3)
    release.set()
    await bus.flush()
    [row] = [b for b in await bus.backlog() if b.group == "lag-test"]
    assert (row.waiting, row.unacked) == (0, 0)
    await bus.close()


async def samples(client: Client) -> dict[str, float]:
    """Samples by name (labelled ones summed), and each labelled one by `name{k="v",...}`."""
    response = await client.get("/metrics")
    assert response.status == 200
    found: dict[str, float] = {}
    for family in text_string_to_metric_families(await response.text()):
        for sample in family.samples:
            found[sample.name] = found.get(sample.name, 0.0) + sample.value
            labels = ",".join(f'{k}="{v}"' for k, v in sorted(sample.labels.items()))
            found[f"{sample.name}{{{labels}}}"] = sample.value
    return found


async def test_sockets_fanout_and_event_loop_lag_are_measured(
    start_hub: StartHub,  # noqa: F811
    peers: list[Peer],  # noqa: F811
) -> None:
    hub = await start_hub()
    console = await connect(hub.client, await login(hub.client, "county.cmd"))
    peers.append(console)
    worker = await connect(hub.client, await login(hub.client, "w01"))
    peers.append(worker)
    await console.next("presence.changed")  # the worker came online: one fan-out at least
    figures = await samples(hub.client)
    assert figures["gridhub_socket_connections"] == 2
    assert figures["gridhub_fanout_emits_total"] >= 1
    assert figures["gridhub_fanout_rooms_total"] >= figures["gridhub_fanout_emits_total"]
    # Block the event loop (as a slow synchronous call would): the next probe is that late.
    sampled = hub.client.app[SAMPLED]
    await sampled.probing()
    time.sleep(BLOCK_S)  # noqa: ASYNC251  (blocking the loop is the point)
    await sampled.probing()
    figures = await samples(hub.client)
    assert figures["gridhub_event_loop_lag_seconds_sum"] >= BLOCK_S - TICK_S
    # that probe's lag (at least BLOCK_S - TICK_S) lies above the 0.5 s bucket
    assert figures["gridhub_event_loop_lag_seconds_count"] > figures[LAG_UNDER_HALF_S]
