"""Escalation chains driven by real bus messages: climbing, stopping, surviving a restart."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Any

from plugins.dispatch.messages import IncidentChanged, IncidentOverdue
from tests.hub.conftest import Client, bearer, login
from tests.hub.sockets import Peer, joined
from tests.plugins.escalation.conftest import (
    BASIC,
    StartHub,
    alarm,
    audit,
    bus_of,
    grid_id,
    policy,
    publish,
    until,
)

CLOCK_RESOLUTION_S = 0.001  # audit times are stored to the microsecond
TIMING_SLACK_S = 0.5  # generous: these are behaviour tests, the benchmark measures lateness
CLIMB = {
    "name": "climb",
    "trigger": "alarm",
    "severities": ["CRITICAL"],
    "steps": [
        {"level": "grid", "after_s": 0, "actions": ["ring"]},
        {"level": "village", "after_s": 0.3, "actions": ["notify_room", "ring"]},
        {"level": "town", "after_s": 0.6},
        {"level": "county", "after_s": 0.9},
    ],
}


async def chains(client: Client, state: str | None = None) -> list[dict[str, Any]]:
    query = "" if state is None else f"?state={state}"
    token = await login(client, "county.cmd")
    response = await client.get("/api/v1/escalation/chains" + query, headers=bearer(token))
    assert response.status == 200
    found: list[dict[str, Any]] = (await response.json())["chains"]
    return found


def late(alert: dict[str, Any], after_s: float) -> float:
    return time.time() - (float(alert["started_at"]) + after_s)


async def test_a_chain_climbs_the_levels_when_nobody_acts(
    start_escalation: StartHub, peers: list[Peer]
) -> None:
    client = (await start_escalation({"policies": [CLIMB]})).client
    leader, village, town, county = [
        await joined(client, peers, u) for u in ("v01.lead", "v01.cmd", "town1.cmd", "county.cmd")
    ]
    await publish(client, alarm(41, grid_id(client, BASIC)))
    ring = await leader.next("escalation.ring")
    assert (ring["step"], ring["level"], ring["subject"]) == (0, "grid", "alarm:41")
    for console, step, level, after in (
        (village, 1, "village", 0.3),
        (town, 2, "town", 0.6),
        (county, 3, "county", 0.9),
    ):
        alert = await console.next("escalation.alert")
        assert (alert["step"], alert["level"]) == (step, level)
        assert 0 <= late(alert, after) < TIMING_SLACK_S
        assert alert["context"]["severity"] == "CRITICAL"
    assert (await village.next("escalation.ring"))["step"] == 1
    await until(lambda: _state(client, "finished"))
    assert not village.drain("escalation.alert")  # each console only its own level
    steps = await audit(client, "escalation.chain.step")
    assert [e.details["step"] for e in steps] == [0, 1, 2, 3]


async def _state(client: Client, state: str) -> bool:
    return [c["state"] for c in await chains(client)] == [state]


async def test_an_acknowledged_alarm_stops_its_chain_mid_way(
    start_escalation: StartHub, peers: list[Peer]
) -> None:
    client = (await start_escalation({"policies": [CLIMB]})).client
    town, county = [await joined(client, peers, u) for u in ("town1.cmd", "county.cmd")]
    basic = grid_id(client, BASIC)
    await publish(client, alarm(42, basic, "repeated"))  # not a start
    await publish(client, alarm(42, basic))
    await publish(client, alarm(42, basic))  # a duplicate delivery starts nothing more
    alert = await town.next("escalation.alert")
    await publish(client, alarm(42, basic, "acknowledged", acknowledged=True, actor_id=5))
    stopped = await county.next("escalation.chain.stopped")
    assert (stopped["subject"], stopped["reason"]) == ("alarm:42", "acknowledged")
    [chain] = await chains(client)
    assert (chain["state"], chain["next_step"]) == ("stopped", 3)
    remaining = 0.9 - (time.time() - alert["started_at"]) + TIMING_SLACK_S
    if remaining > 0:  # an absence: let the county step's time pass, then look
        await asyncio.sleep(remaining)
    assert county.drain("escalation.alert") == []
    assert len(await audit(client, "escalation.chain.step")) == 3
    assert len(await audit(client, "escalation.chain.stopped")) == 1


async def test_an_overdue_incident_escalates_until_it_moves_on(
    start_escalation: StartHub, peers: list[Peer]
) -> None:
    config = {"policies": [policy("late", "incident", 0, 30)]}
    client = (await start_escalation(config)).client
    village = await joined(client, peers, "v01.cmd")
    basic = grid_id(client, BASIC)
    await publish(
        client,
        IncidentOverdue(
            incident_id=7,
            number="SG-7",
            stage="accept",
            state="assigned",
            grid_id=basic,
            category="flood",
            priority="high",
            deadline=time.time() - 1,
        ),
    )
    alert = await village.next("escalation.alert")
    assert alert["context"]["number"] == "SG-7"

    def changed(state: str) -> IncidentChanged:
        return IncidentChanged(
            incident_id=7,
            number="SG-7",
            action="commented",
            state=state,
            previous_state="assigned",
            grid_id=basic,
            category="flood",
            priority="high",
            source="manual",
            source_ref=None,
            actor_id=None,
            version=3,
        )

    await publish(client, changed("assigned"))  # still where it was overdue
    await bus_of(client).flush()  # handled: looked at before, "active" proved nothing
    assert [c["state"] for c in await chains(client)] == ["active"]
    await publish(client, changed("in_progress"))
    await until(lambda: _state(client, "stopped"))


async def test_a_chain_keeps_its_timing_across_a_hub_restart(
    start_escalation: StartHub, peers: list[Peer]
) -> None:
    config = {"policies": [policy("slow", "alarm", 0, 3.0, 3.5)]}
    first = await start_escalation(config)
    village = await joined(first.client, peers, "v01.cmd")
    await publish(first.client, alarm(43, grid_id(first.client, BASIC)))
    opened = await village.next("escalation.alert")
    assert opened["step"] == 0
    await village.sio.disconnect()
    await first.client.close()

    second = await start_escalation(config, data_dir=first.settings.data_dir, seed=False)
    back = time.time()
    await until(lambda: _state(second.client, "finished"))
    steps = await audit(second.client, "escalation.chain.step")
    assert [e.details["step"] for e in steps] == [0, 1, 2]
    for entry, after in zip(steps[1:], (3.0, 3.5), strict=True):
        due = float(opened["started_at"]) + after
        fired = _epoch(entry.at)
        # Never early; on time when the hub was back before the step was due, and at once
        # after start-up when it was not (a busy machine can take longer than 3 s to restart:
        # the step is then overdue, not lost).
        assert fired >= due - CLOCK_RESOLUTION_S
        assert fired < max(due, back) + TIMING_SLACK_S


def _epoch(at: datetime) -> float:
    """Audit times are UTC; SQLite hands them back without their zone."""
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).timestamp()
