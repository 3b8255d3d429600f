"""socket.io packets whose JSON is read with hub.decoding's limits.

python-socketio parses every packet with `json.loads`: 100,000 nested `[` raise RecursionError
inside python-engineio (logged with a traceback), and integers of any size reach the handlers
and then the database (OverflowError). `HubPacket` reads packets with `hub.decoding` instead.
A packet it refuses becomes the event REFUSED, whose argument is the structured error, so a
client that asked for an acknowledgement gets `{"ok": false, "error": {"code": "frame.*"}}`;
the refusal is logged at WARNING, never with a traceback.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import socketio
from socketio.packet import Packet

from hub.decoding import DecodeError, Limits, decode_json

log = logging.getLogger("gridhub.realtime")

REFUSED = "frame.refused"
CODES = frozenset({"frame.malformed", "frame.too_deep", "frame.too_large"})
# The frame size itself is capped by python-engineio (realtime.max_frame_bytes) before this.
SOCKET_LIMITS = Limits(max_bytes=64 * 1024 * 1024, max_depth=32, max_string=1024 * 1024)


class _LimitedJson:
    """The `json` python-socketio calls: dumps as usual, loads within SOCKET_LIMITS."""

    @staticmethod
    def dumps(value: Any, **options: Any) -> str:
        return json.dumps(value, **options)

    @staticmethod
    def loads(text: str | bytes, **_: Any) -> Any:
        try:
            return decode_json(text, SOCKET_LIMITS)
        except DecodeError as exc:
            return [REFUSED, {"code": exc.code, "message": exc.message}]


class HubPacket(Packet):  # type: ignore[misc]  # python-socketio has no type hints
    """A socket.io packet decoded with SOCKET_LIMITS (AsyncServer(serializer=HubPacket))."""

    json = _LimitedJson


def answer_refused(sio: socketio.AsyncServer) -> None:
    """Acknowledge a refused packet with its structured error."""

    async def refused(sid: str, error: Any = None) -> dict[str, Any]:
        # A client may send this event itself: answer only with a code HubPacket gives.
        known = isinstance(error, dict) and error.get("code") in CODES
        answer = error if known else {"code": "frame.malformed", "message": "malformed packet"}
        log.warning("socket packet refused", extra={"sid": sid, "code": answer["code"]})
        return {"ok": False, "error": answer}

    sio.on(REFUSED, refused)
