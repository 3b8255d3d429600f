"""The worker's extension point: room kinds (and taps on mixed rooms).

A *room* lives on one worker and holds *peers* (one RTCPeerConnection each). The worker owns
the peer connections and the SDP exchange; a room kind decides what flows between them:

1. ``room.open`` builds ``Kind(ctx)`` and awaits ``start()``.
2. ``peer.join`` creates the peer connection, applies the client's offer, then awaits
   ``attach(peer)``: the room reads ``peer.inbound(...)`` tracks and adds outgoing tracks
   with ``peer.pc.addTrack`` (they fill the transceivers the offer created). The worker then
   answers (full ICE gathering; aiortc has no trickle).
3. ``peer.leave`` (or the connection failing) awaits ``detach(peer_id)``, then closes the pc.
4. ``room.control`` calls ``control(action, args)``: the kind's own commands (e.g. ``mute``).
5. ``room.close`` awaits ``close()`` after every peer was detached.

A kind reports to the hub with ``ctx.emit(name, data)`` (arrives as the ``room`` event) and
must keep per-frame work cheap: everything runs on the worker's one event loop.

New kinds register in a module named in ``registry.EXTENSIONS`` with a ``register(registry)``
function (``registry.room_kind(MyRoom)``, ``registry.tap("record", factory)``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

import numpy as np
import numpy.typing as npt
from aiortc import MediaStreamTrack, RTCPeerConnection

from media.protocol import ControlError

PCM = npt.NDArray[np.int16]
SAMPLE_RATE = 48_000
FRAME_SAMPLES = 960  # 20 ms


@dataclass(frozen=True, slots=True)
class WorkerLimits:
    """Worker-wide settings a room kind may read."""

    max_mixed: int = 3
    max_video: int = 4


@dataclass(slots=True)
class Peer:
    """One participant's connection on this worker."""

    id: str
    pc: RTCPeerConnection
    options: dict[str, Any] = field(default_factory=dict)

    def inbound(self, kind: str) -> list[MediaStreamTrack]:
        """The tracks the client sends of `kind` ("audio" or "video"), in m-line order.

        An m-line the client only receives on (its offer says `recvonly`) has no track here."""
        return [
            t.receiver.track
            for t in self.pc.getTransceivers()
            if t.kind == kind
            and t.direction in ("sendrecv", "recvonly")
            and t.receiver.track is not None
        ]

    def receiver_of(self, track: MediaStreamTrack) -> Any:
        for transceiver in self.pc.getTransceivers():
            if transceiver.receiver.track is track:
                return transceiver.receiver
        return None


@dataclass(slots=True)
class RoomContext:
    room_id: str
    kind: str
    options: dict[str, Any]
    limits: WorkerLimits
    emit: Callable[[str, dict[str, Any]], None]
    taps: dict[str, TapFactory]


class Room(ABC):
    """A room kind. Subclasses set ``kind`` and implement attach/detach."""

    kind: ClassVar[str]

    def __init__(self, ctx: RoomContext) -> None:
        self.ctx = ctx
        self.peers: dict[str, Peer] = {}

    @property
    def participants(self) -> int:
        return len(self.peers)

    async def start(self) -> None:  # noqa: B027  (optional hook)
        """Called once after construction (start tickers, open taps)."""

    @abstractmethod
    async def attach(self, peer: Peer) -> None:
        """Wire a new peer (remote offer applied, answer not yet created)."""

    @abstractmethod
    async def detach(self, peer_id: str) -> None:
        """Unwire a peer; its connection is closed by the worker afterwards."""

    async def control(self, action: str, args: dict[str, Any]) -> dict[str, Any]:
        raise ControlError("room.unknown_action", f"{self.kind} rooms have no action {action!r}")

    async def close(self) -> None:  # noqa: B027  (optional hook)
        """Stop tickers and taps; peers are already detached."""


class MixTap(Protocol):
    """Receives the full mix of a mixed room (e.g. a recorder): 20 ms of 48 kHz mono s16.

    ``write`` runs on the worker's event loop once per tick: hand the work to a thread.
    """

    def write(self, pcm: PCM, pts: int) -> None: ...

    async def close(self) -> None: ...


TapFactory = Callable[[RoomContext, dict[str, Any]], Awaitable[MixTap]]
