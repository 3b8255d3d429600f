"""The device protocol: frame decoding and validation, close codes (docs/device-protocol.md).

Frames are JSON objects (text) or msgpack maps (binary), decoded within limits by
hub.decoding. Validation is done by hand: it runs for every frame on the hottest path and gives
each problem a stable code.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

import msgpack

from hub.sdk import DecodeError, Limits, decode_json, decode_msgpack
from plugins.alarms.config import SEVERITIES

# WebSocket close codes (4000-4999 are the application's own)
CLOSE_PROTOCOL = 4000  # the first frame was not a valid auth frame
CLOSE_AUTH_FAILED = 4001  # unknown device, wrong key or disabled device
CLOSE_AUTH_TIMEOUT = 4002  # no auth frame within auth_timeout_s
CLOSE_TOO_MANY_INVALID = 4008  # more than max_invalid bad frames on this connection
CLOSE_SUPERSEDED = 4009  # the same device connected again (to this node)
CLOSE_STORAGE = 4011  # frames could not be stored: reconnect and resend
CLOSE_RATE_LIMITED = 4029  # more frames per second than allowed
CLOSE_MALFORMED = 1007  # not UTF-8, JSON or msgpack, or a number out of range (standard)
CLOSE_POLICY = 1008  # nested deeper than FRAME_DEPTH (standard)
CLOSE_TOO_BIG = 1009  # frame above max_frame_bytes, or a part above its limit (standard code)
# what a frame that cannot be decoded closes the connection with, by its error code
DECODE_CLOSE = {
    "frame.malformed": CLOSE_MALFORMED,
    "frame.too_deep": CLOSE_POLICY,
    "frame.too_large": CLOSE_TOO_BIG,
}

KINDS = ("telemetry", "alarm", "clear", "heartbeat")
MAX_SEQ = 2**63 - 1
MAX_METRICS = 64
NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
# Decoding limits beside max_frame_bytes: a valid frame nests 4 levels (batch > frames > frame >
# metrics) and has at most max_batch frames or MAX_METRICS metrics; the margins are for fields
# the hub ignores.
FRAME_DEPTH = 16
FRAME_ITEMS = 10_000


class FrameError(ValueError):
    """A frame the hub refuses: `code` is stable (frame.*), `message` says why."""

    def __init__(self, code: str, message: str, seq: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.seq = seq


@dataclass(frozen=True, slots=True)
class Frame:
    """One validated data frame; `body` is what is stored (JSON-safe)."""

    seq: int
    kind: str
    ts: float
    body: dict[str, Any]


def limits(max_frame_bytes: int) -> Limits:
    return Limits(max_frame_bytes, FRAME_DEPTH, FRAME_ITEMS, max_string=max_frame_bytes)


def decode(data: str | bytes, within: Limits) -> Any:
    """JSON for text, msgpack for binary; a structure, not yet validated."""
    try:
        if isinstance(data, str):
            return decode_json(data, within)
        return decode_msgpack(data, within)
    except DecodeError as exc:
        raise FrameError(exc.code, exc.message) from None


def is_msgpack(payload: bytes) -> bool:
    """How an MQTT payload is read: JSON (UTF-8) when it starts with `{`, else msgpack."""
    return not payload.lstrip().startswith(b"{")


def decode_payload(payload: bytes, within: Limits) -> Any:
    try:
        if is_msgpack(payload):
            return decode_msgpack(payload, within)
        return decode_json(payload, within)
    except DecodeError as exc:
        raise FrameError(exc.code, exc.message) from None


def encode(message: dict[str, Any], binary: bool) -> str | bytes:
    if binary:
        packed: bytes = msgpack.packb(message, use_bin_type=True)
        return packed
    return json.dumps(message, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True, slots=True)
class Auth:
    device: str
    key: str


def parse_auth(raw: Any) -> Auth:
    if not isinstance(raw, dict) or raw.get("type") != "auth":
        raise FrameError("auth.required", "the first frame must be {type: auth, device, key}")
    device, key = raw.get("device"), raw.get("key")
    if not isinstance(device, str) or not isinstance(key, str) or not device or not key:
        raise FrameError("auth.invalid", "auth needs string fields device and key")
    if len(device) > 64 or len(key) > 256:
        raise FrameError("auth.invalid", "device or key too long")
    return Auth(device, key)


def parse_frames(raw: Any, now: float, max_batch: int, skew: tuple[float, float]) -> list[Frame]:
    """One frame, or the frames of a batch, validated; `skew` = (max ahead, max age) in s."""
    if not isinstance(raw, dict):
        raise FrameError("frame.invalid", "a frame must be an object")
    if raw.get("type") == "batch":
        items = raw.get("frames")
        if not isinstance(items, list) or not items:
            raise FrameError("frame.invalid", "a batch needs a non-empty list `frames`")
        if len(items) > max_batch:
            raise FrameError("frame.batch_too_big", f"at most {max_batch} frames in a batch")
        return [parse_frame(item, now, skew) for item in items]
    return [parse_frame(raw, now, skew)]


def parse_frame(raw: Any, now: float, skew: tuple[float, float]) -> Frame:
    if not isinstance(raw, dict):
        raise FrameError("frame.invalid", "a frame must be an object")
    kind = raw.get("type")
    if kind not in KINDS:
        raise FrameError("frame.unknown_type", f"unknown frame type {str(kind)[:32]!r}")
    seq = raw.get("seq")
    if type(seq) is not int or not 0 < seq <= MAX_SEQ:
        raise FrameError("frame.seq_invalid", "seq must be an integer from 1 to 2^63-1")
    ts = _timestamp(raw.get("ts"), now, skew, seq)
    body = _BODIES[kind](raw, seq)
    if ts[1]:
        body["skewed"] = True
    return Frame(seq, kind, ts[0], body)


def _timestamp(value: Any, now: float, skew: tuple[float, float], seq: int) -> tuple[float, bool]:
    """(time, clamped): device times too far ahead or too old are replaced by `now`."""
    if value is None:
        return now, False
    if not _number(value):
        raise FrameError("frame.invalid", "ts must be a number (epoch seconds)", seq)
    ts = float(value)
    if ts > now + skew[0] or ts < now - skew[1]:
        return now, True
    return ts, False


def _number(value: Any) -> bool:
    return type(value) in (int, float) and math.isfinite(value)


def _text(raw: dict[str, Any], field: str, limit: int, seq: int) -> str:
    value = raw.get(field, "")
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > limit:
        raise FrameError("frame.invalid", f"{field} must be a string of at most {limit}", seq)
    return value


def _name(raw: dict[str, Any], field: str, seq: int) -> str:
    value = raw.get(field)
    if not isinstance(value, str) or not NAME.match(value):
        raise FrameError("frame.invalid", f"{field} must match {NAME.pattern}", seq)
    return value


def _telemetry(raw: dict[str, Any], seq: int) -> dict[str, Any]:
    metrics = raw.get("metrics")
    if not isinstance(metrics, dict) or not metrics or len(metrics) > MAX_METRICS:
        raise FrameError("frame.invalid", f"metrics must map 1..{MAX_METRICS} names", seq)
    for name, value in metrics.items():
        if not isinstance(name, str) or not NAME.match(name) or not _number(value):
            raise FrameError("frame.invalid", "metrics map names to finite numbers", seq)
    return {"metrics": metrics}


def _alarm(raw: dict[str, Any], seq: int) -> dict[str, Any]:
    severity = raw.get("severity", "MAJOR")
    if severity not in SEVERITIES:
        raise FrameError("frame.invalid", f"severity must be one of {', '.join(SEVERITIES)}", seq)
    value = raw.get("value")
    if value is not None and not _number(value):
        raise FrameError("frame.invalid", "value must be a finite number", seq)
    body: dict[str, Any] = {"alarm": _name(raw, "alarm", seq), "severity": severity}
    body["value"] = None if value is None else float(value)
    body["message"] = _text(raw, "message", 500, seq)
    return body


def _clear(raw: dict[str, Any], seq: int) -> dict[str, Any]:
    return {"alarm": _name(raw, "alarm", seq), "message": _text(raw, "message", 500, seq)}


def _heartbeat(raw: dict[str, Any], seq: int) -> dict[str, Any]:
    firmware = _text(raw, "firmware", 64, seq)
    return {"firmware": firmware} if firmware else {}


_BODIES = {"telemetry": _telemetry, "alarm": _alarm, "clear": _clear, "heartbeat": _heartbeat}
