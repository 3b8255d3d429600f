"""Every escalation route answers what its response model (and so the OpenAPI document) says."""

from __future__ import annotations

from typing import Any

from tests.hub.answers import Answers
from tests.hub.conftest import Client, bearer, login
from tests.hub.sockets import Peer, joined
from tests.plugins.escalation.conftest import StartHub

PREFIX = "/api/v1/escalation"


async def answer(client: Client, answers: Answers, path: str, token: str) -> Any:
    response = await client.get(PREFIX + path, headers=bearer(token))
    body = await response.json()
    assert response.status == 200, body
    answers.check("GET", PREFIX + path, body)
    return body


async def test_every_escalation_route_answers_its_model(
    start_escalation: StartHub, peers: list[Peer]
) -> None:
    client = (await start_escalation()).client
    answers = Answers(client.app)
    worker, other = [await joined(client, peers, u) for u in ("w01", "w02")]
    commander = await joined(client, peers, "v01.cmd")
    placed = (await worker.ok("escalation.sos.raise", {"lat": 36.93, "lon": 118.62}))["sos"]
    unplaced = (await other.ok("escalation.sos.raise", {"note": "无定位"}))["sos"]
    assert unplaced["location"] is None
    await commander.ok("escalation.sos.ack", {"sos_id": placed["id"]})
    await commander.ok("escalation.sos.close", {"sos_id": placed["id"], "note": "已处置"})
    token = await login(client, "v01.cmd")

    await answer(client, answers, "/policies", token)
    chains = await answer(client, answers, "/chains", token)
    assert chains["chains"]
    listed = await answer(client, answers, "/sos", token)
    assert {s["state"] for s in listed["sos"]} == {"open", "closed"}
    one = await answer(client, answers, f"/sos/{placed['id']}", token)
    assert one["sos"]["owner_id"] is not None
    task = {"task": "水库大坝巡查", "interval_s": 600}
    await worker.ok("escalation.checkin.start", task)
    running = await answer(client, answers, "/checkins?state=active", token)
    assert [c["task"] for c in running["checkins"]] == ["水库大坝巡查"]
    assert answers.unchecked(PREFIX) == []
