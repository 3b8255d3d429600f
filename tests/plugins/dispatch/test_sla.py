"""SLA deadlines: warning, then overdue -> supervision by the level above, across a restart."""

from __future__ import annotations

import asyncio
from typing import Any

from hub.app import build_app
from hub.keys import BUS, GRIDS, TIMERS
from plugins.dispatch import DispatchPlugin
from plugins.dispatch.messages import IncidentOverdue
from tests.hub.conftest import AiohttpClient, Hub
from tests.hub.sockets import Peer, joined
from tests.plugins.dispatch.conftest import StartDispatch, api_as, person_id

# Long enough for the second hub to start and the commander to join before it passes (a
# deadline that passes during start-up fires before anyone is there to receive the push).
SIGN_SLA_S = 8


async def test_overdue_after_a_restart_flags_supervision_once(
    start_dispatch: StartDispatch, aiohttp_client: AiohttpClient, peers: list[Peer]
) -> None:
    config = {"sla": {"sign": {"normal": SIGN_SLA_S}}, "warn_at": 0.3}
    first = await start_dispatch(config)
    cmd = await api_as(first.client, "v01.cmd")
    w01 = await person_id(first.client, "w01")
    incident = await cmd.report()
    incident = await cmd.act(
        incident, "dispatch", assignees=[{"kind": "person", "target": str(w01)}]
    )
    assert incident["stage"] == "sign"
    await first.client.close()  # the hub stops before the deadline...

    second = await aiohttp_client(
        build_app(first.settings, available_plugins={"dispatch": DispatchPlugin()})
    )  # ...and a new one on the same database picks the timer up.
    overdue: asyncio.Queue[IncidentOverdue] = asyncio.Queue()
    await second.app[BUS].listen(IncidentOverdue, overdue.put)
    town = await joined(second, peers, "town1.cmd")
    deadline_s = SIGN_SLA_S + 5
    pushed = await town.next("dispatch.incident", _about(incident["id"], "overdue"), deadline_s)
    town_id = second.app[GRIDS].index.by_code("370783-001").id
    assert pushed["incident"]["overdue"] is True
    assert pushed["incident"]["supervised_by_grid"] == town_id
    message = await asyncio.wait_for(overdue.get(), 5)
    assert (message.incident_id, message.stage) == (incident["id"], "sign")
    assert message.deadline == incident["stage_deadline"]

    cmd = await api_as(second, "v01.cmd")
    detail = await cmd.get(incident["id"])
    actions = [e["action"] for e in detail["timeline"]]
    assert actions == ["reported", "dispatch", "sla_warning", "overdue"]
    assert detail["version"] == incident["version"]  # overdue is not anyone's action
    worker = await api_as(second, "w01")
    signed = await worker.act(detail, "sign")  # late, but it still moves on
    assert (signed["stage"], signed["overdue"]) == ("handle", False)
    kpis = await cmd.call("GET", "/kpis?grid=370783-001-001")
    assert kpis["overall"]["on_time_rate"]["sign"] == 0.0
    assert kpis["overall"]["overdue"] == 1


def _about(incident_id: int, action: str) -> Any:
    return lambda e: e["incident"]["id"] == incident_id and e["action"] == action


async def test_acting_in_time_cancels_the_deadline(hub: Hub, peers: list[Peer]) -> None:
    cmd = await api_as(hub.client, "v01.cmd")
    w01 = await person_id(hub.client, "w01")
    incident = await cmd.report()
    incident = await cmd.act(
        incident, "dispatch", assignees=[{"kind": "person", "target": str(w01)}]
    )
    worker = await api_as(hub.client, "w01")
    incident = await worker.act(incident, "sign")
    timers = {(t.kind, t.key, t.payload["stage"]) for t in await _timers(hub)}
    assert timers == {("sla", f"sla:{incident['id']}", "handle")}  # one timer, the new stage
    incident = await cmd.act(incident, "park", note="等待汛期后处理",
                             review_at="2099-01-01T00:00:00+08:00")  # fmt: skip
    assert incident["stage"] is None
    assert {t.key for t in await _timers(hub)} == {f"review:{incident['id']}"}


async def _timers(hub: Hub) -> list[Any]:
    return list(await hub.client.app[TIMERS].store.pending("dispatch"))
