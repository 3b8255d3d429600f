"""A group call keeps only those who may still join its channel: grants are re-checked."""

from __future__ import annotations

from tests.hub.conftest import bearer
from tests.media.conftest import MediaHub


async def test_whoever_loses_the_channel_is_taken_out_of_its_call(media_hub: MediaHub) -> None:
    channel = {"channel_id": await media_hub.village_channel()}
    commander = await media_hub.socket("v01.cmd")
    worker = await media_hub.socket("w01")
    _ear, joined = await media_hub.join(commander, "group.join", channel, 500.0)
    await media_hub.join(worker, "group.join", channel, 1300.0)
    await worker.next("group.participants", lambda d: len(d["participants"]) == 2)

    person = await media_hub.person_id("v01.cmd")
    admin = bearer(await media_hub.token("admin"))
    response = await media_hub.client.patch(
        f"/api/v1/people/{person}", json={"roles": []}, headers=admin
    )
    assert response.status == 200

    ended = await commander.next("group.ended")
    assert (ended["room_id"], ended["reason"]) == (joined["room_id"], "access_revoked")
    roster = await worker.next("group.participants", lambda d: len(d["participants"]) == 1)
    assert [p["person_id"] for p in roster["participants"]] != [person]
    again = await commander.call("group.join", {**channel, "sdp": "v=0\r\n" * 3})
    assert again["error"]["code"] == "media.not_member"
