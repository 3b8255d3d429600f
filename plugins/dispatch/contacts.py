"""The resident's contact for the follow-up call: sealed at rest, masked in every answer, and
shown in full only to a commander over the incident, each time written to the audit log."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hub.sdk import Actor, PersonalBox, PluginContext, Principal, mask_personal
from plugins.dispatch import access, store
from plugins.dispatch.models import Incident

LEGACY_BATCH = 500


def masked(ctx: PluginContext, incident: Incident) -> str:
    return mask_personal(ctx.personal.open(incident.reporter_contact))


async def reveal(ctx: PluginContext, who: Principal, incident_id: int) -> dict[str, Any]:
    """The contact in full for a commander over the handling level; the view is audited in the
    same transaction as the read, so a view that is not recorded is not given."""
    async with ctx.sessions.begin() as session:
        incident = await store.load(session, incident_id)
        access.require_command(who, ctx.grids.index, incident)
        contact = ctx.personal.open(incident.reporter_contact)
        details = {"number": incident.number, "field": "reporter_contact"}
        ctx.audit.record(session, Actor.of(who), "dispatch.contact.reveal", "incident",
                         incident.id, details)  # fmt: skip
    return {"incident_id": incident_id, "reporter_name": incident.reporter_name,
            "reporter_contact": contact}  # fmt: skip


async def seal_legacy(sessions: async_sessionmaker[AsyncSession], box: PersonalBox) -> int:
    """Seal contacts stored in plain text before sealing existed; sealed rows are left alone,
    so running it again (every start-up, on every node) changes nothing."""
    sealed = 0
    while rows := await _plain_batch(sessions):
        async with sessions.begin() as session:
            for incident_id, contact in rows:
                sealed_value = box.seal(contact)
                await session.execute(
                    update(Incident)
                    .where(Incident.id == incident_id, Incident.reporter_contact == contact)
                    .values(reporter_contact=sealed_value)
                )
        sealed += len(rows)
    return sealed


async def _plain_batch(sessions: async_sessionmaker[AsyncSession]) -> list[tuple[int, str]]:
    query = (
        select(Incident.id, Incident.reporter_contact)
        .where(Incident.reporter_contact != "", Incident.reporter_contact.not_like("pd1:%"))
        .limit(LEGACY_BATCH)
    )
    async with sessions() as session:
        return [(row[0], row[1]) for row in await session.execute(query)]
