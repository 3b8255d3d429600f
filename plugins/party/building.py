"""党建引领: organisations on grids, members, dual reporting, meetings and points.

Points are ledger lines unique per (source, ref): an incident's points are awarded to the
member who handled it with ref `incident:<id>`, so a bus message delivered twice, or an
incident handled again after a failed check, never awards twice.
"""

from __future__ import annotations

import math
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from hub.sdk import (
    Actor,
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    PluginContext,
    Principal,
    require_scope,
    utcnow,
)
from plugins.party import access
from plugins.party.config import PartyConfig
from plugins.party.messages import PointsAwarded
from plugins.party.models import (
    Attendance,
    Meeting,
    MeetingPhoto,
    Member,
    Organisation,
    PointEntry,
    ServiceRecord,
    ServiceTask,
)
from plugins.party.schemas import (
    DoneIn,
    HomeIn,
    MeetingIn,
    MemberIn,
    OrgIn,
    PointsIn,
    SignInIn,
    TaskIn,
)

SIGN_IN_RADIUS_M = 200.0
RANK = {"committee": 0, "general_branch": 1, "branch": 2}
# Sign-in opens two hours before a meeting starts and closes twelve hours after.
SIGN_IN_OPENS = timedelta(hours=2)
SIGN_IN_CLOSES = timedelta(hours=12)


class Building:
    def __init__(self, ctx: PluginContext, config: PartyConfig) -> None:
        self.ctx = ctx
        self.config = config

    # -- organisations and members -------------------------------------------------------

    async def add_org(self, who: Principal, body: OrgIn) -> int:
        index = self.ctx.grids.index
        index.get(body.grid_id)
        access.require_party_staff(who, index, body.grid_id)
        async with self.ctx.sessions.begin() as session:
            if body.parent_id is not None:
                self._check_parent(await session.get(Organisation, body.parent_id), body)
            org = Organisation(
                name=body.name, kind=body.kind, parent_id=body.parent_id, grid_id=body.grid_id
            )
            session.add(org)
            await session.flush()
            self._audit(session, who, "party.org.created", "party_org", org.id, name=body.name)
            return org.id

    @staticmethod
    def _check_parent(parent: Organisation | None, body: OrgIn) -> None:
        """A committee holds general branches and branches, a general branch holds branches."""
        if parent is None:
            raise InvalidInput("party.org_not_found", f"no organisation {body.parent_id}")
        if RANK[parent.kind] >= RANK[body.kind]:
            raise InvalidInput(
                "party.org_parent", f"a {body.kind} cannot sit under a {parent.kind}"
            )

    async def orgs(self, who: Principal) -> list[dict[str, Any]]:
        index = self.ctx.grids.index
        async with self.ctx.sessions() as session:
            rows = list(await session.scalars(select(Organisation).order_by(Organisation.id)))
            counts = dict(
                (
                    await session.execute(
                        select(Member.org_id, func.count())
                        .where(Member.status != "inactive")
                        .group_by(Member.org_id)
                    )
                ).all()
            )
        visible = self._visible_grids(who)
        return [
            {
                "id": o.id,
                "name": o.name,
                "kind": o.kind,
                "parent_id": o.parent_id,
                "grid_id": o.grid_id,
                "grid_name": index.get(o.grid_id).name if o.grid_id in index else None,
                "members": counts.get(o.id, 0),
            }
            for o in rows
            if visible is None or o.grid_id in visible
        ]

    def _visible_grids(self, who: Principal) -> set[int] | None:
        if who.is_admin:
            return None
        return self.ctx.grids.index.scope_ids(who.grid_ids(access.PARTY_STAFF))

    async def org_in_scope(
        self, session: AsyncSession, who: Principal, org_id: int
    ) -> Organisation:
        return await self._org(session, who, org_id)

    async def _org(self, session: AsyncSession, who: Principal, org_id: int) -> Organisation:
        org = await session.get(Organisation, org_id)
        if org is None:
            raise NotFound("party.org_not_found", f"no organisation {org_id}")
        access.require_party_staff(who, self.ctx.grids.index, org.grid_id)
        return org

    async def add_member(self, who: Principal, body: MemberIn) -> int:
        if body.grid_id is not None:
            self.ctx.grids.index.get(body.grid_id)
        if body.person_id is not None:
            await self.ctx.directory.person(body.person_id)  # 404 person.not_found
        try:
            async with self.ctx.sessions.begin() as session:
                await self._org(session, who, body.org_id)
                member = Member(**body.model_dump())
                session.add(member)
                await session.flush()
                self._audit(
                    session, who, "party.member.added", "party_member", member.id, org=body.org_id
                )
                return member.id
        except IntegrityError:
            raise Conflict("party.member_exists", "that person is already a member") from None

    async def members(self, who: Principal, org_id: int) -> list[dict[str, Any]]:
        async with self.ctx.sessions() as session:
            await self._org(session, who, org_id)
            rows = await session.scalars(
                select(Member).where(Member.org_id == org_id).order_by(Member.id)
            )
            points = await self._points_by_member(session, org_id)
            return [self._member(m, points.get(m.id, 0)) for m in rows]

    @staticmethod
    async def _points_by_member(session: AsyncSession, org_id: int) -> dict[int, int]:
        rows = await session.execute(
            select(PointEntry.member_id, func.sum(PointEntry.points))
            .join(Member, Member.id == PointEntry.member_id)
            .where(Member.org_id == org_id)
            .group_by(PointEntry.member_id)
        )
        return {member_id: int(total) for member_id, total in rows}

    def _member(self, m: Member, points: int) -> dict[str, Any]:
        index = self.ctx.grids.index
        return {
            "id": m.id,
            "org_id": m.org_id,
            "name": m.name,
            "person_id": m.person_id,
            "join_date": m.join_date.isoformat(),
            "status": m.status,
            "grid_id": m.grid_id,
            "grid_name": index.get(m.grid_id).name if m.grid_id and m.grid_id in index else None,
            "home_grid_id": m.home_grid_id,
            "points": points,
        }

    async def me(self, who: Principal) -> Member:
        found = await self.member_of(who)
        if found is None:
            raise Forbidden("party.not_member", "you are not registered as a party member")
        return found

    async def member_of(self, who: Principal) -> Member | None:
        """The caller's member record, or None for someone who is not a party member."""
        async with self.ctx.sessions() as session:
            return await session.scalar(select(Member).where(Member.person_id == who.person_id))

    # -- 双报到: dual reporting and service -------------------------------------------------

    async def report_home(self, who: Principal, body: HomeIn) -> None:
        member = await self.me(who)
        self.ctx.grids.index.get(body.grid_id)
        async with self.ctx.sessions.begin() as session:
            row = await session.get(Member, member.id)
            assert row is not None
            row.home_grid_id, row.home_reported_at = body.grid_id, utcnow()
            self._audit(
                session,
                who,
                "party.member.reported_home",
                "party_member",
                member.id,
                grid=body.grid_id,
            )

    async def add_task(self, who: Principal, body: TaskIn) -> int:
        index = self.ctx.grids.index
        index.get(body.grid_id)
        require_scope(who, index, body.grid_id, access.PARTY_STAFF)
        async with self.ctx.sessions.begin() as session:
            task = ServiceTask(grid_id=body.grid_id, title=body.title, created_by=who.person_id)
            session.add(task)
            await session.flush()
            self._audit(session, who, "party.task.created", "party_task", task.id)
            return task.id

    async def tasks_for_me(self, who: Principal) -> list[dict[str, Any]]:
        member = await self.me(who)
        home = member.home_grid_id
        if home is None:
            return []
        index = self.ctx.grids.index
        async with self.ctx.sessions() as session:
            rows = await session.scalars(select(ServiceTask).order_by(ServiceTask.id.desc()))
            mine = dict(
                (
                    await session.execute(
                        select(ServiceRecord.task_id, ServiceRecord.done_at).where(
                            ServiceRecord.member_id == member.id
                        )
                    )
                ).all()
            )
        return [
            {
                "id": t.id,
                "title": t.title,
                "grid_id": t.grid_id,
                "taken": t.id in mine,
                "done": mine.get(t.id) is not None,
            }
            for t in rows
            if index.is_within(t.grid_id, home)
        ]

    async def take(self, who: Principal, task_id: int) -> int:
        member = await self.me(who)
        async with self.ctx.sessions() as session:
            task = await session.get(ServiceTask, task_id)
        if task is None:
            raise NotFound("party.task_not_found", f"no task {task_id}")
        home = member.home_grid_id
        if home is None or not self.ctx.grids.index.is_within(task.grid_id, home):
            raise Forbidden("party.not_home", "take tasks of the community you reported to")
        try:
            async with self.ctx.sessions.begin() as session:
                record = ServiceRecord(task_id=task_id, member_id=member.id)
                session.add(record)
                await session.flush()
                self._audit(session, who, "party.task.taken", "party_task", task_id)
                return record.id
        except IntegrityError:
            raise Conflict("party.task_taken", "you already took this task") from None

    async def finish(self, who: Principal, task_id: int, body: DoneIn) -> None:
        member = await self.me(who)
        async with self.ctx.sessions.begin() as session:
            record = await session.scalar(
                select(ServiceRecord).where(
                    ServiceRecord.task_id == task_id, ServiceRecord.member_id == member.id
                )
            )
            if record is None or record.done_at is not None:
                raise Conflict("party.task_not_open", "take the task first (and record it once)")
            record.hours, record.note, record.done_at = body.hours, body.note, utcnow()
            self._audit(session, who, "party.task.done", "party_task", task_id, hours=body.hours)
        points = body.hours * self.config.service_points_per_hour
        await self.award(member.id, "service", f"service:{record.id}", points, "志愿服务")

    async def service_records(self, member_id: int) -> list[dict[str, Any]]:
        async with self.ctx.sessions() as session:
            rows = await session.execute(
                select(ServiceRecord, ServiceTask.title)
                .join(ServiceTask, ServiceTask.id == ServiceRecord.task_id)
                .where(ServiceRecord.member_id == member_id)
                .order_by(ServiceRecord.id)
            )
            return [
                {
                    "task_id": r.task_id,
                    "title": title,
                    "hours": r.hours,
                    "note": r.note,
                    "done": r.done_at is not None,
                }
                for r, title in rows
            ]

    # -- points ----------------------------------------------------------------------------

    async def award(
        self,
        member_id: int,
        source: str,
        ref: str,
        points: int,
        reason: str,
        who: Principal | None = None,
    ) -> bool:
        """Add a ledger line once per (source, ref); False when it was already there."""
        actor = Actor.of(who) if who else Actor("system")
        try:
            async with self.ctx.sessions.begin() as session:
                session.add(
                    PointEntry(
                        member_id=member_id, source=source, ref=ref, points=points, reason=reason
                    )
                )
                await session.flush()
                self._audit_as(
                    session,
                    actor,
                    "party.points.awarded",
                    "party_member",
                    member_id,
                    source=source,
                    ref=ref,
                    points=points,
                )
        except IntegrityError:
            return False
        await self.ctx.bus.publish(
            PointsAwarded(member_id=member_id, source=source, ref=ref, points=points)
        )
        return True

    async def award_activity(self, who: Principal, body: PointsIn) -> bool:
        async with self.ctx.sessions() as session:
            member = await session.get(Member, body.member_id)
            if member is None:
                raise NotFound("party.member_not_found", f"no member {body.member_id}")
            await self._org(session, who, member.org_id)
        return await self.award(
            member.id, "activity", f"activity:{member.id}:{body.ref}", body.points, body.reason, who
        )

    async def award_incident(self, incident_id: int, person_id: int | None) -> bool:
        if person_id is None:
            return False
        async with self.ctx.sessions() as session:
            member = await session.scalar(select(Member).where(Member.person_id == person_id))
        if member is None or member.status == "inactive":
            return False
        return await self.award(
            member.id,
            "incident",
            f"incident:{incident_id}",
            self.config.incident_points,
            "处置事件",
        )

    async def follow_incidents(self) -> None:
        from plugins.dispatch.messages import IncidentChanged

        async def on_changed(message: IncidentChanged) -> None:
            if message.action == "handle" and message.state == "handled":
                await self.award_incident(message.incident_id, message.actor_id)

        await self.ctx.bus.subscribe(IncidentChanged, on_changed, group="party.points")

    # -- 三会一课: meetings ------------------------------------------------------------------

    async def add_meeting(self, who: Principal, body: MeetingIn) -> dict[str, Any]:
        if (body.lon is None) != (body.lat is None):
            raise InvalidInput("party.location_partial", "give both lon and lat, or neither")
        starts = body.starts_at if body.starts_at.tzinfo else body.starts_at.replace(tzinfo=UTC)
        async with self.ctx.sessions.begin() as session:
            await self._org(session, who, body.org_id)
            meeting = Meeting(
                **body.model_dump(exclude={"starts_at"}),
                starts_at=starts,
                code=f"{secrets.randbelow(10**6):06d}",
            )
            session.add(meeting)
            await session.flush()
            self._audit(session, who, "party.meeting.scheduled", "party_meeting", meeting.id)
            return {"id": meeting.id, "code": meeting.code}

    async def meetings(self, who: Principal, org_id: int) -> list[dict[str, Any]]:
        async with self.ctx.sessions() as session:
            await self._org(session, who, org_id)
            rows = list(
                await session.scalars(
                    select(Meeting)
                    .where(Meeting.org_id == org_id)
                    .order_by(Meeting.starts_at.desc())
                )
            )
            signed = dict(
                (
                    await session.execute(
                        select(Attendance.meeting_id, func.count())
                        .where(Attendance.meeting_id.in_([m.id for m in rows]))
                        .group_by(Attendance.meeting_id)
                    )
                ).all()
            )
            photos: dict[int, list[int]] = {}
            for meeting_id, photo_id in await session.execute(
                select(MeetingPhoto.meeting_id, MeetingPhoto.id)
                .where(MeetingPhoto.meeting_id.in_([m.id for m in rows]))
                .order_by(MeetingPhoto.id)
            ):
                photos.setdefault(meeting_id, []).append(photo_id)
        return [
            {
                "id": m.id,
                "photos": photos.get(m.id, []),
                "kind": m.kind,
                "title": m.title,
                "place": m.place,
                "starts_at": m.starts_at.timestamp(),
                "code": m.code,
                "minutes": m.minutes,
                "signed_in": signed.get(m.id, 0),
            }
            for m in rows
        ]

    async def sign_in(self, who: Principal, meeting_id: int, body: SignInIn) -> str:
        member = await self.me(who)
        async with self.ctx.sessions() as session:
            meeting = await session.get(Meeting, meeting_id)
        if meeting is None or meeting.org_id != member.org_id:
            raise NotFound("party.meeting_not_found", f"no meeting {meeting_id} of your branch")
        now = datetime.now(UTC)
        if not meeting.starts_at - SIGN_IN_OPENS <= now <= meeting.starts_at + SIGN_IN_CLOSES:
            raise Conflict("party.sign_in_closed", "sign-in is open around the meeting's time")
        method = self._sign_in_method(meeting, body)
        try:
            async with self.ctx.sessions.begin() as session:
                session.add(Attendance(meeting_id=meeting.id, member_id=member.id, method=method))
                await session.flush()
                self._audit(
                    session,
                    who,
                    "party.meeting.signed_in",
                    "party_meeting",
                    meeting.id,
                    method=method,
                )
        except IntegrityError:
            raise Conflict("party.already_signed_in", "you signed in already") from None
        await self.award(
            member.id,
            "meeting",
            f"meeting:{meeting.id}:{member.id}",
            self.config.meeting_points,
            "参加组织生活",
        )
        return method

    @staticmethod
    def _sign_in_method(meeting: Meeting, body: SignInIn) -> str:
        if body.code is not None:
            if not secrets.compare_digest(body.code, meeting.code):
                raise InvalidInput("party.wrong_code", "the sign-in code is wrong")
            return "code"
        if body.lon is None or body.lat is None or meeting.lon is None or meeting.lat is None:
            raise InvalidInput("party.sign_in_invalid", "give the meeting's code or your location")
        if _metres(meeting.lon, meeting.lat, body.lon, body.lat) > SIGN_IN_RADIUS_M:
            raise InvalidInput("party.too_far", "you are not where the meeting is held")
        return "location"

    async def record_minutes(self, who: Principal, meeting_id: int, minutes: str) -> None:
        async with self.ctx.sessions.begin() as session:
            meeting = await session.get(Meeting, meeting_id)
            if meeting is None:
                raise NotFound("party.meeting_not_found", f"no meeting {meeting_id}")
            await self._org(session, who, meeting.org_id)
            meeting.minutes = minutes
            self._audit(session, who, "party.meeting.minutes", "party_meeting", meeting.id)

    async def attendance(self, who: Principal) -> list[dict[str, Any]]:
        """Per organisation: meetings held so far, sign-ins, and the attendance rate (sign-ins
        over meetings held × active members)."""
        out = []
        now = datetime.now(UTC)
        for org in await self.orgs(who):
            async with self.ctx.sessions() as session:
                held = (
                    await session.scalar(
                        select(func.count()).where(
                            Meeting.org_id == org["id"], Meeting.starts_at <= now
                        )
                    )
                    or 0
                )
                signed = (
                    await session.scalar(
                        select(func.count())
                        .select_from(Attendance)
                        .join(Meeting, Meeting.id == Attendance.meeting_id)
                        .where(Meeting.org_id == org["id"], Meeting.starts_at <= now)
                    )
                    or 0
                )
            possible = held * org["members"]
            out.append(
                {
                    "org_id": org["id"],
                    "name": org["name"],
                    "meetings": held,
                    "sign_ins": signed,
                    "members": org["members"],
                    "rate": round(signed / possible, 4) if possible else None,
                }
            )
        return out

    def _audit(
        self,
        session: AsyncSession,
        who: Principal,
        action: str,
        kind: str,
        target: int,
        **details: Any,
    ) -> None:
        self._audit_as(session, Actor.of(who), action, kind, target, **details)

    def _audit_as(
        self,
        session: AsyncSession,
        actor: Actor,
        action: str,
        kind: str,
        target: int,
        **details: Any,
    ) -> None:
        self.ctx.audit.record(session, actor, action, kind, target, details)


def _metres(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371000 * math.asin(math.sqrt(a))
