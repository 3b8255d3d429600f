"""A video pull lasts only while the commander may make it: grants are re-checked."""

from __future__ import annotations

from tests.hub.conftest import bearer, login
from tests.signaling.conftest import CallHub
from tests.signaling.test_pull import COMMANDER, WORKER, audit_trail, request


async def test_a_pull_ends_when_the_commander_loses_the_command_role(hub: CallHub) -> None:
    commander, (phone,), ask = await request(hub, await hub.person(WORKER), devices=1)
    call_id = ask["call_id"]
    await phone.ok("call.accept", {"call_id": call_id})
    await commander.next("call.state", lambda d: d["state"] == "active")

    admin = bearer(await login(hub.client, "admin"))
    person = (await hub.person(COMMANDER)).person_id
    leader = {"roles": [{"role": "grid_leader", "grid": "370783-001-001"}]}
    response = await hub.client.patch(f"/api/v1/people/{person}", json=leader, headers=admin)
    assert response.status == 200

    ended = await phone.next("call.state", lambda d: d["state"] == "ended")
    assert (ended["call_id"], ended["outcome"], ended["reason"]) == (
        call_id,
        "answered",
        "access_revoked",
    )
    assert (await audit_trail(hub, call_id))[-1] == ("call.pull_ended", "system")
