"""Incidents through dispatch's bus contract: one request per active alarm, an outbox.

Dispatch itself is not loaded: a tiny responder answers the way its contract says it does.
"""

from __future__ import annotations

import itertools

from hub.plugins import BasePlugin, PluginContext
from plugins.alarms.client import DeviceClient
from plugins.dispatch.messages import IncidentChanged, IncidentRequested
from tests.hub.conftest import login
from tests.plugins.alarms.conftest import AlarmHub, StartAlarms, eventually

SMOKE = "dev-smoke-01"


class DispatchStandIn(BasePlugin):
    """A test plugin answering IncidentRequested like dispatch: one incident per
    (source, source_ref). It subscribes while it sets up, before any plugin's background
    work (the alarms plugin's start-up resend) runs."""

    name = "dispatchstandin"

    def __init__(self, answer: bool = True) -> None:
        self.answer = answer
        self.requests: list[IncidentRequested] = []
        self.opened: dict[tuple[str, str], int] = {}
        self._ids = itertools.count(100)

    async def setup(self, ctx: PluginContext) -> None:
        self._bus = ctx.bus
        await ctx.bus.subscribe(IncidentRequested, self._requested, group="dispatch.test")

    async def _requested(self, request: IncidentRequested) -> None:
        self.requests.append(request)
        if not self.answer:
            return
        key = (request.source, request.source_ref)
        if key not in self.opened:
            self.opened[key] = next(self._ids)
        await self._bus.publish(
            IncidentChanged(
                incident_id=self.opened[key], number=f"SG-{self.opened[key]}",
                action="reported", state="reported", previous_state=None,
                grid_id=request.grid_id or 0, category=request.category,
                priority=request.priority, source=request.source,
                source_ref=request.source_ref, actor_id=None, version=1,
            )
        )  # fmt: skip


async def alarm_view(hub: AlarmHub, alarm_id: int) -> dict[str, object]:
    token = await login(hub.client, "admin")
    body: dict[str, object] = await (await hub.api("GET", f"/{alarm_id}", token)).json()
    return body


async def test_one_incident_per_active_alarm(
    start_alarms: StartAlarms, devices: list[DeviceClient]
) -> None:
    dispatch = DispatchStandIn()
    hub = await start_alarms(
        {"incidents": {"categories": {"smoke": "fire_safety"}}}, extra={dispatch.name: dispatch}
    )
    device = hub.device(SMOKE)
    devices.append(device)
    await device.connect()
    await device.alarm("smoke", "MINOR")  # below the policy: no incident
    await device.alarm("smoke", "CRITICAL")  # now it wants one
    for _ in range(3):
        await device.alarm("smoke", "CRITICAL")
    await device.wait_acked(await device.alarm("door_open", "WARNING"))
    [request] = await eventually(lambda: dispatch.requests)
    alarm_id = int(request.source_ref.removeprefix("alarm:"))
    assert request.source == "alarm"
    assert request.category == "fire_safety"
    assert request.priority == "urgent"
    assert request.grid_id is not None
    assert request.title.startswith("烟感告警：")  # the dispatcher reads the type in Chinese
    view = await eventually(lambda: _with_incident(hub, alarm_id))
    assert view["incident_id"] == 100
    history = [h["action"] for h in view["history"]]
    assert history[-1] == "incident_opened"
    # after a clear, a new alarm of the same type is a new alarm, with its own incident
    await device.clear("smoke")
    await device.wait_acked(await device.alarm("smoke", "CRITICAL"))
    await eventually(lambda: len(dispatch.requests) == 2)
    assert len({m.source_ref for m in dispatch.requests}) == 2
    assert len(dispatch.opened) == 2


async def _with_incident(hub: AlarmHub, alarm_id: int) -> dict[str, object] | None:
    view = await alarm_view(hub, alarm_id)
    return view if view["incident_id"] is not None else None


async def test_requests_lost_on_the_bus_are_sent_again_at_start_up(
    start_alarms: StartAlarms, devices: list[DeviceClient]
) -> None:
    deaf = DispatchStandIn(answer=False)  # the request is "lost": nobody answers it
    hub = await start_alarms(extra={deaf.name: deaf})
    device = hub.device(SMOKE)
    devices.append(device)
    await device.connect()
    await device.wait_acked(await device.alarm("smoke", "CRITICAL"))
    [lost] = await eventually(lambda: deaf.requests)
    await device.close()
    await hub.client.close()
    dispatch = DispatchStandIn()
    again = await start_alarms(reuse=hub.data_dir, extra={dispatch.name: dispatch})
    [resent] = await eventually(lambda: dispatch.requests)
    assert resent.source_ref == lost.source_ref
    alarm_id = int(lost.source_ref.removeprefix("alarm:"))
    await eventually(lambda: _with_incident(again, alarm_id))
    await again.client.close()
    # answered: the next start asks for nothing
    third = DispatchStandIn()
    last = await start_alarms(reuse=hub.data_dir, extra={third.name: third})
    await last.api("GET", "", await login(last.client, "admin"))
    assert third.requests == []


async def test_major_alarm_maps_to_high_priority(
    start_alarms: StartAlarms, devices: list[DeviceClient]
) -> None:
    dispatch = DispatchStandIn(answer=False)
    hub = await start_alarms(
        {"incidents": {"severities": ["CRITICAL", "MAJOR"], "names": {"cover_open": "井盖开启"}}},
        extra={dispatch.name: dispatch},
    )
    device = hub.device("dev-mh-01")
    devices.append(device)
    await device.connect()
    await device.wait_acked(await device.alarm("cover_open", "MAJOR"))
    [request] = await eventually(lambda: dispatch.requests)
    assert (request.priority, request.category) == ("high", "iot_alarm")
    assert request.title.startswith("井盖开启：")
