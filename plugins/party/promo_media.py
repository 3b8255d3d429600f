"""Images and videos of promotion items: accepted by their bytes, served by byte ranges.

A phone's video player asks for ranges (it seeks, and iOS plays nothing a server will not
serve by range), so a video is answered 206 with the part asked for, read from the database
with substr() rather than loading the whole file for each range. One range per request: a
multi-range or malformed header is ignored (RFC 9110 allows it) and the whole file is sent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote

from aiohttp import web

from hub.sdk import SNIFF_BYTES, HubError, sniff

IMAGES = frozenset({"image/jpeg", "image/png", "image/webp", "image/gif"})
VIDEOS = frozenset({"video/mp4", "video/webm"})
MAX_IMAGE_BYTES = 10 * 1024 * 1024
MAX_VIDEO_BYTES = 50 * 1024 * 1024
RANGE = re.compile(r"bytes=(\d{0,15})-(\d{0,15})")


class RangeNotSatisfiable(HubError):
    status = 416

    def __init__(self, size: int) -> None:
        super().__init__("party.range", f"the file has {size} bytes")
        self.size = size

    def headers(self) -> dict[str, str]:
        return {"Content-Range": f"bytes */{self.size}"}


@dataclass(frozen=True, slots=True)
class MediaMeta:
    id: int
    name: str
    content_type: str
    size: int
    sha256: str


def media_type(data: bytes) -> str:
    """The content type the bytes prove (an image or a video within its size), else 415/413."""
    kind = sniff(data[:SNIFF_BYTES])
    if kind not in IMAGES and kind not in VIDEOS:
        raise HubError("party.media_type", "images (JPEG, PNG, WebP, GIF) or MP4/WebM", status=415)
    if kind in IMAGES and len(data) > MAX_IMAGE_BYTES:
        raise HubError("party.file_too_large", f"images up to {MAX_IMAGE_BYTES} bytes", status=413)
    return kind


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """(first, last) inclusive of a single satisfiable range; None for the whole file."""
    match = RANGE.fullmatch((header or "").strip())
    if match is None or match.groups() == ("", ""):
        return None
    first, last = match.groups()
    if not first:  # the last N bytes
        if int(last) == 0:
            raise RangeNotSatisfiable(size)
        return max(size - int(last), 0), size - 1
    start = int(first)
    if last and int(last) < start:
        return None  # not a valid range: ignored
    if start >= size:
        raise RangeNotSatisfiable(size)
    return start, min(int(last), size - 1) if last else size - 1


def media_response(
    meta: MediaMeta, data: bytes, part: tuple[int, int] | None, *, private: bool = False
) -> web.Response:
    """The bytes; a staff preview (`private`) is not kept by shared caches."""
    headers = {
        "Accept-Ranges": "bytes",
        "ETag": f'"{meta.sha256}"',
        "X-Content-Type-Options": "nosniff",
        "Content-Disposition": f"inline; filename*=UTF-8''{quote(meta.name, safe='')}",
        "Cache-Control": "private, no-store" if private else "public, max-age=300",
    }
    if part is not None:
        headers["Content-Range"] = f"bytes {part[0]}-{part[1]}/{meta.size}"
    return web.Response(
        body=data,
        status=206 if part is not None else 200,
        content_type=meta.content_type,
        headers=headers,
    )
