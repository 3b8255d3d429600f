"""Decode received media on the event loop instead of one thread per receiver.

aiortc starts a decoder thread per RTCRtpReceiver and hands it every reassembled frame
through a ``queue.Queue``; each frame then costs two thread hand-overs (and GIL contention)
besides the decoding. With dozens of peers on one core that overhead is larger than the
Opus decoding itself, so the worker swaps the receiver module's ``threading``/``queue``
for shims: the "thread" never runs, and the "queue" decodes each frame as it is put (the
put happens on the event loop, in ``RTCRtpReceiver._handle_rtp_packet``) and hands the
result straight to the track. Decoder errors are reported the way aiortc's thread does.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import types
from typing import Any

import av
from aiortc import rtcrtpreceiver

log = logging.getLogger("gridhub.media.inline")


class InlineQueue:
    """Stands in for the receiver's decoder queue: decodes on ``put``."""

    def __init__(self) -> None:
        self.output: asyncio.Queue[Any] | None = None
        self.error: threading.Event | None = None
        self.decoder: Any = None
        self.codec_name: str | None = None

    def put(self, task: Any) -> None:
        if self.output is None:
            return
        if task is None:
            self.output.put_nowait(None)
            return
        codec, encoded_frame = task
        if codec.name != self.codec_name:
            self.decoder = getattr(rtcrtpreceiver, "get_decoder")(codec)  # noqa: B009
            self.codec_name = codec.name
        try:
            frames = self.decoder.decode(encoded_frame)
        except av.FFmpegError as exc:
            log.debug("decode failed: %s", exc)
            if self.error is not None:
                self.error.set()
            return
        for frame in frames:
            self.output.put_nowait(frame)


class InlineThread:
    """Stands in for the decoder thread: wires the queue to the track and does nothing."""

    def __init__(self, target: Any = None, name: str = "", args: tuple[Any, ...] = ()) -> None:
        self.args = args

    def start(self) -> None:
        _loop, inbox, output, error = self.args
        if isinstance(inbox, InlineQueue):
            inbox.output, inbox.error = output, error

    def join(self, timeout: float | None = None) -> None:
        return None


def decode_inline() -> None:
    """Make every RTCRtpReceiver of this process decode on the event loop."""
    threads = types.SimpleNamespace(Thread=InlineThread, Event=threading.Event)
    queues = types.SimpleNamespace(Queue=InlineQueue, Empty=queue.Empty)
    setattr(rtcrtpreceiver, "threading", threads)  # noqa: B010
    setattr(rtcrtpreceiver, "queue", queues)  # noqa: B010
