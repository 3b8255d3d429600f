"""志愿服务: activities with sign-up, on-site check-in, and a service-hours ledger.

Capacity is the database's: a sign-up moves `taken` by a guarded UPDATE (taken < capacity)
and inserts a row unique per (activity, person), in one transaction. Check-in is within the
activity's radius of its place (the phone's position) or with the code shown on site.
Completing an activity records each checked-in volunteer's hours once (unique per activity
and person) and credits points by the activity's volunteer_hour rule under a ledger key per
(activity, person), in the same transaction: hours and points commit together, and completing
again, on any node, credits nothing twice.
"""

from __future__ import annotations

import math
import secrets
from datetime import timedelta
from typing import Any

from pydantic import AwareDatetime, BaseModel, Field, model_validator
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from hub.sdk import (
    Actor,
    Conflict,
    DbId,
    Forbidden,
    InvalidInput,
    NotFound,
    Principal,
    in_scope,
    utcnow,
)
from plugins.participation.access import ACTIVITY, OFFICERS
from plugins.participation.models import Activity, PointRule, ServiceHours, SignUp
from plugins.participation.points import Points, resident_villages
from plugins.participation.registry import Registry

EARTH_RADIUS_M = 6_371_000.0
EARLY_CHECK_IN = timedelta(hours=1)
CATEGORY = r"^[a-z_]{2,24}$"


class ActivityIn(BaseModel):
    grid_id: DbId
    title: str = Field(min_length=1, max_length=80)
    category: str = Field(pattern=CATEGORY)
    place: str = Field(min_length=1, max_length=120)
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    radius_m: int = Field(default=200, ge=20, le=5000)
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    hours: int = Field(ge=1, le=24)
    capacity: int = Field(ge=1, le=10_000)
    rule_id: DbId | None = None
    team_id: DbId | None = None  # the organising team (its hours count the activity's)

    @model_validator(mode="after")
    def _order(self) -> ActivityIn:
        if self.ends_at <= self.starts_at:
            raise ValueError("an activity ends after it starts")
        return self


class ActivityCancelIn(BaseModel):
    reason: str = Field(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f]*$")


class ActivityCheckInIn(BaseModel):
    lon: float | None = Field(default=None, ge=-180, le=180)
    lat: float | None = Field(default=None, ge=-90, le=90)
    code: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_-]{4,12}$")

    @model_validator(mode="after")
    def _one_way(self) -> ActivityCheckInIn:
        located = self.lon is not None and self.lat is not None
        if located == (self.code is not None) or (self.lon is None) != (self.lat is None):
            raise ValueError("check in with a position (lon and lat) or with the code")
        return self


def distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def activity_view(a: Activity, *, officer: bool = False) -> dict[str, Any]:
    view = {
        "id": a.id,
        "grid_id": a.grid_id,
        "title": a.title,
        "category": a.category,
        "place": a.place,
        "lon": a.lon,
        "lat": a.lat,
        "radius_m": a.radius_m,
        "starts_at": a.starts_at.isoformat(),
        "ends_at": a.ends_at.isoformat(),
        "hours": a.hours,
        "capacity": a.capacity,
        "taken": a.taken,
        "state": a.state,
        "cancel_reason": a.cancel_reason,
        "changed_at": a.changed_at.isoformat() if a.changed_at else None,
        "rule_id": a.rule_id,
        "team_id": a.team_id,
    }
    return {**view, "check_code": a.check_code} if officer else view


def signup_view(s: SignUp) -> dict[str, Any]:
    return {
        "activity_id": s.activity_id,
        "person_id": s.person_id,
        "name": s.display_name,
        "created_at": s.created_at.isoformat(),
        "check_in_by": s.check_in_by,
        "checked_in_at": s.checked_in_at.isoformat() if s.checked_in_at else None,
        "distance_m": None if s.distance_m is None else round(s.distance_m, 1),
    }


class Volunteers:
    def __init__(self, points: Points, registry: Registry) -> None:
        self.points = points
        self.registry = registry
        self.ctx = points.ctx

    async def check_refs(self, who: Principal, body: ActivityIn) -> None:
        self.points.check_village(who, body.grid_id)
        if body.rule_id is not None:
            await self._check_rule(body.rule_id, body.grid_id)
        if body.team_id is not None:
            await self.registry.check_team(body.team_id, body.grid_id)

    async def save(self, who: Principal, body: ActivityIn) -> dict[str, Any]:
        await self.check_refs(who, body)
        async with self.ctx.sessions.begin() as session:
            activity = Activity(
                **body.model_dump(),
                taken=0,
                state="open",
                check_code=secrets.token_hex(3),
                created_by=who.person_id,
            )
            session.add(activity)
            await session.flush()
            self.ctx.audit.record(
                session,
                Actor.of(who),
                "participation.activity.created",
                ACTIVITY,
                activity.id,
                {"title": body.title},
            )
            return activity_view(activity, officer=True)

    async def _check_rule(self, rule_id: int, grid_id: int) -> None:
        async with self.ctx.sessions() as session:
            rule = await session.get(PointRule, rule_id)
        if rule is None or rule.grid_id != grid_id or rule.kind != "volunteer_hour":
            raise InvalidInput(
                "participation.rule_unfit",
                "points come from a volunteer_hour rule of the same village",
            )

    async def listed(self, who: Principal, grid_id: int | None) -> list[dict[str, Any]]:
        stmt = select(Activity).order_by(Activity.starts_at.desc()).limit(200)
        rows = await self.points.visible_rows(who, stmt, Activity, grid_id)
        mine = await self._my_signups(who.person_id, [a.id for a in rows])
        index = self.points.index
        return [
            {
                **activity_view(a, officer=in_scope(who, index, a.grid_id, OFFICERS)),
                "mine": mine.get(a.id),
            }
            for a in rows
        ]

    async def _my_signups(self, person_id: int, ids: list[int]) -> dict[int, dict[str, Any]]:
        async with self.ctx.sessions() as session:
            rows = await session.scalars(
                select(SignUp).where(SignUp.person_id == person_id, SignUp.activity_id.in_(ids))
            )
            return {s.activity_id: signup_view(s) for s in rows}

    async def _activity_for(self, who: Principal | None, activity_id: int) -> Activity:
        async with self.ctx.sessions() as session:
            activity = await session.get(Activity, activity_id)
        if activity is None:
            raise NotFound("participation.activity_not_found", f"no activity {activity_id}")
        return activity

    async def activity(self, activity_id: int) -> Activity:
        return await self._activity_for(None, activity_id)

    async def resident_activity(self, who: Principal, activity_id: int) -> Activity:
        activity = await self._activity_for(who, activity_id)
        if activity.grid_id not in resident_villages(who, self.points.index):
            raise Forbidden("scope.forbidden", "the activity is another village's")
        return activity

    async def sign_up(self, who: Principal, activity_id: int) -> dict[str, Any]:
        activity = await self.resident_activity(who, activity_id)
        _not_cancelled(activity)
        if activity.state != "open" or activity.ends_at <= utcnow():
            raise Conflict("participation.activity_over", "the activity is over")
        try:
            async with self.ctx.sessions.begin() as session:
                await self._take_place(session, activity.id)
                signup = SignUp(
                    activity_id=activity.id,
                    person_id=who.person_id,
                    display_name=who.display_name,
                    created_at=utcnow(),
                )
                session.add(signup)
                await session.flush()
                self.ctx.audit.record(
                    session,
                    Actor.of(who),
                    "participation.activity.signed_up",
                    ACTIVITY,
                    activity.id,
                    {},
                )
                return signup_view(signup)
        except IntegrityError:
            raise Conflict("participation.already_signed_up", "you are signed up") from None

    @staticmethod
    async def _take_place(session: AsyncSession, activity_id: int) -> None:
        taken = await session.execute(
            update(Activity)
            .where(
                Activity.id == activity_id,
                Activity.state == "open",
                Activity.taken < Activity.capacity,
            )
            .values(taken=Activity.taken + 1)
            .returning(Activity.id)
        )
        if taken.first() is None:
            raise Conflict("participation.activity_full", "the activity has no free place")

    async def withdraw(self, who: Principal, activity_id: int) -> None:
        activity = await self.resident_activity(who, activity_id)
        async with self.ctx.sessions.begin() as session:
            gone = await session.execute(
                delete(SignUp)
                .where(
                    SignUp.activity_id == activity.id,
                    SignUp.person_id == who.person_id,
                    SignUp.checked_in_at.is_(None),
                )
                .returning(SignUp.id)
            )
            if gone.first() is None:
                raise Conflict(
                    "participation.cannot_withdraw", "not signed up, or already checked in"
                )
            await session.execute(
                update(Activity).where(Activity.id == activity.id).values(taken=Activity.taken - 1)
            )
            self.ctx.audit.record(
                session,
                Actor.of(who),
                "participation.activity.withdrawn",
                ACTIVITY,
                activity.id,
                {},
            )

    async def check_in(
        self, who: Principal, activity_id: int, body: ActivityCheckInIn
    ) -> dict[str, Any]:
        activity = await self.resident_activity(who, activity_id)
        _not_cancelled(activity)
        now = utcnow()
        if not activity.starts_at - EARLY_CHECK_IN <= now <= activity.ends_at:
            raise Conflict(
                "participation.check_in_closed",
                "check-in opens an hour before the start and closes at the end",
            )
        away, how = self._where(activity, body)
        async with self.ctx.sessions.begin() as session:
            done = await session.execute(
                update(SignUp)
                .where(
                    SignUp.activity_id == activity.id,
                    SignUp.person_id == who.person_id,
                    SignUp.checked_in_at.is_(None),
                )
                .values(checked_in_at=now, check_in_by=how, distance_m=away)
                .returning(SignUp.id)
            )
            if done.first() is None:
                raise await self._why_not_checked_in(session, activity.id, who.person_id)
            self.ctx.audit.record(
                session,
                Actor.of(who),
                "participation.activity.checked_in",
                ACTIVITY,
                activity.id,
                {"by": how, "distance_m": away},
            )
        return {"checked_in_at": now.isoformat(), "check_in_by": how, "distance_m": away}

    @staticmethod
    def _where(activity: Activity, body: ActivityCheckInIn) -> tuple[float | None, str]:
        if body.code is not None:
            if not secrets.compare_digest(body.code, activity.check_code):
                raise Forbidden("participation.check_code_wrong", "that is not the activity's code")
            return None, "code"
        assert body.lon is not None
        assert body.lat is not None
        away = round(distance_m(body.lon, body.lat, activity.lon, activity.lat), 1)
        if away > activity.radius_m:
            raise Forbidden(
                "participation.too_far",
                f"{away:.0f} m from the activity's place",
                details={"distance_m": away, "radius_m": activity.radius_m},
            )
        return away, "location"

    @staticmethod
    async def _why_not_checked_in(session: AsyncSession, activity_id: int, person: int) -> Conflict:
        found = await session.scalar(
            select(SignUp.id).where(SignUp.activity_id == activity_id, SignUp.person_id == person)
        )
        if found is None:
            return Conflict("participation.not_signed_up", "sign up for the activity first")
        return Conflict("participation.already_checked_in", "you have checked in")

    async def signups(self, who: Principal, activity_id: int) -> list[dict[str, Any]]:
        activity = await self._activity_for(who, activity_id)
        self.points.check_village(who, activity.grid_id)
        async with self.ctx.sessions() as session:
            rows = await session.scalars(
                select(SignUp).where(SignUp.activity_id == activity.id).order_by(SignUp.id)
            )
            return [signup_view(s) for s in rows]

    async def complete(self, who: Principal, activity_id: int) -> dict[str, Any]:
        """Close the activity and record hours and points of those who checked in, once, in
        one transaction (a crash leaves both or neither; completing again adds the missing)."""
        activity = await self._activity_for(who, activity_id)
        self.points.check_village(who, activity.grid_id)
        _not_cancelled(activity)
        try:
            present, recorded, credited = await self._close(who, activity)
        except IntegrityError:  # a concurrent completion recorded the hours (and points) first
            present, recorded, credited = await self._present(activity.id), 0, 0
        return {"volunteers": len(present), "hours_recorded": recorded, "credited": credited}

    async def _close(self, who: Principal, activity: Activity) -> tuple[list[int], int, int]:
        async with self.ctx.sessions.begin() as session:
            closed = await session.execute(
                update(Activity)
                .where(Activity.id == activity.id, Activity.state != "cancelled")
                .values(state="completed")
                .returning(Activity.id)
            )
            if closed.first() is None:  # cancelled meanwhile
                raise _cancelled()
            present = await self._present(activity.id, session)
            recorded = await self._record_hours(session, activity, present)
            credited = await self._credit(session, activity, present)
            self.ctx.audit.record(
                session,
                Actor.of(who),
                "participation.activity.completed",
                ACTIVITY,
                activity.id,
                {"volunteers": len(present)},
            )
        return present, recorded, credited

    async def _present(self, activity_id: int, session: AsyncSession | None = None) -> list[int]:
        stmt = select(SignUp.person_id).where(
            SignUp.activity_id == activity_id, SignUp.checked_in_at.is_not(None)
        )
        if session is not None:
            return list(await session.scalars(stmt))
        async with self.ctx.sessions() as own:
            return list(await own.scalars(stmt))

    @staticmethod
    async def _record_hours(session: AsyncSession, activity: Activity, people: list[int]) -> int:
        known = set(
            await session.scalars(
                select(ServiceHours.person_id).where(ServiceHours.activity_id == activity.id)
            )
        )
        rows = [
            {
                "activity_id": activity.id,
                "person_id": p,
                "grid_id": activity.grid_id,
                "team_id": activity.team_id,
                "category": activity.category,
                "hours": activity.hours,
                "created_at": utcnow(),
            }
            for p in people
            if p not in known
        ]
        if rows:
            await session.execute(insert(ServiceHours), rows)
        return len(rows)

    async def _credit(self, session: AsyncSession, activity: Activity, people: list[int]) -> int:
        """Points by the activity's rule, in the completion's transaction, once per person."""
        if activity.rule_id is None:
            return 0
        rule = await session.get(PointRule, activity.rule_id)
        if rule is None or not rule.active:
            return 0
        credited = 0
        for person in people:
            key = f"hours:{activity.id}:{person}"
            delta = await self.points.credit_in(
                session, person, rule, activity.hours, key, f"activity:{activity.id}"
            )
            credited += 0 if delta is None else 1
        return credited

    async def stats(self, who: Principal, grid_id: int | None) -> list[dict[str, Any]]:
        villages = self.points.readable_villages(who)
        stmt = select(
            ServiceHours.category,
            func.count(func.distinct(ServiceHours.activity_id)),
            func.count(ServiceHours.need_id),
            func.count(func.distinct(ServiceHours.person_id)),
            func.sum(ServiceHours.hours),
        ).group_by(ServiceHours.category)
        if grid_id is not None:
            stmt = stmt.where(ServiceHours.grid_id == grid_id)
        if villages is not None:
            stmt = stmt.where(ServiceHours.grid_id.in_(villages))
        async with self.ctx.sessions() as session:
            rows = (await session.execute(stmt)).all()
        return [
            {"category": c, "activities": a, "needs": n, "volunteers": v, "hours": int(h or 0)}
            for c, a, n, v, h in sorted(rows)
        ]


def _cancelled() -> Conflict:
    return Conflict("participation.activity_cancelled", "the activity was cancelled")


def _not_cancelled(activity: Activity) -> None:
    if activity.state == "cancelled":
        raise _cancelled()
