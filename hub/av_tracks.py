"""Which tracks a WebM or MP4 upload declares in its first bytes.

A voice note recorded in a browser (MediaRecorder) is WebM with one Opus track (Chromium,
Firefox) or MP4 with one AAC track (Safari); their magic bytes are those of the video formats,
so the track headers decide: only audio tracks, it is audio. Anything unreadable in the head
(headers past it, a video track, garbage) keeps the video type.
"""

from __future__ import annotations

TRACK_BYTES = 4096  # MediaRecorder and phone recorders write their track headers before this

# EBML (WebM): the elements to descend into on the way to TrackType, and where media begins
_SEGMENT, _TRACKS, _TRACK_ENTRY = 0x18538067, 0x1654AE6B, 0xAE
_TRACK_TYPE, _CLUSTER = 0x83, 0x1F43B675
_EBML_AUDIO = 2
# ISO BMFF (MP4): the boxes holding each track's handler
_MP4_CONTAINERS = {b"moov", b"trak", b"mdia"}
_AUDIO_BRANDS = {b"M4A ", b"M4B "}


def refine(content_type: str, head: bytes) -> str:
    """audio/webm or audio/mp4 for a head whose every declared track is audio, else as given."""
    if content_type == "video/webm" and _only_audio(_webm_track_types(head), {_EBML_AUDIO}):
        return "audio/webm"
    if content_type == "video/mp4" and (
        head[8:12] in _AUDIO_BRANDS or _only_audio(_mp4_handlers(head), {b"soun"})
    ):
        return "audio/mp4"
    return content_type


def _only_audio(found: set[int] | set[bytes], audio: set[int] | set[bytes]) -> bool:
    return bool(found) and found <= audio


def _vint(data: bytes, pos: int, keep_marker: bool) -> tuple[int | None, int] | None:
    """An EBML variable-length integer at pos: (value, next pos); value None for 'unknown'."""
    if pos >= len(data) or data[pos] == 0:
        return None
    length = 8 - data[pos].bit_length() + 1
    if pos + length > len(data):
        return None
    value = int.from_bytes(data[pos : pos + length], "big")
    if keep_marker:
        return value, pos + length
    value &= (1 << (7 * length)) - 1
    return (None if value == (1 << (7 * length)) - 1 else value), pos + length


def _webm_track_types(data: bytes) -> set[int]:
    """TrackType of every TrackEntry before the first Cluster, as far as the head goes."""
    types: set[int] = set()
    pos = 0
    while element := _vint(data, pos, keep_marker=True):
        size = _vint(data, element[1], keep_marker=False)
        if size is None:
            break
        element_id, (length, pos) = element[0], size
        if element_id == _CLUSTER:
            break
        if element_id in (_SEGMENT, _TRACKS, _TRACK_ENTRY):
            continue  # descend: its children follow
        if length is None:
            break  # an unknown-size element that is not a container: cannot step over it
        if element_id == _TRACK_TYPE:
            types.add(int.from_bytes(data[pos : pos + length], "big"))
        pos += length
    return types


def _mp4_handlers(data: bytes) -> set[bytes]:
    """The handler type ('soun', 'vide', ...) of every track whose header is in the head."""
    handlers: set[bytes] = set()
    pos = 0
    while pos + 8 <= len(data):
        size, kind = int.from_bytes(data[pos : pos + 4], "big"), data[pos + 4 : pos + 8]
        if kind in _MP4_CONTAINERS:
            pos += 8  # descend
            continue
        if kind == b"hdlr" and pos + 20 <= len(data):
            handlers.add(data[pos + 16 : pos + 20])  # after version/flags and pre_defined
        if kind == b"mdat" or size < 8:
            break  # media data, or a size of 0/1 (to the end, 64-bit): no headers follow here
        pos += size
    return handlers
