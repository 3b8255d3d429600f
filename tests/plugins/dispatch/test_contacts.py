"""The resident's contact: sealed at rest, masked in answers, revealed to commanders (audited)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from hub.app import PERSONAL
from hub.keys import SESSIONS
from plugins.dispatch.contacts import seal_legacy
from plugins.dispatch.models import Incident
from storage.models import AuditEntry
from tests.hub.conftest import Client, Hub
from tests.plugins.dispatch.conftest import api_as, centre
from tests.plugins.dispatch.test_appeals import appeal, find, form, post

PHONE = "13800001234"


async def stored_contact(client: Client, incident_id: int) -> str:
    async with client.app[SESSIONS]() as session:
        raw = await session.scalar(
            select(Incident.reporter_contact).where(Incident.id == incident_id)
        )
    assert raw is not None
    return raw


async def reveals(client: Client, incident_id: int) -> list[AuditEntry]:
    async with client.app[SESSIONS]() as session:
        found = await session.scalars(
            select(AuditEntry).where(
                AuditEntry.action == "dispatch.contact.reveal",
                AuditEntry.target_id == str(incident_id),
            )
        )
        return list(found)


async def hotline_report(client: Client, contact: str = PHONE) -> dict[str, Any]:
    cmd = await api_as(client, "v01.cmd")
    return await cmd.report(reporter_name="王大妈", reporter_contact=contact,
                            location=centre(client))  # fmt: skip


async def test_stored_sealed_shown_masked_revealed_with_audit(hub: Hub) -> None:
    client = hub.client
    incident = await hotline_report(client)
    raw = await stored_contact(client, incident["id"])
    assert raw.startswith("pd1:")
    assert PHONE not in raw
    assert "1234" not in raw
    cmd = await api_as(client, "v01.cmd")
    detail = await cmd.get(incident["id"])
    assert detail["reporter_contact_masked"] == "138****1234"
    assert PHONE not in str(detail)
    assert await reveals(client, incident["id"]) == []
    shown = await cmd.call("POST", f"/incidents/{incident['id']}/contact")
    assert shown == {"incident_id": incident["id"], "reporter_name": "王大妈",
                     "reporter_contact": PHONE}  # fmt: skip
    [entry] = await reveals(client, incident["id"])
    assert entry.actor == "v01.cmd"


async def test_worker_and_other_commander_refused_unaudited(hub: Hub) -> None:
    client = hub.client
    incident = await hotline_report(client)
    for username, code in (("w01", "auth.role_required"), ("v02.cmd", "incident.not_commander")):
        api = await api_as(client, username)
        refused = await api.call("POST", f"/incidents/{incident['id']}/contact", status=403)
        assert refused["error"]["code"] == code
        assert PHONE not in str(refused)
    assert await reveals(client, incident["id"]) == []


async def test_non_phone_contact_masked_to_first_character(hub: Hub) -> None:
    incident = await hotline_report(hub.client, contact="wang@example.org")
    cmd = await api_as(hub.client, "v01.cmd")
    assert (await cmd.get(incident["id"]))["reporter_contact_masked"] == "w***"


async def test_no_contact_given_is_empty(hub: Hub) -> None:
    incident = await hotline_report(hub.client, contact="")
    assert await stored_contact(hub.client, incident["id"]) == ""
    cmd = await api_as(hub.client, "v01.cmd")
    assert (await cmd.get(incident["id"]))["reporter_contact_masked"] == ""


async def test_plain_contacts_from_before_are_sealed_once(hub: Hub) -> None:
    client = hub.client
    incident = await hotline_report(client)
    async with client.app[SESSIONS].begin() as session:  # as stored before sealing existed
        await session.execute(
            update(Incident).where(Incident.id == incident["id"]).values(reporter_contact=PHONE)
        )
    box = client.app[PERSONAL]
    assert await seal_legacy(client.app[SESSIONS], box) == 1
    raw = await stored_contact(client, incident["id"])
    assert raw.startswith("pd1:")
    assert box.open(raw) == PHONE
    assert await seal_legacy(client.app[SESSIONS], box) == 0
    assert await stored_contact(client, incident["id"]) == raw
    cmd = await api_as(client, "v01.cmd")
    assert (await cmd.get(incident["id"]))["reporter_contact_masked"] == "138****1234"


async def test_appeal_phone_sealed_and_masked(hub: Hub) -> None:
    client = hub.client
    filed = await post(client, 201, data=form(appeal(client)))
    incident = await find(client, "v01.cmd", filed["number"])
    assert "0000" not in await stored_contact(client, incident["id"])
    cmd = await api_as(client, "v01.cmd")
    assert (await cmd.get(incident["id"]))["reporter_contact_masked"] == "138****1234"
    shown = await cmd.call("POST", f"/incidents/{incident['id']}/contact")
    assert shown["reporter_contact"] == PHONE  # the form keeps the digits only
