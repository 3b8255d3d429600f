"""Tables of the participation plugin (Alembic branch "participation").

Points are never lost or spent twice, and the database enforces it (SQLite and PostgreSQL):
- a resident's balance is one row of `participation_accounts` (person, village), only ever
  changed by a guarded `UPDATE ... SET balance = balance - cost WHERE balance >= cost`, and a
  CHECK keeps it at or above zero;
- a shop item's stock is taken by `UPDATE ... SET stock = stock - 1 WHERE stock > 0` (CHECK
  stock >= 0), in the same transaction as the points;
- every change of a balance is a row of `participation_ledger` whose `key` is unique: a
  deed credited twice (a retried request, two nodes) or an exchange retried with the same
  request key collides and commits nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Float,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from hub.sdk import Base, UTCDateTime, utcnow


class PointRule(Base):
    """Points a village gives for one kind of deed (per hour, per meeting, per award)."""

    __tablename__ = "participation_point_rules"
    __table_args__ = (UniqueConstraint("grid_id", "kind", "title"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    grid_id: Mapped[int] = mapped_column(Integer, index=True)  # the village
    kind: Mapped[str] = mapped_column(String(16))  # volunteer_hour|deliberation|conduct|need
    title: Mapped[str] = mapped_column(String(80))
    points: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PointAccount(Base):
    __tablename__ = "participation_accounts"
    __table_args__ = (CheckConstraint("balance >= 0", name="balance_not_negative"),)

    person_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    grid_id: Mapped[int] = mapped_column(Integer, primary_key=True)  # the village
    balance: Mapped[int] = mapped_column(Integer, default=0)
    earned: Mapped[int] = mapped_column(Integer, default=0)
    spent: Mapped[int] = mapped_column(Integer, default=0)


class LedgerEntry(Base):
    __tablename__ = "participation_ledger"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)  # one deed, one credit
    person_id: Mapped[int] = mapped_column(Integer, index=True)
    grid_id: Mapped[int] = mapped_column(Integer, index=True)
    delta: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))  # a rule's kind, or "exchange"
    rule_id: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(String(200), default="")
    by_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ShopItem(Base):
    __tablename__ = "participation_shop_items"
    __table_args__ = (CheckConstraint("stock >= 0", name="stock_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    grid_id: Mapped[int] = mapped_column(Integer, index=True)  # the village's shop
    name: Mapped[str] = mapped_column(String(80))
    cost: Mapped[int] = mapped_column(Integer)
    stock: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Exchange(Base):
    __tablename__ = "participation_exchanges"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(Integer, index=True)
    grid_id: Mapped[int] = mapped_column(Integer, index=True)
    person_id: Mapped[int] = mapped_column(Integer, index=True)
    item_name: Mapped[str] = mapped_column(String(80))
    cost: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(24), unique=True)  # shown at the hand-over
    state: Mapped[str] = mapped_column(String(16), default="placed")  # placed | handed_over
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    handed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Activity(Base):
    """A volunteer activity (志愿服务活动) of a village, with a place and a capacity.

    `taken` counts sign-ups and is only moved by a guarded UPDATE (taken < capacity), with a
    CHECK behind it: concurrent sign-ups never exceed the capacity.
    """

    __tablename__ = "participation_activities"
    __table_args__ = (CheckConstraint("taken >= 0 AND taken <= capacity", name="within_capacity"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    grid_id: Mapped[int] = mapped_column(Integer, index=True)  # the village
    title: Mapped[str] = mapped_column(String(80))
    category: Mapped[str] = mapped_column(String(24))  # e.g. elderly, environment, culture
    place: Mapped[str] = mapped_column(String(120))
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    radius_m: Mapped[int] = mapped_column(Integer)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    hours: Mapped[int] = mapped_column(Integer)  # service hours credited per volunteer
    capacity: Mapped[int] = mapped_column(Integer)
    taken: Mapped[int] = mapped_column(Integer, default=0)
    check_code: Mapped[str] = mapped_column(String(12))  # shown on site, for check-in by code
    rule_id: Mapped[int | None] = mapped_column(Integer)  # volunteer_hour rule feeding points
    team_id: Mapped[int | None] = mapped_column(Integer)  # the organising volunteer team
    state: Mapped[str] = mapped_column(String(16), default="open")  # open|completed|cancelled
    cancel_reason: Mapped[str] = mapped_column(String(200), default="")
    changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # edited or cancelled
    created_by: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SignUp(Base):
    __tablename__ = "participation_signups"
    __table_args__ = (UniqueConstraint("activity_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(Integer, index=True)
    person_id: Mapped[int] = mapped_column(Integer, index=True)
    display_name: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    check_in_by: Mapped[str | None] = mapped_column(String(16))  # location | code
    distance_m: Mapped[float | None] = mapped_column(Float)


class ServiceHours(Base):
    """Hours a volunteer served: one row per (activity, person) or per need done, ever.

    Exactly one of `activity_id` and `need_id` is set; `team_id` is the activity's team.
    """

    __tablename__ = "participation_service_hours"
    __table_args__ = (
        UniqueConstraint("activity_id", "person_id"),
        CheckConstraint("(activity_id IS NULL) <> (need_id IS NULL)", name="one_source"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int | None] = mapped_column(Integer, index=True)
    need_id: Mapped[int | None] = mapped_column(Integer, unique=True)
    team_id: Mapped[int | None] = mapped_column(Integer, index=True)
    person_id: Mapped[int] = mapped_column(Integer, index=True)
    grid_id: Mapped[int] = mapped_column(Integer, index=True)
    category: Mapped[str] = mapped_column(String(24))
    hours: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Topic(Base):
    """A matter for deliberation (民主议事) in a village, proposed by a resident or the village."""

    __tablename__ = "participation_topics"

    id: Mapped[int] = mapped_column(primary_key=True)
    grid_id: Mapped[int] = mapped_column(Integer, index=True)  # the village
    title: Mapped[str] = mapped_column(String(80))
    body: Mapped[str] = mapped_column(String(2000))
    proposed_by: Mapped[int] = mapped_column(Integer)
    proposer_kind: Mapped[str] = mapped_column(String(16))  # resident | village
    state: Mapped[str] = mapped_column(String(16), default="open")  # open | concluded
    meeting_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    meeting_place: Mapped[str] = mapped_column(String(120), default="")
    minutes: Mapped[str] = mapped_column(String(4000), default="")
    conclusion: Mapped[str] = mapped_column(String(2000), default="")
    action_category: Mapped[str | None] = mapped_column(String(64))  # set: a dispatch task
    incident_id: Mapped[int | None] = mapped_column(Integer)
    incident_number: Mapped[str | None] = mapped_column(String(40))
    incident_state: Mapped[str | None] = mapped_column(String(24))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    concluded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # An online meeting: the topic's recorded channel "meeting:<id>" (ctx.channels.for_ref).
    meeting_channel_id: Mapped[int | None] = mapped_column(Integer)


class MeetingRecording(Base):
    """A recording of a topic's online meeting, as media announced it (ChannelRecording)."""

    __tablename__ = "participation_meeting_recordings"

    recording_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    topic_id: Mapped[int] = mapped_column(Integer, index=True)
    state: Mapped[str] = mapped_column(String(16))  # recording | done | failed
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Participant(Base):
    __tablename__ = "participation_participants"

    topic_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    display_name: Mapped[str] = mapped_column(String(80))
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Vote(Base):
    """A question put to the eligible voters of a topic; valid when `quorum` ballots are in."""

    __tablename__ = "participation_votes"

    id: Mapped[int] = mapped_column(primary_key=True)
    topic_id: Mapped[int] = mapped_column(Integer, index=True)
    question: Mapped[str] = mapped_column(String(200))
    options: Mapped[list[str]] = mapped_column(JSON)
    eligible: Mapped[str] = mapped_column(String(16))  # participants | residents
    quorum: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16), default="open")  # open | closed
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Ballot(Base):
    """One voter's ballot: the primary key (vote, person) makes it one vote each."""

    __tablename__ = "participation_ballots"

    vote_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    choice: Mapped[int] = mapped_column(Integer)
    cast_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Post(Base):
    """A neighbourhood post (邻里生活) by a resident of a village; the village moderates it."""

    __tablename__ = "participation_posts"

    id: Mapped[int] = mapped_column(primary_key=True)
    grid_id: Mapped[int] = mapped_column(Integer, index=True)  # the village
    author_id: Mapped[int] = mapped_column(Integer, index=True)
    author_name: Mapped[str] = mapped_column(String(80))
    text: Mapped[str] = mapped_column(String(1000))
    state: Mapped[str] = mapped_column(String(16), default="visible")  # visible | hidden
    reports: Mapped[int] = mapped_column(Integer, default=0)
    incident_number: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PostPhoto(Base):
    __tablename__ = "participation_post_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(Integer, index=True)
    content_type: Mapped[str] = mapped_column(String(24))
    data: Mapped[bytes] = mapped_column(LargeBinary)


class Comment(Base):
    __tablename__ = "participation_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(Integer, index=True)
    author_id: Mapped[int] = mapped_column(Integer)
    author_name: Mapped[str] = mapped_column(String(80))
    text: Mapped[str] = mapped_column(String(500))
    state: Mapped[str] = mapped_column(String(16), default="visible")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PostReport(Base):
    """A resident's report of a post: one per person and post (the primary key)."""

    __tablename__ = "participation_post_reports"

    post_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reason: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Need(Base):
    """A resident's need on the village's published list (群众点单), taken up by one volunteer."""

    __tablename__ = "participation_needs"

    id: Mapped[int] = mapped_column(primary_key=True)
    grid_id: Mapped[int] = mapped_column(Integer, index=True)  # the village
    person_id: Mapped[int] = mapped_column(Integer, index=True)
    author_name: Mapped[str] = mapped_column(String(80))
    category: Mapped[str] = mapped_column(String(24))
    text: Mapped[str] = mapped_column(String(500))
    state: Mapped[str] = mapped_column(String(16), default="open")  # open | taken | done
    taken_by: Mapped[int | None] = mapped_column(Integer)
    taker_name: Mapped[str | None] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    taken_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Volunteer(Base):
    """A resident registered as a volunteer (志愿者) of a village; the village approves."""

    __tablename__ = "participation_volunteers"
    __table_args__ = (UniqueConstraint("person_id", "grid_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(Integer, index=True)
    grid_id: Mapped[int] = mapped_column(Integer, index=True)  # the village
    display_name: Mapped[str] = mapped_column(String(80))
    skills: Mapped[list[str]] = mapped_column(JSON)
    availability: Mapped[str] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(16), default="pending")  # pending|approved|rejected
    note: Mapped[str] = mapped_column(String(200), default="")  # the village's reason
    applied_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[int | None] = mapped_column(Integer)


class Team(Base):
    """A volunteer team (志愿者队伍) of a village, led by one of its approved volunteers."""

    __tablename__ = "participation_teams"
    __table_args__ = (UniqueConstraint("grid_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    grid_id: Mapped[int] = mapped_column(Integer, index=True)  # the village
    name: Mapped[str] = mapped_column(String(40))
    category: Mapped[str] = mapped_column(String(24))
    leader_id: Mapped[int] = mapped_column(Integer)  # a Volunteer's id
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TeamMember(Base):
    __tablename__ = "participation_team_members"

    team_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    volunteer_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
