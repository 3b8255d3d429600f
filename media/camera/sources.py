"""Validation of camera sources: an RTSP URL, or a media file under a configured root."""

from __future__ import annotations

import asyncio
from pathlib import Path
from urllib.parse import urlsplit

import av

from hub.errors import InvalidInput

MAX_SOURCE = 1024
PROBE_TIMEOUT_S = 10.0


def check_rtsp(url: str) -> str:
    if len(url) > MAX_SOURCE or any(c.isspace() for c in url):
        raise InvalidInput("camera.source_invalid", "the URL is too long or has spaces")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise InvalidInput("camera.source_invalid", "the URL cannot be parsed") from None
    if parts.scheme not in ("rtsp", "rtsps") or not parts.hostname:
        raise InvalidInput("camera.source_invalid", "give an rtsp:// or rtsps:// URL with a host")
    if port == 0:
        raise InvalidInput("camera.source_invalid", "the URL's port is invalid")
    return url


async def check_file(source: str, roots: list[Path]) -> str:
    """The resolved path of a readable media file with video under one of `roots`."""
    if not Path(source).is_absolute() or len(source) > MAX_SOURCE:
        raise InvalidInput("camera.source_invalid", "give an absolute file path")
    try:
        return await asyncio.wait_for(
            asyncio.to_thread(_check, Path(source), roots), PROBE_TIMEOUT_S
        )
    except TimeoutError:
        raise InvalidInput("camera.source_unreadable", "the file could not be read") from None


def _check(path: Path, roots: list[Path]) -> str:
    resolved = path.resolve()
    if not any(resolved.is_relative_to(root) for root in roots):
        raise InvalidInput("camera.source_forbidden", "the file is outside the camera folders")
    if not resolved.is_file():
        raise InvalidInput("camera.source_missing", "no such file")
    try:
        with av.open(str(resolved)) as container:
            has_video = bool(container.streams.video)
    except av.FFmpegError:
        has_video = False
    if not has_video:
        raise InvalidInput("camera.source_unreadable", "the file is not a video PyAV can read")
    return str(resolved)
