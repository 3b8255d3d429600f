"""The party plugin's tables: public disclosure (三务公开) and party building (党建引领)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from hub.sdk import Base, UTCDateTime, utcnow


class Disclosure(Base):
    """One item a village discloses for a period; its text lives in versions."""

    __tablename__ = "party_disclosures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    grid_id: Mapped[int] = mapped_column(Integer, index=True)  # the village
    category: Mapped[str] = mapped_column(String(16))  # party | village | finance
    period: Mapped[str] = mapped_column(String(7), index=True)  # 2026-11 or 2026-Q4
    published_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_by: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DisclosureVersion(Base):
    """A version of an item: drafted, submitted, returned or published, then superseded by a
    correction. Published and superseded versions are never written again."""

    __tablename__ = "party_disclosure_versions"
    __table_args__ = (UniqueConstraint("disclosure_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    disclosure_id: Mapped[int] = mapped_column(
        ForeignKey("party_disclosures.id", ondelete="CASCADE"), index=True
    )
    version: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(Text, default="")
    correction_reason: Mapped[str] = mapped_column(String(500), default="")
    author_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    reviewer_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    review_note: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Attachment(Base):
    """A file of a version (PDF, image, XLSX); an XLSX's first sheet is kept as a table."""

    __tablename__ = "party_attachments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("party_disclosure_versions.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(120))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    table_json: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Question(Base):
    """A resident's question on a published item, and the village's public answer."""

    __tablename__ = "party_questions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    disclosure_id: Mapped[int] = mapped_column(
        ForeignKey("party_disclosures.id", ondelete="CASCADE"), index=True
    )
    text: Mapped[str] = mapped_column(String(500))
    answer: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    answered_by: Mapped[int | None] = mapped_column(Integer, nullable=True)
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Organisation(Base):
    """党组织: a party committee, general branch or branch, anchored on a grid."""

    __tablename__ = "party_orgs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(16))  # committee | general_branch | branch
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("party_orgs.id", ondelete="RESTRICT"), nullable=True, index=True
    )
    grid_id: Mapped[int] = mapped_column(Integer, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Member(Base):
    """A party member of a branch; `person_id` links their account (sign-in, tasks)."""

    __tablename__ = "party_members"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("party_orgs.id"), index=True)
    name: Mapped[str] = mapped_column(String(40))
    person_id: Mapped[int | None] = mapped_column(Integer, nullable=True, unique=True)
    join_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))  # formal | probationary | inactive
    grid_id: Mapped[int | None] = mapped_column(Integer, nullable=True)  # the grid served
    home_grid_id: Mapped[int | None] = mapped_column(Integer, nullable=True)  # 双报到
    home_reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ServiceTask(Base):
    """A community's service task that members reporting there may take (双报到)."""

    __tablename__ = "party_service_tasks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    grid_id: Mapped[int] = mapped_column(Integer, index=True)
    title: Mapped[str] = mapped_column(String(120))
    created_by: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ServiceRecord(Base):
    __tablename__ = "party_service_records"
    __table_args__ = (UniqueConstraint("task_id", "member_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("party_service_tasks.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("party_members.id"), index=True)
    hours: Mapped[int | None] = mapped_column(Integer, nullable=True)
    note: Mapped[str] = mapped_column(String(500), default="")
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Meeting(Base):
    """三会一课 or 主题党日 of a branch: members sign in with its code or where it is held."""

    __tablename__ = "party_meetings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("party_orgs.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(120))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    place: Mapped[str] = mapped_column(String(120), default="")
    lon: Mapped[float | None] = mapped_column(nullable=True)
    lat: Mapped[float | None] = mapped_column(nullable=True)
    code: Mapped[str] = mapped_column(String(6))
    minutes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MeetingPhoto(Base):
    """A photo of a meeting (its record beside the minutes)."""

    __tablename__ = "party_meeting_photos"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("party_meetings.id", ondelete="CASCADE"), index=True
    )
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Attendance(Base):
    __tablename__ = "party_attendance"
    __table_args__ = (UniqueConstraint("meeting_id", "member_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("party_meetings.id", ondelete="CASCADE"), index=True
    )
    member_id: Mapped[int] = mapped_column(ForeignKey("party_members.id"), index=True)
    method: Mapped[str] = mapped_column(String(16))  # code | location
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PointEntry(Base):
    """党员积分: one line of a member's ledger. (source, ref) is unique, so a bus message
    delivered twice (or an incident handled twice) awards once."""

    __tablename__ = "party_points"
    __table_args__ = (UniqueConstraint("source", "ref"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("party_members.id"), index=True)
    source: Mapped[str] = mapped_column(String(16))  # activity | incident | meeting | service
    ref: Mapped[str] = mapped_column(String(64))
    points: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(200), default="")
    awarded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PromoItem(Base):
    """党建宣传: an article or a course (plain text and media), targeted at grids; residents
    and members see it once published, until withdrawn."""

    __tablename__ = "party_promo_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # article | course
    title: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(16), default="draft")  # draft|published|withdrawn
    created_by: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class PromoTarget(Base):
    """A grid an item is meant for: it shows there and in every grid below."""

    __tablename__ = "party_promo_targets"

    item_id: Mapped[int] = mapped_column(
        ForeignKey("party_promo_items.id", ondelete="CASCADE"), primary_key=True
    )
    grid_id: Mapped[int] = mapped_column(Integer, primary_key=True, index=True)


class PromoMedia(Base):
    """An image or video of an item, checked by its bytes; videos are served by byte ranges."""

    __tablename__ = "party_promo_media"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(
        ForeignKey("party_promo_items.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(120))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PromoRead(Base):
    """A member's reading of an item, recorded once (the branch's reading ledger)."""

    __tablename__ = "party_promo_reads"
    __table_args__ = (UniqueConstraint("item_id", "member_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(
        ForeignKey("party_promo_items.id", ondelete="CASCADE"), index=True
    )
    member_id: Mapped[int] = mapped_column(
        ForeignKey("party_members.id", ondelete="CASCADE"), index=True
    )
    read_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LeaderAlert(Base):
    """An escalation step that reached a 包靠领导 (party_leader), once per chain, step and
    person (a redelivered bus message is a no-op)."""

    __tablename__ = "party_leader_alerts"
    __table_args__ = (UniqueConstraint("chain_id", "step", "person_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(Integer, index=True)
    chain_id: Mapped[int] = mapped_column(Integer)
    step: Mapped[int] = mapped_column(Integer)
    trigger: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(String(120))
    policy: Mapped[str] = mapped_column(String(64))
    level: Mapped[str] = mapped_column(String(16))
    grid_id: Mapped[int] = mapped_column(Integer, index=True)  # the subject's grid
    title: Mapped[str] = mapped_column(String(200), default="")
    fired_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class KnownCase(Base):
    """An incident as dispatch last described it on the bus (`IncidentChanged`): its number,
    grid and state, so a leader can be assigned to it within the assigner's grids. The plugin
    never reads dispatch's tables."""

    __tablename__ = "party_known_cases"

    incident_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(40))
    grid_id: Mapped[int] = mapped_column(Integer, index=True)
    state: Mapped[str] = mapped_column(String(24))
    category: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    # when dispatch last described it: a closed incident is forgotten a retention after this
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class CaseLeader(Base):
    """A 包靠领导 assigned to one incident (包案): alerted once when it goes overdue."""

    __tablename__ = "party_case_leaders"
    __table_args__ = (UniqueConstraint("incident_id", "person_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(Integer, index=True)
    person_id: Mapped[int] = mapped_column(Integer, index=True)
    note: Mapped[str] = mapped_column(String(200), default="")
    assigned_by: Mapped[int | None] = mapped_column(Integer, nullable=True)
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PromoVersion(Base):
    """An earlier text of a promotion item, kept when it was edited: its title, body and
    targets as they were, and why, when and by whom they were replaced (a published item is
    never changed silently: residents see these)."""

    __tablename__ = "party_promo_versions"
    __table_args__ = (UniqueConstraint("item_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(
        ForeignKey("party_promo_items.id", ondelete="CASCADE"), index=True
    )
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(Text, default="")
    grid_ids: Mapped[str] = mapped_column(String(600))  # comma-separated, as they were
    was_published: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str] = mapped_column(String(200), default="")
    replaced_by: Mapped[int | None] = mapped_column(Integer, nullable=True)
    replaced_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
