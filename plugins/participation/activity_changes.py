"""An activity edited or cancelled after publishing, and its participants told.

Both are guarded UPDATEs of an open activity: an edit may not take the capacity below the
sign-ups already taken (`taken <= capacity` in the same statement, the CHECK behind it), so a
sign-up racing an edit either fits the new capacity or is refused. Cancelling keeps the
sign-ups (the record of who had signed up) and closes sign-up, check-in and completion.

Participants are told over the socket: `participation.activity_changed` to each signed-up
person's user room (every device they have connected), with the activity as residents see
it; the residents' section also shows the state and reason when it lists activities, so a
resident who was not connected learns it there.
"""

from __future__ import annotations

from typing import Any, Literal

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hub.sdk import Actor, Conflict, InvalidInput, Principal, utcnow
from plugins.participation.access import ACTIVITY
from plugins.participation.models import Activity, SignUp
from plugins.participation.volunteers import ActivityCancelIn, ActivityIn, Volunteers, activity_view

Change = Literal["edited", "cancelled"]


class ActivityChanges:
    def __init__(self, volunteers: Volunteers) -> None:
        self.volunteers = volunteers
        self.ctx = volunteers.ctx

    async def edit(self, who: Principal, activity_id: int, body: ActivityIn) -> dict[str, Any]:
        activity = await self.volunteers.activity(activity_id)
        self.volunteers.points.check_village(who, activity.grid_id)
        if body.grid_id != activity.grid_id:
            raise InvalidInput("participation.activity_moved", "an activity stays in its village")
        await self.volunteers.check_refs(who, body)
        async with self.ctx.sessions.begin() as session:
            changed = await session.execute(
                update(Activity)
                .where(
                    Activity.id == activity.id,
                    Activity.state == "open",
                    Activity.taken <= body.capacity,
                )
                .values(**body.model_dump(), changed_at=utcnow())
                .returning(Activity.id)
            )
            if changed.first() is None:
                raise await _why_not(session, activity.id)
            self.ctx.audit.record(session, Actor.of(who), "participation.activity.edited",
                                  ACTIVITY, activity.id, {"title": body.title})  # fmt: skip
        return await self._told(activity.id, "edited", officer=True)

    async def cancel(
        self, who: Principal, activity_id: int, body: ActivityCancelIn
    ) -> dict[str, Any]:
        activity = await self.volunteers.activity(activity_id)
        self.volunteers.points.check_village(who, activity.grid_id)
        async with self.ctx.sessions.begin() as session:
            changed = await session.execute(
                update(Activity)
                .where(Activity.id == activity.id, Activity.state == "open")
                .values(state="cancelled", cancel_reason=body.reason, changed_at=utcnow())
                .returning(Activity.id)
            )
            if changed.first() is None:
                raise await _why_not(session, activity.id)
            self.ctx.audit.record(session, Actor.of(who), "participation.activity.cancelled",
                                  ACTIVITY, activity.id, {"reason": body.reason})  # fmt: skip
        return await self._told(activity.id, "cancelled", officer=True)

    async def _told(self, activity_id: int, change: Change, *, officer: bool) -> dict[str, Any]:
        """Tell everyone signed up (after the commit); answer the officer's view."""
        async with self.ctx.sessions() as session:
            activity = await session.get(Activity, activity_id)
            people = list(
                await session.scalars(
                    select(SignUp.person_id).where(SignUp.activity_id == activity_id)
                )
            )
        assert activity is not None
        rooms = [self.ctx.realtime.user_room(p) for p in people]
        if rooms:
            told = {"change": change, "activity": activity_view(activity)}
            await self.ctx.realtime.emit("activity_changed", told, rooms)
        return {**activity_view(activity, officer=officer), "told": len(people)}


async def _why_not(session: AsyncSession, activity_id: int) -> Conflict:
    state = await session.scalar(select(Activity.state).where(Activity.id == activity_id))
    if state == "cancelled":
        return Conflict("participation.activity_cancelled", "the activity was cancelled")
    if state != "open":
        return Conflict("participation.activity_over", "the activity is over")
    return Conflict(
        "participation.capacity_below_signups", "more people have signed up than that capacity"
    )
