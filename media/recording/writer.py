"""Files of a recording: a wall-clock audio mixer and the PyAV muxer (Opus in Ogg, VP8 in WebM).

Runs in the media worker process. Audio from every publisher is summed onto one timeline that
advances with the wall clock, so the file lasts as long as the room did: gaps (nobody sending,
packets lost) become silence instead of shortening the file.
"""

from __future__ import annotations

import fractions
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av
import numpy as np
import numpy.typing as npt
from av.audio.frame import AudioFrame
from av.video.frame import VideoFrame

RATE = 48_000
BLOCK = 960  # 20 ms at 48 kHz: one Opus frame
MAX_AHEAD_S = 5.0  # samples further ahead of the output than this are dropped
VIDEO_TIME_BASE = fractions.Fraction(1, 1000)

Samples = npt.NDArray[np.int16]


@dataclass(frozen=True, slots=True)
class Format:
    container: str
    codec: str
    content_type: str
    suffix: str


AUDIO = Format("ogg", "opus", "audio/ogg", ".ogg")
VIDEO = Format("webm", "vp8+opus", "video/webm", ".webm")


@dataclass(frozen=True, slots=True)
class FileFacts:
    """What the metadata row records about a finished file."""

    size: int
    sha256: str
    duration_s: float


class Timeline:
    """Mixes sources onto one 48 kHz mono timeline that starts at `t0` (seconds, any clock)."""

    def __init__(self, t0: float, delay_s: float = 0.3) -> None:
        self.t0, self.delay = t0, int(delay_s * RATE)
        self.out = 0  # samples emitted so far
        self._acc: npt.NDArray[np.int32] = np.zeros(0, np.int32)  # from `out` onwards
        self._next: dict[str, int] = {}  # where each source's next sample goes

    def push(self, source: str, samples: Samples, now: float) -> None:
        """Place a source's samples right after its previous ones, or at `now` after a gap."""
        due = int((now - self.t0) * RATE) - len(samples)
        pos = self._next.get(source, due)
        if pos < due - self.delay:  # the source fell silent or lost packets: re-anchor
            pos = due
        pos = max(pos, self.out)
        self._next[source] = pos + len(samples)
        self._add(pos - self.out, samples)

    def pull(self, now: float) -> list[Samples]:
        """Every whole block that is at least the jitter delay old."""
        ready = int((now - self.t0) * RATE) - self.delay
        return self._take(ready)

    def drain(self, now: float) -> list[Samples]:
        """Everything up to `now` (the end), padded with silence to whole blocks."""
        end = int((now - self.t0) * RATE)
        end += -end % BLOCK
        return self._take(end)

    def _add(self, offset: int, samples: Samples) -> None:
        end = min(offset + len(samples), int(MAX_AHEAD_S * RATE))
        if end <= offset:
            return
        if len(self._acc) < end:
            self._acc = np.concatenate([self._acc, np.zeros(end - len(self._acc), np.int32)])
        self._acc[offset:end] += samples[: end - offset]

    def _take(self, until: int) -> list[Samples]:
        blocks: list[Samples] = []
        while self.out + BLOCK <= until:
            chunk = self._acc[:BLOCK]
            if len(chunk) < BLOCK:
                chunk = np.concatenate([chunk, np.zeros(BLOCK - len(chunk), np.int32)])
            blocks.append(np.clip(chunk, -32768, 32767).astype(np.int16))
            self._acc = self._acc[BLOCK:]
            self.out += BLOCK
        return blocks


class Mono:
    """Converts any decoded audio frame to 48 kHz mono s16 samples."""

    def __init__(self) -> None:
        self._resampler = av.AudioResampler(format="s16", layout="mono", rate=RATE)

    def __call__(self, frame: AudioFrame) -> Samples:
        out = [f.to_ndarray().reshape(-1) for f in self._resampler.resample(frame)]
        return np.concatenate(out).astype(np.int16) if out else np.zeros(0, np.int16)


class MediaFile:
    """An open recording file: Opus audio, and VP8 video of `video_size` when given.

    Streams must exist before the first packet is written, so the picture size is fixed up
    front; every picture is scaled to it.
    """

    def __init__(self, path: Path, video_size: tuple[int, int] | None = None) -> None:
        self.path, self.format = path, AUDIO if video_size is None else VIDEO
        path.parent.mkdir(parents=True, exist_ok=True)
        self._out: Any = av.open(str(path), mode="w", format=self.format.container)
        self._audio: Any = self._out.add_stream("libopus", rate=RATE, layout="mono")
        self._video: Any = None if video_size is None else self._video_stream(video_size)
        self._written = 0
        self._last_video_pts = -1

    def write_audio(self, block: Samples) -> None:
        frame = AudioFrame.from_ndarray(block.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate, frame.pts = RATE, self._written
        frame.time_base = fractions.Fraction(1, RATE)
        self._written += len(block)
        self._mux(self._audio.encode(frame))

    def write_video(self, frame: VideoFrame, at_s: float) -> None:
        """A decoded picture shown `at_s` seconds after the start (ignored for audio files)."""
        pts = int(at_s * 1000)
        if self._video is None or pts <= self._last_video_pts:
            return
        stream = self._video
        out = frame.reformat(width=stream.width, height=stream.height, format="yuv420p")
        out.pts, out.time_base = pts, VIDEO_TIME_BASE
        self._last_video_pts = pts
        self._mux(stream.encode(out))

    def close(self) -> FileFacts:
        self._mux(self._audio.encode(None))
        if self._video is not None:
            self._mux(self._video.encode(None))
        self._out.close()
        return FileFacts(self.path.stat().st_size, sha256_of(self.path), self._written / RATE)

    def _video_stream(self, size: tuple[int, int]) -> Any:
        stream = self._out.add_stream("libvpx", rate=30)
        stream.width, stream.height = size[0] - size[0] % 2, size[1] - size[1] % 2
        stream.pix_fmt = "yuv420p"
        stream.bit_rate = 600_000
        stream.options = {"deadline": "realtime", "cpu-used": "8"}
        stream.time_base = VIDEO_TIME_BASE
        stream.codec_context.time_base = VIDEO_TIME_BASE
        return stream

    def _mux(self, packets: Any) -> None:
        for packet in packets:
            self._out.mux(packet)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def file_facts(path: Path) -> FileFacts | None:
    """Size, sha256 and duration of a finished file; None when it is missing or unreadable."""
    if not path.is_file():
        return None
    try:
        with av.open(str(path), mode="r") as container:
            duration = (container.duration or 0) / 1_000_000
    except av.FFmpegError:
        return None
    return FileFacts(path.stat().st_size, sha256_of(path), duration)
