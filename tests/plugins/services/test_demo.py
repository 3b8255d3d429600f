"""The demo county's services: a venue per village, the catalogue, offers, check-ins and two
bookings waiting for 东庄村's approval; seeded once."""

from __future__ import annotations

from hub.keys import PLUGINS
from hub.testing.fixtures import StartGridHub
from tests.plugins.services.conftest import API, services_hub, tomorrow


async def test_demo_services_are_seeded_once(start_gridhub: StartGridHub) -> None:
    hub = await services_hub(start_gridhub)
    assert "services" in await hub.app[PLUGINS].seed_demo_all()
    await hub.app[PLUGINS].seed_demo_all()  # every start of gridhub demo: no doubles
    county = await hub.sign_in("county.cmd")
    venues = (await county.json("GET", f"{API}/venues"))["venues"]
    assert len(venues) == 12
    assert len({v["grid_id"] for v in venues}) == 12
    assert len((await hub.anonymous().json("GET", f"{API}/public/items"))["items"]) == 6
    officer = await hub.sign_in("v01.cmd")
    pending = await officer.json("GET", f"{API}/bookings", params={"state": "pending"})
    assert [(b["day"], b["start"]) for b in pending["bookings"]] == [
        (tomorrow().isoformat(), "09:00"),
        (tomorrow().isoformat(), "14:00"),
    ]
    assert len((await officer.json("GET", f"{API}/care/offers"))["offers"]) == 3
    assert len((await officer.json("GET", f"{API}/care/checkins"))["checkins"]) == 3
    other = await hub.sign_in("v02.cmd")
    assert len((await other.json("GET", f"{API}/venues"))["venues"]) == 1
