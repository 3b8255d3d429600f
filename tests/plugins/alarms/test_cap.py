"""CAP 1.2 export validated against the OASIS schema (shipped with the tests), and the feed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from lxml import etree

from plugins.alarms import api as alarms_api
from plugins.alarms.cap import ATOM_NS, CAP_NS
from plugins.alarms.client import DeviceClient
from tests.hub.conftest import bearer, login
from tests.plugins.alarms.conftest import GAS_TOWN3, AlarmHub

SCHEMA = Path(__file__).parent / "schemas" / "CAP-v1.2.xsd"
TEMP = "dev-temp-01"


@pytest.fixture(scope="module")
def cap_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMA)))


async def raise_on(hub: AlarmHub, devices: list[DeviceClient], code: str, *alarm: str) -> None:
    device = hub.device(code)
    devices.append(device)
    await device.connect()
    await device.wait_acked(await device.alarm(*alarm, value=61.5, message="烟雾浓度超标"))


async def test_cap_of_an_alarm_is_valid_cap_1_2(
    hub: AlarmHub, devices: list[DeviceClient], cap_schema: etree.XMLSchema
) -> None:
    await raise_on(hub, devices, TEMP, "smoke", "CRITICAL")
    token = await login(hub.client, "v01.cmd")
    [alarm] = await (await hub.api("GET", "", token)).json()
    response = await hub.api("GET", f"/{alarm['id']}/cap", token)
    assert response.status == 200
    assert response.content_type == "application/cap+xml"
    document = etree.fromstring(await response.read())
    cap_schema.assertValid(document)
    ns = {"cap": CAP_NS}
    assert document.findtext("cap:msgType", namespaces=ns) == "Alert"
    assert document.findtext("cap:info/cap:severity", namespaces=ns) == "Extreme"
    assert document.findtext("cap:info/cap:category", namespaces=ns) == "Fire"
    assert document.find("cap:info/cap:area/cap:circle", namespaces=ns) is not None
    # cleared: a Cancel that references the alert, still valid
    await hub.api("POST", f"/{alarm['id']}/clear", token, json={"comment": "ok"})
    cleared = etree.fromstring(await (await hub.api("GET", f"/{alarm['id']}/cap", token)).read())
    cap_schema.assertValid(cleared)
    assert cleared.findtext("cap:msgType", namespaces=ns) == "Cancel"
    assert "gridhub-alarm-" in (cleared.findtext("cap:references", namespaces=ns) or "")


@pytest.fixture
def hours_apart(monkeypatch: pytest.MonkeyPatch) -> None:
    """The API's wall clock jumps an hour at every reading: whatever takes the time of the
    request shows it; a message's own times do not move."""
    moments: Iterator[datetime] = (
        datetime(2030, 1, 1, tzinfo=UTC) + timedelta(hours=n) for n in range(1000)
    )
    monkeypatch.setattr(alarms_api, "utcnow", lambda: next(moments))


def identity(document: etree._Element) -> dict[str, str]:
    ns = {"cap": CAP_NS}
    fields = ("sender", "identifier", "sent", "msgType", "references")
    return {f: document.findtext(f"cap:{f}", namespaces=ns) or "" for f in fields}


async def fetch_cap(hub: AlarmHub, alarm_id: int, token: str) -> etree._Element:
    response = await hub.api("GET", f"/{alarm_id}/cap", token)
    assert response.status == 200
    return etree.fromstring(await response.read())


async def test_an_alerts_identity_is_stable_and_its_cancel_names_it_exactly(
    hub: AlarmHub, devices: list[DeviceClient], hours_apart: None
) -> None:
    device = hub.device(TEMP)
    devices.append(device)
    await device.connect()
    await device.wait_acked(await device.alarm("smoke", "CRITICAL", value=61.5))
    token = await login(hub.client, "v01.cmd")
    [alarm] = await (await hub.api("GET", "", token)).json()
    first = await fetch_cap(hub, alarm["id"], token)
    await device.wait_acked(await device.alarm("smoke", "CRITICAL", value=70.0))
    second = await fetch_cap(hub, alarm["id"], token)
    ns = {"a": ATOM_NS, "cap": CAP_NS}
    count = "cap:info/cap:parameter[cap:valueName='count']/cap:value"
    # The second fetch saw the alarm change, an hour later by the API's clock...
    assert [d.findtext(count, namespaces=ns) for d in (first, second)] == ["1", "2"]
    alert = identity(first)
    assert identity(second) == alert  # ...and the same message: sender, identifier, sent
    assert alert["msgType"] == "Alert"
    feed = etree.fromstring(await (await hub.api("GET", "/feed.atom", token)).read())
    [in_feed] = feed.findall("a:entry/a:content/cap:alert", namespaces=ns)
    assert identity(in_feed) == alert  # the feed carries the same message
    first_at = datetime.fromisoformat(alarm["first_at"]).replace(microsecond=0)
    assert datetime.fromisoformat(alert["sent"]) == first_at  # when the alarm was raised

    await hub.api("POST", f"/{alarm['id']}/clear", token, json={"comment": "ok"})
    cancel = identity(await fetch_cap(hub, alarm["id"], token))
    assert cancel == identity(await fetch_cap(hub, alarm["id"], token))
    assert cancel["msgType"] == "Cancel"
    assert cancel["identifier"] != alert["identifier"]
    assert cancel["sender"] == alert["sender"]
    assert cancel["references"] == f"{alert['sender']},{alert['identifier']},{alert['sent']}"
    assert cancel["sent"] >= alert["sent"]


async def test_cap_is_scoped(hub: AlarmHub, devices: list[DeviceClient]) -> None:
    await raise_on(hub, devices, GAS_TOWN3, "gas_leak", "CRITICAL")
    admin = await login(hub.client, "admin")
    [alarm] = await (await hub.api("GET", "", admin)).json()
    outsider = await login(hub.client, "v01.cmd")
    response = await hub.api("GET", f"/{alarm['id']}/cap", outsider)
    assert response.status == 404
    assert (await response.json())["error"]["code"] == "alarm.not_found"


async def test_atom_feed_of_active_alarms_carries_valid_cap(
    hub: AlarmHub, devices: list[DeviceClient], cap_schema: etree.XMLSchema
) -> None:
    await raise_on(hub, devices, TEMP, "overheat", "MINOR")
    await raise_on(hub, devices, GAS_TOWN3, "gas_leak", "CRITICAL")
    token = await login(hub.client, "town1.cmd")
    response = await hub.api("GET", "/feed.atom", token)
    assert response.status == 200
    assert response.content_type == "application/atom+xml"
    feed = etree.fromstring(await response.read())
    ns = {"a": ATOM_NS, "cap": CAP_NS}
    assert feed.tag == f"{{{ATOM_NS}}}feed"
    for required in ("a:id", "a:title", "a:updated"):
        assert feed.findtext(required, namespaces=ns)
    entries = feed.findall("a:entry", namespaces=ns)
    assert len(entries) == 1  # the town-3 gas alarm is outside town 1
    alert = entries[0].find("a:content/cap:alert", namespaces=ns)
    assert alert is not None
    cap_schema.assertValid(etree.ElementTree(alert))
    assert entries[0].find("a:link", namespaces=ns).get("href").endswith("/cap")


async def test_a_feed_entrys_id_and_link_lead_to_the_alarm(
    hub: AlarmHub, devices: list[DeviceClient]
) -> None:
    await raise_on(hub, devices, TEMP, "smoke", "CRITICAL")
    token = await login(hub.client, "v01.cmd")
    [alarm] = await (await hub.api("GET", "", token)).json()
    feed = etree.fromstring(await (await hub.api("GET", "/feed.atom", token)).read())
    ns = {"a": ATOM_NS, "cap": CAP_NS}
    [entry] = feed.findall("a:entry", namespaces=ns)
    # the entry's id is the alarm's resource: a signed-in client reads the alarm there
    resource = await hub.client.session.get(
        entry.findtext("a:id", namespaces=ns), headers=bearer(token)
    )
    assert resource.status == 200
    assert (await resource.json())["id"] == alarm["id"]
    # its alternate link is the alarm's CAP message, the same one the entry carries
    link = entry.find("a:link[@rel='alternate']", namespaces=ns)
    response = await hub.client.session.get(link.get("href"), headers=bearer(token))
    assert response.status == 200
    assert response.content_type == link.get("type") == "application/cap+xml"
    followed = etree.fromstring(await response.read())
    carried = entry.find("a:content/cap:alert", namespaces=ns)
    assert identity(followed) == identity(carried)
    assert identity(followed)["identifier"] == f"gridhub-alarm-{alarm['id']}"
