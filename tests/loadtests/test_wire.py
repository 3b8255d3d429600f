"""The hand-framed receiver (`loadtests/realtime/wire.py`) against a real hub on loopback.

The framing helpers are checked against RFC 6455's own example and by unmasking; the receiver
itself connects, answers the hub's pings (the hub closes a socket that does not), is refused
with a bad token, and closes.
"""

from __future__ import annotations

import asyncio
import struct

import pytest

from loadtests.realtime.lean import ConnectRefused
from loadtests.realtime.wire import (
    BINARY,
    accept_value,
    client_frame,
    event_args,
    open_wire_receiver,
    split_frames,
)
from tests.hub.conftest import StartHub, login


def test_accept_value_is_the_rfc_example() -> None:
    # RFC 6455 §1.3: this key is answered with this accept value.
    assert accept_value(b"dGhlIHNhbXBsZSBub25jZQ==") == b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo="


@pytest.mark.parametrize("size", [0, 1, 3, 4, 5, 125, 126, 127, 65535, 65536])
def test_client_frames_unmask_to_the_payload(size: int) -> None:
    payload = bytes(range(256)) * (size // 256 + 1)
    frame = client_frame(payload[:size], BINARY)
    head = 2 if size < 126 else 4 if size < 1 << 16 else 10
    assert frame[0] == 0x80 | BINARY  # final, binary
    assert frame[1] & 0x80  # masked
    mask, body = frame[head : head + 4], frame[head + 4 :]
    assert bytes(b ^ mask[i % 4] for i, b in enumerate(body)) == payload[:size]


def test_split_frames_keeps_a_partial_frame_for_the_next_chunk() -> None:
    def server_frame(payload: bytes) -> bytes:
        size = len(payload)
        head = (
            struct.pack("!BB", 0x81, size) if size < 126 else struct.pack("!BBH", 0x81, 126, size)
        )
        return head + payload

    stream = server_frame(b"42[1]") + server_frame(b"x" * 300) + server_frame(b"2")
    buf = bytearray(stream[:-2])  # the last frame cut short
    frames, used = split_frames(buf)
    assert frames == [(0x81, b"42[1]"), (0x81, b"x" * 300)]
    assert used == len(stream) - 3
    assert split_frames(bytearray(stream))[0][-1] == (0x81, b"2")


def test_event_args_reads_an_event_with_or_without_ack_id() -> None:
    assert event_args(b'42["channel.message",{"a":1}]') == ["channel.message", {"a": 1}]
    assert event_args(b'4217["x",2]') == ["x", 2]


async def test_receiver_connects_answers_pings_and_sees_the_end(start_hub: StartHub) -> None:
    hub = await start_hub(demo=False, realtime={"ping_interval_s": 0.2, "ping_timeout_s": 1})
    url = str(hub.client.make_url("")).rstrip("/")
    token = await login(hub.client, "admin", hub.admin_password)
    receiver = await open_wire_receiver(url, {"token": token})
    assert not receiver.closed
    await asyncio.wait_for(receiver.answered_pings(4), 30)  # after 1 s without pongs: closed
    assert not receiver.closed, receiver.close_reason
    await receiver.close()
    assert receiver.closed


async def test_a_refused_token_fails_the_connect(start_hub: StartHub) -> None:
    hub = await start_hub(demo=False)
    url = str(hub.client.make_url("")).rstrip("/")
    with pytest.raises(ConnectRefused):
        await open_wire_receiver(url, {"token": "not-a-token"})
