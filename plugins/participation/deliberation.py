"""民主议事: topics, participants, a meeting with minutes, votes with a quorum, a conclusion.

One ballot per voter and vote is the database's (primary key vote, person). A vote counts when
at least `quorum` eligible voters cast a ballot; eligible are the topic's registered
participants or every resident of the village. A conclusion is published to the village's
residents and, when it needs action, becomes a dispatch task: an `IncidentRequested` with
source_ref "topic:<id>" (dispatch opens one incident per ref, ever), whose number and state
the topic then follows.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, Field
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from hub.sdk import (
    Actor,
    Conflict,
    DbId,
    Forbidden,
    InvalidInput,
    NotFound,
    PluginContext,
    Principal,
    in_scope,
    utcnow,
)
from plugins.dispatch.messages import IncidentChanged, IncidentRequested
from plugins.participation.access import OFFICERS, TOPIC, VOTE
from plugins.participation.meetings import Meetings, channel_ref
from plugins.participation.models import Ballot, Participant, Topic, Vote
from plugins.participation.points import Points, resident_villages

SOURCE = "participation.deliberation"
TEXT = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f]*$"


class TopicIn(BaseModel):
    grid_id: DbId
    title: str = Field(min_length=1, max_length=80, pattern=TEXT)
    body: str = Field(min_length=1, max_length=2000, pattern=TEXT)


class TopicMeetingIn(BaseModel):
    meeting_at: AwareDatetime
    place: str = Field(min_length=1, max_length=120)
    minutes: str = Field(default="", max_length=4000, pattern=TEXT)
    online: bool = Field(
        default=False, description="also online: a recorded group call (meetings.py); stays on"
    )


class VoteIn(BaseModel):
    question: str = Field(min_length=1, max_length=200)
    options: list[str] = Field(min_length=2, max_length=10)
    eligible: Literal["participants", "residents"] = "participants"
    quorum: int = Field(ge=1, le=100_000)


class BallotIn(BaseModel):
    choice: int = Field(ge=0, le=9)


class ConclusionIn(BaseModel):
    conclusion: str = Field(min_length=1, max_length=2000, pattern=TEXT)
    action_category: str | None = Field(default=None, pattern=r"^[a-z][a-z0-9_]{1,63}$")
    priority: Literal["low", "normal", "high", "urgent"] = "normal"


def topic_view(t: Topic, votes: list[dict[str, Any]], registered: bool) -> dict[str, Any]:
    return {
        "id": t.id,
        "grid_id": t.grid_id,
        "title": t.title,
        "body": t.body,
        "proposer_kind": t.proposer_kind,
        "state": t.state,
        "meeting_at": t.meeting_at.isoformat() if t.meeting_at else None,
        "meeting_place": t.meeting_place,
        "minutes": t.minutes,
        "online": t.meeting_channel_id is not None,
        "meeting_ref": channel_ref(t.id) if t.meeting_channel_id is not None else None,
        "conclusion": t.conclusion,
        "action_category": t.action_category,
        "incident_number": t.incident_number,
        "incident_state": t.incident_state,
        "created_at": t.created_at.isoformat(),
        "concluded_at": t.concluded_at.isoformat() if t.concluded_at else None,
        "votes": votes,
        "registered": registered,
    }


def vote_view(v: Vote, ballots: int) -> dict[str, Any]:
    return {
        "id": v.id,
        "topic_id": v.topic_id,
        "question": v.question,
        "options": v.options,
        "eligible": v.eligible,
        "quorum": v.quorum,
        "state": v.state,
        "ballots": ballots,
        "result": v.result,
    }


def tally(options: list[str], choices: list[int], quorum: int) -> dict[str, Any]:
    counts = Counter(choices)
    per_option = [counts.get(k, 0) for k in range(len(options))]
    top = max(per_option)
    quorum_met = len(choices) >= quorum
    leaders = [k for k, n in enumerate(per_option) if n == top]
    outcome = leaders[0] if quorum_met and len(leaders) == 1 else None
    return {
        "counts": per_option,
        "turnout": len(choices),
        "quorum_met": quorum_met,
        "outcome": outcome,
        "outcome_text": None if outcome is None else options[outcome],
    }


class Deliberation:
    def __init__(self, ctx: PluginContext, points: Points, meetings: Meetings) -> None:
        self.ctx = ctx
        self.points = points
        self.meetings = meetings

    async def subscribe(self) -> None:
        unsubscribe = await self.ctx.bus.subscribe(
            IncidentChanged, self.followed, group="participation.deliberation"
        )
        self.ctx.on_cleanup(unsubscribe)

    def _is_officer(self, who: Principal, grid_id: int) -> bool:
        return in_scope(who, self.points.index, grid_id, OFFICERS)

    async def propose(self, who: Principal, body: TopicIn) -> dict[str, Any]:
        if body.grid_id in resident_villages(who, self.points.index):
            kind = "resident"
        else:
            self.points.check_village(who, body.grid_id)
            kind = "village"
        async with self.ctx.sessions.begin() as session:
            topic = Topic(
                grid_id=body.grid_id,
                title=body.title,
                body=body.body,
                proposed_by=who.person_id,
                proposer_kind=kind,
                state="open",
                meeting_place="",
                minutes="",
                conclusion="",
                created_at=utcnow(),
            )
            session.add(topic)
            await session.flush()
            self.ctx.audit.record(
                session,
                Actor.of(who),
                "participation.topic.proposed",
                TOPIC,
                topic.id,
                {"title": body.title, "by": kind},
            )
            return topic_view(topic, [], False)

    async def listed(self, who: Principal, grid_id: int | None) -> list[dict[str, Any]]:
        stmt = select(Topic).order_by(Topic.id.desc()).limit(200)
        topics = await self.points.visible_rows(who, stmt, Topic, grid_id)
        ids = [t.id for t in topics]
        async with self.ctx.sessions() as session:
            votes = list(await session.scalars(select(Vote).where(Vote.topic_id.in_(ids))))
            counts = Counter(
                await session.scalars(
                    select(Ballot.vote_id).where(Ballot.vote_id.in_([v.id for v in votes]))
                )
            )
            mine = set(
                await session.scalars(
                    select(Participant.topic_id).where(
                        Participant.person_id == who.person_id, Participant.topic_id.in_(ids)
                    )
                )
            )
        by_topic: dict[int, list[dict[str, Any]]] = {}
        for v in sorted(votes, key=lambda v: v.id):
            by_topic.setdefault(v.topic_id, []).append(vote_view(v, counts[v.id]))
        return [topic_view(t, by_topic.get(t.id, []), t.id in mine) for t in topics]

    async def _topic(self, topic_id: int) -> Topic:
        async with self.ctx.sessions() as session:
            topic = await session.get(Topic, topic_id)
        if topic is None:
            raise NotFound("participation.topic_not_found", f"no topic {topic_id}")
        return topic

    def _require_resident(self, who: Principal, grid_id: int) -> None:
        if grid_id not in resident_villages(who, self.points.index):
            raise Forbidden("scope.forbidden", "the topic is another village's")

    async def register(self, who: Principal, topic_id: int) -> dict[str, Any]:
        topic = await self._topic(topic_id)
        self._require_resident(who, topic.grid_id)
        if topic.state != "open":
            raise Conflict("participation.topic_concluded", "the topic is concluded")
        try:
            async with self.ctx.sessions.begin() as session:
                await session.execute(
                    insert(Participant).values(
                        topic_id=topic.id,
                        person_id=who.person_id,
                        display_name=who.display_name,
                        registered_at=utcnow(),
                    )
                )
                self.ctx.audit.record(
                    session, Actor.of(who), "participation.topic.registered", TOPIC, topic.id, {}
                )
        except IntegrityError:
            raise Conflict("participation.already_registered", "you are registered") from None
        await self.meetings.registered(topic, who.person_id)
        return {"topic_id": topic.id, "registered": True}

    async def meeting(self, who: Principal, topic_id: int, body: TopicMeetingIn) -> dict[str, Any]:
        topic = await self._topic(topic_id)
        self.points.check_village(who, topic.grid_id)
        async with self.ctx.sessions.begin() as session:
            await session.execute(
                update(Topic)
                .where(Topic.id == topic.id)
                .values(meeting_at=body.meeting_at, meeting_place=body.place, minutes=body.minutes)
            )
            self.ctx.audit.record(
                session,
                Actor.of(who),
                "participation.topic.meeting",
                TOPIC,
                topic.id,
                {"minutes": bool(body.minutes), "online": body.online},
            )
        if body.online:
            await self.meetings.go_online(who, topic)
        return await self.meeting_of(who, topic.id)

    async def meeting_of(self, who: Principal, topic_id: int) -> dict[str, Any]:
        """The meeting, its minutes and (online) its recordings: for the village's officers."""
        topic = await self._topic(topic_id)
        self.points.check_village(who, topic.grid_id)
        online = topic.meeting_channel_id is not None
        return {
            "topic_id": topic.id,
            "meeting_at": topic.meeting_at.isoformat() if topic.meeting_at else None,
            "place": topic.meeting_place,
            "minutes": topic.minutes,
            "online": online,
            "channel_id": topic.meeting_channel_id,
            "channel_ref": channel_ref(topic.id) if online else None,
            "recordings": await self.meetings.recordings(topic.id) if online else [],
        }

    async def open_vote(self, who: Principal, topic_id: int, body: VoteIn) -> dict[str, Any]:
        topic = await self._topic(topic_id)
        self.points.check_village(who, topic.grid_id)
        if topic.state != "open":
            raise Conflict("participation.topic_concluded", "the topic is concluded")
        async with self.ctx.sessions.begin() as session:
            vote = Vote(
                topic_id=topic.id,
                question=body.question,
                options=body.options,
                eligible=body.eligible,
                quorum=body.quorum,
                state="open",
                created_at=utcnow(),
            )
            session.add(vote)
            await session.flush()
            self.ctx.audit.record(
                session,
                Actor.of(who),
                "participation.vote.opened",
                VOTE,
                vote.id,
                {"topic_id": topic.id, "quorum": body.quorum},
            )
            return vote_view(vote, 0)

    async def _vote(self, vote_id: int) -> tuple[Vote, Topic]:
        async with self.ctx.sessions() as session:
            vote = await session.get(Vote, vote_id)
        if vote is None:
            raise NotFound("participation.vote_not_found", f"no vote {vote_id}")
        return vote, await self._topic(vote.topic_id)

    async def cast(self, who: Principal, vote_id: int, body: BallotIn) -> dict[str, Any]:
        vote, topic = await self._vote(vote_id)
        self._require_resident(who, topic.grid_id)
        if body.choice >= len(vote.options):
            raise InvalidInput(
                "participation.choice_unknown", f"the vote has {len(vote.options)} options"
            )
        if vote.eligible == "participants":
            await self._require_participant(topic.id, who.person_id)
        try:
            async with self.ctx.sessions.begin() as session:
                # Written only while the vote is open (a guarded insert-select would do too;
                # the state is re-read inside the transaction that writes the ballot).
                await session.execute(
                    insert(Ballot).values(
                        vote_id=vote.id,
                        person_id=who.person_id,
                        choice=body.choice,
                        cast_at=utcnow(),
                    )
                )
                state = await session.scalar(select(Vote.state).where(Vote.id == vote.id))
                if state != "open":
                    raise Conflict("participation.vote_closed", "the vote is closed")
        except IntegrityError:
            raise Conflict("participation.already_voted", "you have voted") from None
        return {"vote_id": vote.id, "choice": body.choice}

    async def _require_participant(self, topic_id: int, person_id: int) -> None:
        async with self.ctx.sessions() as session:
            found = await session.get(Participant, (topic_id, person_id))
        if found is None:
            raise Forbidden(
                "participation.not_eligible", "this vote is for the topic's registered participants"
            )

    async def close_vote(self, who: Principal, vote_id: int) -> dict[str, Any]:
        vote, topic = await self._vote(vote_id)
        self.points.check_village(who, topic.grid_id)
        async with self.ctx.sessions.begin() as session:
            closed = await session.execute(
                update(Vote)
                .where(Vote.id == vote.id, Vote.state == "open")
                .values(state="closed", closed_at=utcnow())
                .returning(Vote.id)
            )
            if closed.first() is None:
                raise Conflict("participation.vote_closed", "the vote is closed")
            choices = list(
                await session.scalars(select(Ballot.choice).where(Ballot.vote_id == vote.id))
            )
            result = tally(vote.options, choices, vote.quorum)
            await session.execute(update(Vote).where(Vote.id == vote.id).values(result=result))
            self.ctx.audit.record(
                session, Actor.of(who), "participation.vote.closed", VOTE, vote.id, result
            )
        return {**vote_view(vote, len(choices)), "state": "closed", "result": result}

    async def conclude(self, who: Principal, topic_id: int, body: ConclusionIn) -> dict[str, Any]:
        topic = await self._topic(topic_id)
        self.points.check_village(who, topic.grid_id)
        if body.action_category and not self.ctx.has_plugin("dispatch"):
            raise Conflict(
                "participation.dispatch_unavailable",
                "dispatch is not enabled: a conclusion cannot become a task",
            )
        async with self.ctx.sessions.begin() as session:
            done = await session.execute(
                update(Topic)
                .where(Topic.id == topic.id, Topic.state == "open")
                .values(
                    state="concluded",
                    conclusion=body.conclusion,
                    concluded_at=utcnow(),
                    action_category=body.action_category,
                )
                .returning(Topic.id)
            )
            if done.first() is None:
                raise Conflict("participation.topic_concluded", "the topic is concluded")
            self.ctx.audit.record(
                session,
                Actor.of(who),
                "participation.topic.concluded",
                TOPIC,
                topic.id,
                {"action": body.action_category},
            )
        if body.action_category:
            await self.ctx.bus.publish(
                IncidentRequested(
                    source=SOURCE,
                    source_ref=f"topic:{topic.id}",
                    category=body.action_category,
                    title=f"议事决议 · {topic.title}",
                    description=body.conclusion,
                    priority=body.priority,
                    grid_id=topic.grid_id,
                    reporter_id=who.person_id,
                )
            )
        return {"topic_id": topic.id, "state": "concluded", "task": bool(body.action_category)}

    async def followed(self, change: IncidentChanged) -> None:
        """Keep a concluded topic's task number and state current (idempotent)."""
        ref = change.source_ref or ""
        if change.source != SOURCE or not ref.startswith("topic:"):
            return
        async with self.ctx.sessions.begin() as session:
            await session.execute(
                update(Topic)
                .where(Topic.id == int(ref.split(":", 1)[1]))
                .values(
                    incident_id=change.incident_id,
                    incident_number=change.number,
                    incident_state=change.state,
                )
            )
