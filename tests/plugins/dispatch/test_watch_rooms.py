"""An incident's watchers keep its room only while their grants let them see it."""

from __future__ import annotations

from tests.hub.conftest import Hub, bearer, login
from tests.hub.sockets import Peer, joined
from tests.plugins.dispatch.conftest import BASIC, centre, person_id


async def test_a_watcher_who_loses_the_staff_role_leaves_the_incident_room(
    hub: Hub, peers: list[Peer]
) -> None:
    client = hub.client
    worker = await joined(client, peers, "w01")
    leader = await joined(client, peers, "v01.lead")  # a grid leader: no command-centre room
    reported = await worker.ok(
        "dispatch.report",
        {"title": "河道垃圾", "category": "env_sanitation", "location": centre(client)},
    )
    incident = reported["incident"]
    await leader.ok("dispatch.watch", {"incident_id": incident["id"]})
    note = {"incident_id": incident["id"], "action": "comment", "note": "已到现场"}
    await worker.ok("dispatch.act", {**note, "version": incident["version"]})
    await leader.next("dispatch.incident", lambda e: e["incident"]["id"] == incident["id"])

    admin = bearer(await login(client, "admin"))
    person = await person_id(client, "v01.lead")
    resident = {"roles": [{"role": "resident", "grid": BASIC}]}
    response = await client.patch(f"/api/v1/people/{person}", json=resident, headers=admin)
    assert response.status == 200

    latest = (await worker.ok("dispatch.get", {"incident_id": incident["id"]}))["incident"]
    await worker.ok("dispatch.act", {**note, "note": "已处理", "version": latest["version"]})
    await leader.ok("presence.activity", {})  # acked after anything emitted to it before
    assert leader.drain("dispatch.incident") == []
