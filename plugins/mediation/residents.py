"""Cases residents apply for on the residents' page (申请调解), without an account: the case
opens at their village's committee like one entered at an office, and the resident follows it
by a tracking code that shows its progress but no names, phones or records.

Asking and applying share one limit per client address and hour (`questions_per_hour`,
counted in the database, so one limit across a cluster); the address is kept only hashed."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, StringConstraints
from sqlalchemy import select

from hub.sdk import Actor, DbId, InvalidInput, NotFound, PluginContext
from plugins.mediation.cases import Cases, Origin
from plugins.mediation.config import MediationConfig
from plugins.mediation.limits import check_limit, client_hash, new_code
from plugins.mediation.models import Case, Step
from plugins.mediation.schemas import CaseIn, CaseType, Line, Name, PartyIn, Phone, Text

PUBLIC_STEPS = frozenset({"opened", "accept", "escalate", "session_scheduled", "agree",
                          "perform", "fail", "refer"})  # fmt: skip


class ApplicationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    village_id: DbId
    type: CaseType
    summary: Text
    name: Name
    phone: Phone = ""
    respondent: Annotated[str, StringConstraints(strip_whitespace=True, max_length=60)] = ""
    place: Line = ""


class ResidentCases:
    def __init__(self, ctx: PluginContext, config: MediationConfig, cases: Cases) -> None:
        self.ctx = ctx
        self.config = config
        self.cases = cases

    async def apply(self, body: ApplicationIn, address: str) -> dict[str, Any]:
        index = self.ctx.grids.index
        if body.village_id not in index or index.get(body.village_id).level != "village":
            raise InvalidInput("mediation.village_unknown", "choose a village")
        client = client_hash(address)
        async with self.ctx.sessions() as session:
            await check_limit(session, client, self.config.questions_per_hour)
        parties = [PartyIn(name=body.name, side="applicant", phone=body.phone)]
        if body.respondent:
            parties.append(PartyIn(name=body.respondent, side="respondent"))
        spec = CaseIn(
            grid_id=body.village_id,
            type=body.type,
            summary=body.summary,
            place=body.place,
            parties=parties,
        )
        code = new_code()
        origin = Origin("resident", Actor("resident"), tracking_code=code, client_hash=client)
        opened = await self.cases.open(spec, origin)
        return {"code": code, "number": opened["number"], "state": opened["state"]}

    async def track(self, code: str) -> dict[str, Any]:
        async with self.ctx.sessions() as session:
            case = await session.scalar(select(Case).where(Case.tracking_code == code))
            if case is None:
                raise NotFound("mediation.application_not_found", "no application with this code")
            steps = await session.scalars(
                select(Step).where(Step.case_id == case.id).order_by(Step.id)
            )
            index = self.ctx.grids.index
            committee = index.get(case.level_grid_id).name if case.level_grid_id in index else ""
            return {
                "code": code,
                "number": case.number,
                "type": case.type,
                "state": case.state,
                "level": case.level,
                "committee": committee,
                "agreement": case.agreement,
                "referral": case.referral,
                "steps": [
                    {"action": s.action, "at": s.at.timestamp()}
                    for s in steps
                    if s.action in PUBLIC_STEPS
                ],
            }
