"""Live video inside a recorder room: a listener sees the camera that is being recorded.

An SOS raiser may publish the rear camera with the microphone; the commander who listens live
offers a receive-only video m-line too. The recording reads the one recorded video track
(``Recording.seen``) and each packet is handed on to every listener's outgoing ``SlotTrack``
(media.worker.video: aiortc re-packetises the encoded frames, nothing is transcoded). A
listener that joins, and every listener when the camera changes, asks the camera for a key
frame (PLI) so the picture starts at once rather than at the phone's next key frame.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiortc import MediaStreamTrack

from media.worker.rooms import Peer
from media.worker.video import SlotTrack, Source


class LiveVideo:
    def __init__(self) -> None:
        self.slots: dict[str, SlotTrack] = {}  # listener -> the track that shows the camera
        self.camera: Source | None = None
        self.packets = 0  # handed on to listeners (stats)
        self._requests: set[asyncio.Task[None]] = set()

    def add(self, peer: Peer) -> None:
        """Show the camera on the listener's first video m-line, if its offer has one."""
        for transceiver in peer.pc.getTransceivers():
            if transceiver.kind == "video" and transceiver.sender.track is None:
                slot = SlotTrack(transceiver.mid)
                peer.pc.addTrack(slot)
                self.slots[peer.id] = slot
                self.key_frame()
                return

    def remove(self, peer_id: str) -> None:
        slot = self.slots.pop(peer_id, None)
        if slot is not None:
            slot.stop()
        if self.camera is not None and self.camera.peer.id == peer_id:
            self.camera = None

    def recorded(self, peer: Peer, track: MediaStreamTrack) -> None:
        """The room records this peer's camera now."""
        self.camera = Source(peer, track)
        self.key_frame()

    def seen(self, packet: Any) -> None:
        """A picture of the recorded camera (an encoded packet, or a decoded frame)."""
        for slot in self.slots.values():
            slot.push(packet)
        self.packets += len(self.slots)

    def key_frame(self) -> None:
        if self.camera is None or not self.slots:
            return
        task = asyncio.create_task(self.camera.key_frame())
        self._requests.add(task)
        task.add_done_callback(self._requests.discard)

    def close(self) -> None:
        for peer_id in list(self.slots):
            self.remove(peer_id)
        for task in self._requests:
            task.cancel()
