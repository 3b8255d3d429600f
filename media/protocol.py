"""The hub ⇄ media-worker control channel: one WebSocket, msgpack binary frames.

The worker listens on ``ws://<host>:<port>/control`` and accepts a connection only with
``Authorization: Bearer <secret>`` (the shared secret; constant-time compare). Frames:

* request (hub → worker): ``{"id": int, "op": str, "args": {...}}``
* reply (worker → hub): ``{"id": int, "ok": true, "result": {...}}`` or
  ``{"id": int, "ok": false, "error": {"code": str, "message": str}}``
* event (worker → hub, unsolicited): ``{"event": str, "data": {...}}``

Operations are listed in ``OPS``; events in ``EVENTS`` (see docs/media.md).
"""

from __future__ import annotations

from typing import Any, Final

import msgpack

CONTROL_PATH: Final = "/control"
SECRET_ENV: Final = "GRIDHUB_MEDIA_SECRET"

OPS: Final = (
    "hello",  # -> {worker_id, pid, capacity, kinds, taps}
    "load",  # -> the load report
    "room.open",  # {room, kind, options} -> {}
    "room.close",  # {room} -> {}
    "peer.join",  # {room, peer, sdp, options} -> {sdp}
    "peer.leave",  # {room, peer} -> {}
    "room.control",  # {room, action, args} -> whatever the room kind answers
)
EVENTS: Final = (
    "load",  # {participants, rooms, capacity, cpu}
    "room",  # {room, kind, name, data}: a room kind's own event (e.g. "speaker")
    "peer.state",  # {room, peer, state}: the peer connection's state changed
)


class ControlError(Exception):
    """A request the worker refused; travels as ``{"code", "message"}``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


def pack(message: dict[str, Any]) -> bytes:
    data: bytes = msgpack.packb(message, use_bin_type=True)
    return data


def unpack(data: bytes) -> dict[str, Any]:
    message = msgpack.unpackb(data, raw=False)
    if not isinstance(message, dict):
        raise ControlError("control.bad_frame", "a control frame must be a map")
    return message
