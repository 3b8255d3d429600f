"""An activity edited or cancelled after publishing: participants are told over their socket;
the capacity never drops below the sign-ups; a cancelled activity takes no sign-up, check-in
or completion; scope, roles, and bad input refused with nothing changed."""

from __future__ import annotations

from hub.testing.fixtures import StartGridHub
from tests.plugins.participation.conftest import (
    API,
    OTHER_VILLAGE,
    VILLAGE,
    add_resident,
    participation_hub,
)
from tests.plugins.participation.test_volunteers import activity

EVENT = "participation.activity_changed"


async def test_edit_and_cancel_tell_participants(start_gridhub: StartGridHub) -> None:
    hub = await participation_hub(start_gridhub)
    officer, neighbour = await hub.sign_in("v01.cmd"), await hub.sign_in("v02.cmd")
    village = await hub.grid_id(VILLAGE)
    published = await officer.json("POST", f"{API}/activities", json=activity(village))
    path = f"{API}/activities/{published['id']}"
    for name in ("chg.a", "chg.b", "chg.late"):
        await add_resident(hub, name)
    a, b, late = [await hub.sign_in(n) for n in ("chg.a", "chg.b", "chg.late")]
    for client in (a, b):
        await client.json("POST", f"{path}/signups")
    socket = await hub.socket("chg.a")

    edited = await officer.json("PUT", path, json=activity(village, place="村委会广场"))
    assert (edited["place"], edited["told"], edited["check_code"]) == (
        "村委会广场",
        2,
        published["check_code"],
    )
    told = await socket.next(EVENT)
    assert (told["change"], told["activity"]["place"]) == ("edited", "村委会广场")
    assert "check_code" not in told["activity"]

    before = await officer.json("GET", f"{API}/activities", params={"grid_id": village})
    refusals = [
        (officer, activity(village, capacity=1), (409, "participation.capacity_below_signups")),
        (officer, activity(village, hours=0), (422, "request.invalid")),
        (
            officer,
            activity(await hub.grid_id(OTHER_VILLAGE)),
            (422, "participation.activity_moved"),
        ),
        (neighbour, activity(village), (403, "scope.forbidden")),
        (a, activity(village), (403, "auth.role_required")),
    ]
    for client, body, refusal in refusals:
        assert await client.refused("PUT", path, json=body) == refusal, body
    for body in ({"reason": ""}, {"reason": "x" * 201}, {}):
        assert await officer.refused("POST", f"{path}/cancel", json=body) == (
            422,
            "request.invalid",
        )
    assert await neighbour.refused("POST", f"{path}/cancel", json={"reason": "x"}) == (
        403,
        "scope.forbidden",
    )
    assert await officer.json("GET", f"{API}/activities", params={"grid_id": village}) == before
    assert socket.drain(EVENT) == []

    cancelled = await officer.json("POST", f"{path}/cancel", json={"reason": "暴雨预警"})
    assert (cancelled["state"], cancelled["told"]) == ("cancelled", 2)
    told = await socket.next(EVENT)
    assert (told["change"], told["activity"]["cancel_reason"]) == ("cancelled", "暴雨预警")
    cancelled_code = (409, "participation.activity_cancelled")
    assert await late.refused("POST", f"{path}/signups") == cancelled_code
    code = {"code": published["check_code"]}
    assert await b.refused("POST", f"{path}/check-in", json=code) == cancelled_code
    assert await officer.refused("POST", f"{path}/complete") == cancelled_code
    assert await officer.refused("PUT", path, json=activity(village)) == cancelled_code
    assert await officer.refused("POST", f"{path}/cancel", json={"reason": "x"}) == cancelled_code
    seen = await b.json("GET", f"{API}/activities")
    mine = [x for x in seen["activities"] if x["id"] == published["id"]]
    assert [(x["state"], x["cancel_reason"], x["mine"] is not None) for x in mine] == [
        ("cancelled", "暴雨预警", True)
    ]
    await socket.close()
