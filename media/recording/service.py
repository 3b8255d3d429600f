"""Hub side of recording: who may publish to which recorder, rows, the worker's events, retention.

A 1:1 call or a plugin's subject (an SOS) is recorded by a `recorder` room on a media worker
(``rec:call:<id>``, ``rec:<kind>:<id>``): each party's app publishes its microphone to it with a
send-only offer (``POST /api/v1/recordings/publish``). What a subject is (whose, which grid,
still open) is asked of the plugin that registered its kind (hub/subjects.py), which is told
when a recording of it starts; without that plugin the subject is not found. A group call's
mix is recorded by the `record` tap of its mixed room (``tap_options``). Either way the worker's
``recording.ended`` event completes the row.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hub.access import Principal
from hub.errors import Conflict, HubError, NotFound
from hub.subjects import Subjects
from media.pool import MediaPool, RoomHandle
from media.protocol import ControlError
from media.recording.models import Recording
from media.recording.policy import Kind, RecordingSettings
from media.recording.store import NewRecording, RecordingStore
from media.recording.writer import AUDIO, VIDEO, file_facts
from signaling.store import CallStore, CallView

log = logging.getLogger("gridhub.media.recording")
RECORDER = "recorder"


@dataclass(frozen=True, slots=True)
class Subject:
    """What is being recorded, resolved and checked: the room and the row to create."""

    room: str
    new: NewRecording


class Recordings:
    def __init__(
        self,
        pool: MediaPool,
        sessions: async_sessionmaker[AsyncSession],
        settings: RecordingSettings,
        data_dir: Path,
        subjects: Subjects,
    ) -> None:
        self.pool, self.settings, self.sessions = pool, settings, sessions
        self.subjects = subjects
        subjects.reserve("call", "group", "ptt")  # recording's own kinds, never a plugin's
        self.store = RecordingStore(sessions)
        directory = Path(settings.directory)
        self.directory = (directory if directory.is_absolute() else data_dir / directory).resolve()
        # One lock per recorder being set up; a lock lives while someone holds or awaits it.
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        pool.on_lost(self._lost)

    def file(self, row: Recording) -> Path:
        return self.directory / row.path

    # ---- publishing (1:1 calls, plugins' subjects) ------------------------------------------

    async def publish(
        self, who: Principal, kind: Kind, ref: int, sdp: str
    ) -> tuple[Recording, str]:
        """Join `who` to the recorder of a call or a subject; the row and the SDP answer."""
        subject = await (self._call(who, ref) if kind == "call" else self._subject(who, kind, ref))
        if not self.settings.records(kind):
            raise Conflict("recording.off", f"{kind} recording is off by policy")
        lock = self._locks.get(subject.room) or self._locks.setdefault(subject.room, asyncio.Lock())
        async with lock:
            row, handle, created = await self._recorder(subject)
            # The raiser of a subject (an SOS) hears whoever listens live and talks back.
            options = {} if kind == "call" else {"relay": True}
            try:
                answer = await handle.join(str(who.person_id), sdp, options)
            except ControlError as exc:
                if created:  # nothing recorded: leave no room, row or file behind
                    await self._discard(row, handle)
                raise _hub_error(exc) from None
            await self.store.add_participant(row.id, who.person_id)
        if created and kind != "call":
            await self.subjects.recording_attached(kind, ref, row.id)
        return row, answer

    async def listen(
        self, who: Principal, kind: str, ref: int, sdp: str, scope: set[int] | None
    ) -> tuple[Recording, str]:
        """Join `who` (commander, dispatcher or admin: `scope` their grids, None for all) to the
        live recorder of a subject (an SOS) as a listener: they hear it, and their microphone,
        if the offer sends one, reaches the raiser and the file."""
        found = await self.subjects.resolve(kind, ref) if kind != "call" else None
        if found is None or (scope is not None and found.grid_id not in scope):
            raise NotFound(f"recording.{kind}_not_found", f"no such {kind} in your scope")
        if not found.active:
            raise Conflict(f"recording.{kind}_closed", f"the {kind} is closed")
        room = f"rec:{kind}:{ref}"
        handle, row = self.pool.room(room), await self.store.open_for_room(room)
        if handle is None or row is None:
            raise Conflict("recording.not_live", "nobody is sending to this recording now")
        options = {"relay": True, "listener": True}
        try:
            answer = await handle.join(f"listen:{who.person_id}", sdp, options)
        except ControlError as exc:
            raise _hub_error(exc) from None
        await self.store.add_participant(row.id, who.person_id)
        return row, answer

    async def _discard(self, row: Recording, handle: RoomHandle) -> None:
        await handle.close()
        await self.store.delete([row.id])
        with contextlib.suppress(FileNotFoundError):
            await asyncio.to_thread(self.file(row).unlink)

    async def _recorder(self, subject: Subject) -> tuple[Recording, RoomHandle, bool]:
        """The open recorder of the subject, or a new one (then True)."""
        handle = self.pool.room(subject.room)
        row = await self.store.open_for_room(subject.room)
        if handle is not None and row is not None:
            return row, handle, False
        if handle is not None:  # a room without its row: start over
            await handle.close()
        if row is not None:
            await self.store.fail(row.id, "recorder room lost")
        video = self.settings.video_size()
        row = await self.store.create(subject.new, (VIDEO if video else AUDIO).suffix)
        options: dict[str, Any] = {"path": str(self.file(row)), "recording_id": row.id}
        if video is not None:
            options["video_size"] = list(video)
        if subject.new.started_at is not None:
            options["started_at"] = subject.new.started_at.timestamp()
        try:
            handle = await self.pool.open(subject.room, RECORDER, options, self._event)
        except ControlError as exc:
            await self.store.delete([row.id])
            raise _hub_error(exc) from None
        return row, handle, True

    async def _call(self, who: Principal, call_id: int) -> Subject:
        call = await CallStore(self.sessions).get(call_id)
        if call is None or who.person_id not in (call.caller_id, call.callee_id):
            raise NotFound("recording.call_not_found", "no such call of yours")
        if call.state != "active":
            raise Conflict("recording.call_not_active", "the call is not connected")
        people = (call.caller_id, call.callee_id)
        fmt = VIDEO if self.settings.video else AUDIO
        new = NewRecording(
            "call", f"rec:call:{call_id}", call.media, fmt.container, fmt.codec,
            fmt.content_type, people, started_by=who.person_id, call_id=call_id,
            started_at=call.answered_at,
        )  # fmt: skip
        return Subject(new.room, new)

    async def _subject(self, who: Principal, kind: str, subject_id: int) -> Subject:
        """A plugin's subject `who` raised (an SOS), asked of the plugin owning the kind."""
        found = await self.subjects.resolve(kind, subject_id)
        if found is None or found.person_id != who.person_id:
            raise NotFound(f"recording.{kind}_not_found", f"no such {kind} of yours")
        if not found.active:
            raise Conflict(f"recording.{kind}_closed", f"the {kind} is closed")
        fmt = VIDEO if self.settings.video else AUDIO
        new = NewRecording(
            kind, f"rec:{kind}:{subject_id}", "video" if self.settings.video else "audio",
            fmt.container, fmt.codec, fmt.content_type, (who.person_id,),
            started_by=who.person_id, grid_id=found.grid_id, subject=f"{kind}:{subject_id}",
        )  # fmt: skip
        return Subject(new.room, new)

    async def call_ended(self, call: CallView) -> None:
        """Signaling ended a call: finish its recorder even if an app keeps publishing."""
        handle = self.pool.room(f"rec:call:{call.id}")
        if handle is None:
            return
        try:
            facts = await handle.control("stop")
        except ControlError:
            facts = None
        row = await self.store.open_for_room(handle.room_id)
        if row is not None and facts is not None:
            await self.store.finish(row.id, facts)
        await handle.close()

    # ---- group calls -------------------------------------------------------------------------

    async def tap_options(
        self,
        room: str,
        participants: tuple[int, ...],
        *,
        kind: Literal["group", "ptt"] = "group",
        channel_id: int | None = None,
        subject: str | None = None,
        grid_id: int | None = None,
        started_by: int | None = None,
        asked: bool = False,
    ) -> dict[str, Any] | None:
        """`{"record": {...}}` to put in a mixed room's ``taps`` option, or None by policy
        (`asked`: the channel's owning plugin asked for it to be recorded)."""
        if not self.settings.records(kind, channel_id, asked):
            return None
        new = NewRecording(
            kind, room, "audio", AUDIO.container, AUDIO.codec, AUDIO.content_type,
            participants, started_by=started_by, grid_id=grid_id, channel_id=channel_id,
            subject=subject,
        )  # fmt: skip
        row = await self.store.create(new, AUDIO.suffix)
        return {"record": {"path": str(self.file(row)), "recording_id": row.id}}

    async def joined(self, recording_id: str, person_id: int) -> None:
        """A person joined a recorded group call: they may play it back too."""
        await self.store.add_participant(recording_id, person_id)

    async def finish_from_file(self, recording_id: str) -> str | None:
        """Complete a row from its file (the room has closed: the tap finished the file); its
        state ("done", "failed"; as it was if it no longer recorded), None for no such row."""
        found = await self.store.get(recording_id)
        if found is None or found[0].state != "recording":
            return None if found is None else found[0].state
        facts = await asyncio.to_thread(file_facts, self.file(found[0]))
        if facts is None:
            await self.store.fail(recording_id, "no file was written")
            return "failed"
        await self.store.finish(recording_id, asdict(facts))
        return "done"

    # ---- the worker's events -------------------------------------------------------------------

    async def handle_event(self, event: str, data: dict[str, Any]) -> None:
        """A mixed room's events may be passed here too; only `recording.ended` is used."""
        if event != "room" or data.get("name") != "recording.ended":
            return
        facts = dict(data.get("data") or {})
        row = await self.store.finish(str(facts.get("recording_id")), facts)
        if row is not None:
            log.info("recording done", extra={"recording_id": row.id, "size": row.size})

    async def _event(self, event: str, data: dict[str, Any]) -> None:
        await self.handle_event(event, data)
        ended = event == "room" and data.get("name") == "recording.ended"
        handle = self.pool.room(str(data.get("room"))) if ended else None
        if handle is not None:
            await handle.close()

    async def _lost(self, room_ids: list[str]) -> None:
        for room in room_ids:
            row = await self.store.open_for_room(room)
            if row is not None:
                await self.store.fail(row.id, "media worker lost")

    # ---- retention -------------------------------------------------------------------------------

    async def sweep(self) -> int:
        """Delete files and rows older than the retention; the number removed."""
        removed = 0
        while batch := await self.store.expired(self.settings.retention_days):
            for _id, path in batch:
                with contextlib.suppress(FileNotFoundError):
                    await asyncio.to_thread((self.directory / path).unlink)
            await self.store.delete([i for i, _ in batch])
            removed += len(batch)
        return removed


def _hub_error(exc: ControlError) -> HubError:
    if exc.code in ("media.unavailable", "media.worker_down", "media.worker_timeout"):
        return HubError(exc.code, exc.message, status=503)
    if exc.code == "recording.ended":
        return Conflict(exc.code, exc.message)
    return HubError(exc.code, exc.message, status=422)
