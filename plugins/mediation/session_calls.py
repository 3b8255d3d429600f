"""调解会 online: a mediation session held as a recorded group call through the media service.

`POST /cases/{id}/sessions/{session_id}/online {version}` opens the session's channel
(`ctx.channels.for_ref("med_session", session_id, ...)`, ref "med_session:<id>") with the
case's mediators and the caller as members, marks it recorded (`ctx.channels.record`), and
writes the step `session_online` to the case's timeline. The members join the call with
`group.join {"channel_ref": "med_session:<id>"}`; media records it whatever the deployment's
group-call policy and announces each recording (`ChannelRecording`). Each announcement becomes
a step of the case (`session_call_started`, then `session_call_recorded` with the state done or
failed and the recording's id), versioned, audited and pushed live like every other step;
the recording is played back through the recordings API (participants, command roles over a
participant's grid, admins). The plugin keeps ids in its timeline, never files.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.sdk import SYSTEM, Actor, Call, ChannelRecording, NotFound, PluginContext, Principal
from plugins.mediation import access, views
from plugins.mediation.cases import Cases
from plugins.mediation.effects import Change
from plugins.mediation.models import Case, Meeting, Step
from plugins.mediation.schemas import Versioned
from plugins.mediation.workflow import OPEN, require_state

KIND = "med_session"
ACTIONS = {"started": "session_call_started", "done": "session_call_recorded"}


def channel_ref(session_id: int) -> str:
    return f"{KIND}:{session_id}"


class SessionCalls:
    def __init__(self, ctx: PluginContext, cases: Cases) -> None:
        self.ctx, self.cases = ctx, cases

    def install(self) -> None:
        @self.ctx.http.post(
            "/cases/{case_id}/sessions/{session_id}/online",
            summary="Hold a session online: a recorded group call",
            body=Versioned,
            rule=access.ACT,
        )
        async def online(call: Call[Versioned, None]) -> dict[str, Any]:
            ids = call.path_int("case_id"), call.path_int("session_id")
            return await self.go_online(call.who, *ids, call.body.version)

    async def subscribe(self) -> None:
        unsubscribe = await self.ctx.bus.subscribe(
            ChannelRecording, self.recorded, group="mediation.session_calls"
        )
        self.ctx.on_cleanup(unsubscribe)

    async def go_online(
        self, who: Principal, case_id: int, session_id: int, version: int
    ) -> dict[str, Any]:
        async with self.ctx.sessions.begin() as session:
            case = await self.cases.for_change(session, who, case_id, version)
            require_state(case, OPEN, "hold a session online")
            await _meeting(session, case, session_id)
            members = {who.person_id, *case.mediator_ids}
        name = f"调解会 · {case.number}"
        channel = await self.ctx.channels.for_ref(KIND, session_id, name, members)
        await self.ctx.channels.record(channel.id)
        details = {"session_id": session_id, "channel_ref": channel_ref(session_id)}
        async with self.ctx.sessions.begin() as session:
            case = await self.cases.for_change(session, who, case_id, version)
            self.cases.bump(session, case, "session_online", Actor.of(who), details)
            result = {**views.summary(case, self.cases.index), **details}
        await self.cases.effects.after(Change(result, "session_online", who.person_id))
        return result

    async def recorded(self, message: ChannelRecording) -> None:
        """A recording of a session's call started or ended: a step of its case, once."""
        kind, _, ref = (message.ref or "").partition(":")
        action = ACTIONS.get(message.state, "session_call_recorded")
        if kind != KIND or not ref.isdigit():
            return
        details = {"session_id": int(ref), "recording_id": message.recording_id}
        details["state"] = message.state
        async with self.ctx.sessions.begin() as session:
            meeting = await session.get(Meeting, int(ref))
            case = None if meeting is None else await session.get(Case, meeting.case_id)
            if case is None or await _known(session, case.id, action, message.recording_id):
                return
            self.cases.bump(session, case, action, SYSTEM, details)
            result = views.summary(case, self.cases.index)
        await self.cases.effects.after(Change(result, action, None))


async def _meeting(session: AsyncSession, case: Case, session_id: int) -> Meeting:
    meeting = await session.get(Meeting, session_id)
    if meeting is None or meeting.case_id != case.id:
        raise NotFound("mediation.session_not_found", f"no session {session_id} here")
    return meeting


async def _known(session: AsyncSession, case_id: int, action: str, recording_id: str) -> bool:
    """The step is in the timeline already (a message handled again: at least once)."""
    stmt = select(Step.details).where(Step.case_id == case_id, Step.action == action)
    return any(d.get("recording_id") == recording_id for d in await session.scalars(stmt))
