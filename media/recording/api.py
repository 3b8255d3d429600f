"""/api/v1/recordings: publish to a recorder, list, metadata, playback and download (Range)."""

from __future__ import annotations

import hashlib
import hmac
import time
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import quote

from aiohttp import web
from pydantic import BaseModel, Field, model_validator

from hub import policy
from hub.access import COMMAND_ROLES, Principal
from hub.errors import Forbidden, NotFound, Unauthorized
from hub.ids import ID_MAX
from hub.keys import GRIDS, PEOPLE
from hub.subjects import KIND as SUBJECT_KIND
from hub.web import Call, Router
from media.recording.models import Recording
from media.recording.service import Recordings

RECORDINGS = web.AppKey("recordings", Recordings)
TICKET_KEY = web.AppKey("recording_ticket_key", bytes)
TICKET_TTL_S = 900
MAX_SDP = 100_000
# One recording's check (`_visible`): a participant, an admin, or command roles over its grids.
RECORDING_POLICY = policy.signed_in("recordings.policy", policy.Scope.NONE)
RECORDING_PUBLISH = policy.signed_in("recordings.publish", policy.Scope.RECORDING)  # own call/SOS
# Live listening to a subject's recorder (an SOS hot mic): command roles over its grid.
RECORDING_LISTEN = policy.for_roles("recordings.listen", COMMAND_ROLES, policy.Scope.RECORDING)
RECORDINGS_LIST = policy.signed_in("recordings.list", policy.Scope.LISTED)
RECORDING_READ = policy.signed_in("recordings.read", policy.Scope.RECORDING)  # metadata, ticket
# <audio>/<video> cannot send a token: a ticket stands in for one; it names its holder, and
# the same check runs on the holder's grants at playback.
RECORDING_MEDIA = policy.public("recordings.media", policy.Scope.RECORDING)


class PublishIn(BaseModel):
    kind: str = Field(
        pattern=SUBJECT_KIND.pattern,
        description='what is recorded: "call" (a 1:1 call) or a subject kind a plugin owns '
        '(e.g. "sos"); a kind no enabled plugin owns is not found',
    )
    ref: int = Field(ge=1, le=2**53, description="the call id or the subject's id (SOS id)")
    sdp: str = Field(min_length=10, max_length=MAX_SDP, description="send-only SDP offer")

    @model_validator(mode="after")
    def _within_column(self) -> PublishIn:
        if self.kind != "call" and self.ref > ID_MAX:  # call ids are BigIds, subjects' are not
            raise ValueError(f"a {self.kind} id is at most {ID_MAX}")
        return self


class PublishOut(BaseModel):
    recording_id: str
    type: Literal["answer"] = "answer"
    sdp: str


class ListenIn(BaseModel):
    kind: str = Field(
        pattern=SUBJECT_KIND.pattern,
        description='a subject kind a plugin owns (e.g. "sos"); not "call"',
    )
    ref: int = Field(ge=1, le=ID_MAX, description="the subject's id (SOS id)")
    sdp: str = Field(
        min_length=10,
        max_length=MAX_SDP,
        description="offer receiving audio (sendrecv with a microphone to talk back)",
    )


class ListQuery(BaseModel):
    # At most the last second of year 9999: datetime cannot hold a later time.
    before: float | None = Field(
        None, gt=0, le=253_402_300_799, description="started before this Unix time"
    )
    limit: int = Field(50, ge=1, le=500)


class MediaQuery(BaseModel):
    ticket: str | None = Field(None, max_length=200)
    download: bool = False


class RecordingOut(BaseModel):
    recording_id: str
    kind: str
    room: str
    state: str
    media: str
    container: str
    codec: str
    content_type: str
    call_id: int | None
    channel_id: int | None
    subject: str | None = Field(
        description='what it belongs to, "<kind>:<id>": the owner of its channel ("incident:12", '
        '"grid:3") or a plugin\'s subject ("sos:5"); null for 1:1 calls and ad-hoc channels'
    )
    grid_id: int | None
    started_by: int | None
    participants: list[int]
    started_at: float
    ended_at: float | None
    duration_s: float | None
    size: int | None
    sha256: str | None
    error: str | None


class PolicyOut(BaseModel):
    calls: bool
    group_calls: bool
    subjects: list[str] = Field(
        description='subject kinds the enabled plugins registered ("sos" with escalation): '
        "always recorded"
    )
    video: bool
    retention_days: float
    available: bool = Field(
        description="a media worker is configured, so a publish can be recorded (apps skip "
        "publishing without one)"
    )


class TicketOut(BaseModel):
    url: str
    expires_at: int


def recording_out(row: Recording, people: list[int]) -> RecordingOut:
    def ts(value: datetime | None) -> float | None:
        return None if value is None else value.timestamp()

    return RecordingOut(
        recording_id=row.id, kind=row.kind, room=row.room, state=row.state, media=row.media,
        container=row.container, codec=row.codec, content_type=row.content_type,
        call_id=row.call_id, channel_id=row.channel_id, subject=row.subject,
        grid_id=row.grid_id, started_by=row.started_by, participants=sorted(people),
        started_at=row.started_at.timestamp(), ended_at=ts(row.ended_at),
        duration_s=row.duration_s, size=row.size, sha256=row.sha256, error=row.error,
    )  # fmt: skip


# Recording ids are tokens, not database ids (a pattern keeps `Call.path_int`'s bounds off them).
TOKEN = "{recording_id:[^/]+}"


def build_router() -> Router:
    router = Router("/api/v1/recordings", "recordings")

    @router.get(
        "/policy",
        summary="What is recorded (plugins' subjects, such as an SOS, always)",
        response=PolicyOut,
        rule=RECORDING_POLICY,
    )
    async def recording_policy(call: Call[None, None]) -> PolicyOut:
        recordings = call.request.app[RECORDINGS]
        settings, kinds = recordings.settings, recordings.subjects.kinds()
        return PolicyOut(
            calls=settings.calls, group_calls=settings.group_calls, subjects=sorted(kinds),
            video=settings.video, retention_days=settings.retention_days,
            available=bool(recordings.pool.slots),
        )  # fmt: skip

    @router.post(
        "/publish",
        summary="Publish your microphone to the recorder of a call or an SOS (send-only offer)",
        body=PublishIn,
        response=PublishOut,
        rule=RECORDING_PUBLISH,
    )
    async def publish(call: Call[PublishIn, None]) -> PublishOut:
        body = call.body
        row, sdp = await call.request.app[RECORDINGS].publish(
            call.who, body.kind, body.ref, body.sdp
        )
        return PublishOut(recording_id=row.id, sdp=sdp)

    @router.post(
        "/listen",
        summary="Listen live to the recorder of an SOS (and talk back): command roles in scope",
        body=ListenIn,
        response=PublishOut,
        rule=RECORDING_LISTEN,
    )
    async def listen(call: Call[ListenIn, None]) -> PublishOut:
        body, who, app = call.body, call.who, call.request.app
        scope = None if who.is_admin else app[GRIDS].index.scope_ids(who.grid_ids(COMMAND_ROLES))
        row, sdp = await app[RECORDINGS].listen(who, body.kind, body.ref, body.sdp, scope)
        return PublishOut(recording_id=row.id, sdp=sdp)

    @router.get(
        "",
        summary="Recordings you took part in; commanders and dispatchers also those in scope",
        query=ListQuery,
        response=list[RecordingOut],
        rule=RECORDINGS_LIST,
    )
    async def listing(call: Call[None, ListQuery]) -> list[RecordingOut]:
        who, app = call.who, call.request.app
        grid_ids: set[int] | None = None
        if not who.is_admin:
            seats = who.grid_ids(COMMAND_ROLES)
            grid_ids = app[GRIDS].index.scope_ids(seats) if seats else set()
        before = call.query.before
        when = None if before is None else datetime.fromtimestamp(before, UTC)
        rows = await app[RECORDINGS].store.visible(who.person_id, grid_ids, when, call.query.limit)
        return [recording_out(row, people) for row, people in rows]

    @router.get(
        f"/{TOKEN}",
        summary="One recording's metadata",
        response=RecordingOut,
        rule=RECORDING_READ,
    )
    async def one(call: Call[None, None]) -> RecordingOut:
        row, people = await _visible(call, call.who)
        return recording_out(row, people)

    @router.post(
        f"/{TOKEN}/ticket",
        summary="A short-lived URL for <audio>/<video> elements, which cannot send a token",
        response=TicketOut,
        rule=RECORDING_READ,
    )
    async def ticket(call: Call[None, None]) -> TicketOut:
        row, _ = await _visible(call, call.who)
        expires = int(time.time()) + TICKET_TTL_S
        signed = _sign(call.request.app[TICKET_KEY], row.id, call.who.person_id, expires)
        url = f"/api/v1/recordings/{row.id}/media?ticket={signed}"
        return TicketOut(url=url, expires_at=expires)

    @router.get(
        f"/{TOKEN}/media",
        summary="The file (HTTP Range supported); Bearer token or ?ticket=; ?download=true",
        query=MediaQuery,
        rule=RECORDING_MEDIA,
        produces="audio/ogg or video/webm",
    )
    async def media(call: Call[None, MediaQuery]) -> web.StreamResponse:
        if call.principal is not None or call.query.ticket is None:
            row, _ = await _visible(call, call.who)
        else:  # the ticket names its holder; the scope check runs on their grants now
            row, _ = await _visible(call, await _ticket_holder(call, call.query.ticket))
        return _file(call.request.app[RECORDINGS], row, call.query.download)

    return router


async def _visible(call: Call[Any, Any], who: Principal) -> tuple[Recording, list[int]]:
    """The row, if `who` may see it: participant, admin, or commander/dispatcher in scope."""
    recordings = call.request.app[RECORDINGS]
    found = await recordings.store.get(call.params["recording_id"][:64])
    if found is None:
        raise NotFound("recording.not_found", "no such recording")
    row, people = found
    if who.is_admin or who.person_id in people:
        return row, people
    seats = who.grid_ids(COMMAND_ROLES)
    scope = call.request.app[GRIDS].index.scope_ids(seats) if seats else set()
    grids = await recordings.store.participants_grids(people)
    if row.grid_id is not None:
        grids.add(row.grid_id)
    if not scope & grids:
        raise Forbidden("scope.forbidden", "this recording is outside your scope")
    return row, people


async def _ticket_holder(call: Call[None, MediaQuery], ticket: str) -> Principal:
    """The person a valid ticket names, with the grants they hold now: a ticket is worth what
    its holder may see at playback, not at issue (a demotion or disabling counts at once)."""
    person_id = _check_ticket(call, ticket)
    grants = (await call.request.app[PEOPLE].grants_of([person_id])).get(person_id)
    if grants is None:  # disabled or deleted since
        raise Unauthorized("recording.ticket_invalid", "the ticket is invalid or has expired")
    return Principal(person_id, "", "", "", grants)


def _check_ticket(call: Call[None, MediaQuery], ticket: str) -> int:
    """The person a well-signed, unexpired ticket names."""
    try:
        expires_s, person_s, _mac = ticket.split(".", 2)
        expires, person_id = int(expires_s), int(person_s)
    except ValueError:
        raise Unauthorized("recording.ticket_invalid", "the ticket is malformed") from None
    expected = _sign(call.request.app[TICKET_KEY], call.params["recording_id"], person_id, expires)
    if not hmac.compare_digest(expected, ticket) or expires < time.time():
        raise Unauthorized("recording.ticket_invalid", "the ticket is invalid or has expired")
    return person_id


def _sign(key: bytes, recording_id: str, person_id: int, expires: int) -> str:
    message = f"{recording_id}.{person_id}.{expires}".encode()
    mac = hmac.new(key, message, hashlib.sha256).hexdigest()[:32]
    return f"{expires}.{person_id}.{mac}"


def ticket_key(secret: str) -> bytes:
    return hashlib.sha256(b"gridhub recording ticket\0" + secret.encode()).digest()


def _file(recordings: Recordings, row: Recording, download: bool) -> web.StreamResponse:
    path = recordings.file(row)
    if row.state != "done" or not path.is_file():
        raise NotFound("recording.not_ready", f"the recording is {row.state}, no file to play")
    response = web.FileResponse(path)
    response.content_type = row.content_type
    name = f"recording-{row.id}{path.suffix}"
    disposition = "attachment" if download else "inline"
    response.headers["Content-Disposition"] = f"{disposition}; filename*=UTF-8''{quote(name)}"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
