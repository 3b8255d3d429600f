"""Hub side of the camera gateway: registered sources, scope, and viewers on a media worker.

A camera's viewers all join one `camera` room (``camera:<id>``) on one worker, so its source is
decoded once however many watch. The room is opened by the first viewer; when the worker reports
it ``idle`` (no viewer for ``media.cameras.grace_s``), the hub closes it.

Only admins register a camera or change its source (the hub connects wherever a source points;
sources.py keeps RTSP to the allowed networks and ports). A source that cannot be opened is
`camera.unreachable` with one message whatever the cause (refused, timed out, not RTSP, no longer
allowed), so watching a camera tells nothing about what else listens on its network; the cause
goes to the log.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
from collections.abc import Awaitable, Callable, Collection, Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hub.access import (
    COMMAND_ROLES,
    Grant,
    Principal,
    Role,
    require_admin,
    require_role,
    require_scope,
)
from hub.errors import Conflict, HubError, NotFound
from hub.grid import GridIndex
from media.camera.models import Camera
from media.camera.policy import CameraSettings
from media.camera.sources import check_file, check_rtsp, pinned_rtsp
from media.pool import MediaPool, RoomHandle
from media.protocol import ControlError

ROOM_KIND = "camera"
REGISTER_ROLES = frozenset({Role.COMMANDER})  # change (name, grid, enabled) and delete, in scope
UNREACHABLE = "the camera cannot be reached"
log = logging.getLogger("gridhub.media.camera")
# The grants of those of the people who are active (hub.people.People.grants_of).
GrantsOf = Callable[[Collection[int]], Awaitable[Mapping[int, tuple[Grant, ...]]]]


class Cameras:
    def __init__(
        self,
        pool: MediaPool,
        sessions: async_sessionmaker[AsyncSession],
        settings: CameraSettings,
        data_dir: Path,
    ) -> None:
        self.pool, self.sessions, self.settings = pool, sessions, settings
        self.roots = [
            (Path(r) if Path(r).is_absolute() else data_dir / r).resolve()
            for r in settings.file_roots
        ]

    # ---- registry ------------------------------------------------------------------------

    async def register(self, who: Principal, index: GridIndex, values: dict[str, Any]) -> Camera:
        require_admin(who)  # a source is where the hub connects to
        if values.get("grid_id") is None:
            if not who.is_admin:
                raise HubError(
                    "camera.grid_required", "give the grid the camera watches", status=422
                )
        else:
            _check_grid(who, index, int(values["grid_id"]), REGISTER_ROLES)
        values["source"] = await self.check_source(values["source_kind"], values["source"])
        row = Camera(created_by=who.person_id, **values)
        async with self.sessions.begin() as session:
            session.add(row)
        return row

    async def update(
        self, who: Principal, index: GridIndex, camera_id: int, values: dict[str, Any]
    ) -> Camera:
        require_role(who, REGISTER_ROLES)
        row = await self.get(who, index, camera_id, REGISTER_ROLES)
        if "grid_id" in values:
            if values["grid_id"] is not None:
                _check_grid(who, index, int(values["grid_id"]), REGISTER_ROLES)
            elif not who.is_admin:
                raise HubError("camera.grid_required", "a camera needs a grid", status=422)
        if "source" in values or "source_kind" in values:
            require_admin(who)
            kind = values.get("source_kind", row.source_kind)
            values["source"] = await self.check_source(kind, values.get("source", row.source))
        async with self.sessions.begin() as session:
            fresh = await session.get(Camera, camera_id)
            assert fresh is not None
            for key, value in values.items():
                setattr(fresh, key, value)
        await self.stop(camera_id)  # viewers reconnect to the new source
        return fresh

    async def delete(self, who: Principal, index: GridIndex, camera_id: int) -> None:
        require_role(who, REGISTER_ROLES)
        row = await self.get(who, index, camera_id, REGISTER_ROLES)
        await self.stop(camera_id)
        async with self.sessions.begin() as session:
            fresh = await session.get(Camera, row.id)
            if fresh is not None:
                await session.delete(fresh)

    async def check_source(self, kind: str, source: str) -> str:
        if kind == "rtsp":
            await pinned_rtsp(source, self.settings)  # allowed now (checked again when opened)
            return check_rtsp(source)
        return await check_file(source, self.roots)

    async def get(
        self,
        who: Principal,
        index: GridIndex,
        camera_id: int,
        roles: frozenset[Role] = COMMAND_ROLES,
    ) -> Camera:
        async with self.sessions() as session:
            row = await session.get(Camera, camera_id)
        if row is None:
            raise NotFound("camera.not_found", "no such camera")
        if row.grid_id is None:
            if not who.is_admin:
                raise HubError("scope.forbidden", "this camera is outside your scope", status=403)
        else:
            _check_grid(who, index, row.grid_id, roles)
        return row

    async def visible(self, who: Principal, index: GridIndex) -> list[Camera]:
        stmt = select(Camera).order_by(Camera.id)
        if not who.is_admin:
            seats = who.grid_ids(COMMAND_ROLES)
            stmt = stmt.where(Camera.grid_id.in_(index.scope_ids(seats) if seats else []))
        async with self.sessions() as session:
            return list(await session.scalars(stmt))

    # ---- viewing ---------------------------------------------------------------------------------

    async def watch(
        self, who: Principal, index: GridIndex, camera_id: int, sdp: str
    ) -> tuple[str, str]:
        """Join a viewer; (viewer id, SDP answer)."""
        row = await self.get(who, index, camera_id)
        if not row.enabled:
            raise Conflict("camera.disabled", "the camera is disabled")
        viewer = f"{who.person_id}-{secrets.token_hex(4)}"
        try:
            handle = await self._room(row)
            if (await handle.control("stats"))["viewers"] >= self.settings.max_viewers:
                raise Conflict("camera.full", "the camera has as many viewers as it may")
            return viewer, await handle.join(viewer, sdp)
        except ControlError as exc:
            raise _hub_error(exc) from None

    async def leave(self, who: Principal, index: GridIndex, camera_id: int, viewer: str) -> None:
        await self.get(who, index, camera_id)
        if not viewer.startswith(f"{who.person_id}-"):
            raise HubError("camera.not_your_viewer", "that viewer is not yours", status=403)
        handle = self.pool.room(_room_id(camera_id))
        if handle is not None:
            try:
                await handle.leave(viewer)
            except ControlError as exc:
                raise _hub_error(exc) from None

    async def stats(self, who: Principal, index: GridIndex, camera_id: int) -> dict[str, Any]:
        await self.get(who, index, camera_id)
        handle = self.pool.room(_room_id(camera_id))
        if handle is None:
            return {"viewers": 0, "running": False, "decoders_started": 0, "frames_decoded": 0}
        try:
            stats = await handle.control("stats")
        except ControlError as exc:
            raise _hub_error(exc) from None
        stats.pop("frames_sent", None)
        stats.pop("audio_sent", None)
        return stats

    async def follow_grants(self, person_id: int, index: GridIndex, grants_of: GrantsOf) -> None:
        """A person's grants changed (0: anyone's): their views of this node's cameras that
        the grants now in force no longer allow end at once (disabled people's: all)."""
        rooms = [r for r in list(self.pool.placement) if r.startswith(f"{ROOM_KIND}:")]
        for room_id in rooms:
            handle = self.pool.room(room_id)
            if handle is None:
                continue
            viewers = await _viewers(handle)
            theirs = {v: p for v, p in viewers.items() if person_id in (0, p)}
            grants = await grants_of(set(theirs.values())) if theirs else {}
            for viewer, person in theirs.items():
                if not await self._may_watch(person, grants.get(person), index, room_id):
                    await self._drop_viewer(handle, room_id, viewer, person)

    async def _may_watch(
        self, person: int, grants: tuple[Grant, ...] | None, index: GridIndex, room_id: str
    ) -> bool:
        if grants is None:  # disabled or deleted
            return False
        try:
            await self.get(Principal(person, "", "", "", grants), index, _camera_of(room_id))
        except HubError:
            return False
        return True

    @staticmethod
    async def _drop_viewer(handle: RoomHandle, room_id: str, viewer: str, person: int) -> None:
        log.info(
            "camera viewer dropped: access revoked",
            extra={"room": room_id, "viewer": viewer, "person": person},
        )
        with contextlib.suppress(ControlError):  # already gone
            await handle.leave(viewer)

    async def stop(self, camera_id: int) -> None:
        handle = self.pool.room(_room_id(camera_id))
        if handle is not None:
            await handle.close()

    async def _room(self, row: Camera) -> RoomHandle:
        handle = self.pool.room(_room_id(row.id))
        if handle is not None:
            return handle
        options = {
            "source_kind": row.source_kind,
            "source": await self._openable(row),
            "grace_s": self.settings.grace_s,
        }
        return await self.pool.open(_room_id(row.id), ROOM_KIND, options, self._event)

    async def _openable(self, row: Camera) -> str:
        """The source as the worker opens it: an RTSP host pinned to an allowed address."""
        if row.source_kind != "rtsp":
            return row.source
        try:
            return await pinned_rtsp(row.source, self.settings)
        except HubError as exc:
            log.warning(
                "camera source refused",
                extra={"camera": row.id, "code": exc.code, "reason": exc.message},
            )
            raise HubError("camera.unreachable", UNREACHABLE, status=502) from None

    async def _event(self, event: str, data: dict[str, Any]) -> None:
        if event == "room" and data.get("name") == "idle":
            handle = self.pool.room(str(data.get("room")))
            if handle is not None:
                await handle.close()


def _room_id(camera_id: int) -> str:
    return f"camera:{camera_id}"


def _camera_of(room_id: str) -> int:
    return int(room_id.split(":", 1)[1])


async def _viewers(handle: RoomHandle) -> dict[str, int]:
    """The viewers in a camera room, with their person: viewer ids are `<person id>-<random>`
    (Cameras.watch). A room that closed meanwhile has none."""
    try:
        reply = await handle.control("viewers")
    except ControlError:
        return {}
    heads = {str(v): str(v).split("-", 1)[0] for v in reply["viewers"]}
    return {v: int(head) for v, head in heads.items() if head.isdigit()}


def _check_grid(who: Principal, index: GridIndex, grid_id: int, roles: frozenset[Role]) -> None:
    if grid_id not in index:
        raise NotFound("grid.not_found", f"no grid {grid_id}")
    require_scope(who, index, grid_id, roles)


def _hub_error(exc: ControlError) -> HubError:
    if exc.code in ("media.unavailable", "media.worker_down", "media.worker_timeout"):
        return HubError(exc.code, exc.message, status=503)
    if exc.code == "camera.unreachable":
        return HubError(exc.code, UNREACHABLE, status=502)
    return HubError(exc.code, exc.message, status=422)
