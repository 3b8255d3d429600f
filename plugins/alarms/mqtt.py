"""The optional MQTT bridge: frames from a broker into the same ingestion path as WebSockets.

A device publishes the frames of docs/device-protocol.md (JSON or msgpack, no auth frame: the
broker authenticates devices and its ACL lets each publish only to its own topic) to
`<prefix>/<code>/up` with QoS 1, and reads `ack`, `welcome` and `error` messages from
`<prefix>/<code>/down`. Acks are cumulative and sent only once frames are durable, exactly as
on the WebSocket; a `{"type": "hello"}` asks for a `welcome` carrying the last acked seq.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiomqtt
from sqlalchemy import select

from plugins.alarms import protocol
from plugins.alarms.config import MqttConfig
from plugins.alarms.ingest import DeviceStream, Ingest, RateLimited, device_info
from plugins.alarms.protocol import FrameError
from storage.models import Device

log = logging.getLogger("gridhub.plugin.alarms.mqtt")


class MqttBridge:
    def __init__(self, ingest: Ingest, config: MqttConfig) -> None:
        self._ingest, self._config = ingest, config
        self._streams: dict[str, DeviceStream] = {}
        self.connected = asyncio.Event()

    async def run(self) -> None:
        """Stay subscribed; reconnect after `reconnect_s` whenever the broker goes away."""
        while True:
            try:
                await self._session()
            except aiomqtt.MqttError as exc:
                log.warning("mqtt bridge disconnected", extra={"error": str(exc)})
            self.connected.clear()
            self._streams.clear()
            await asyncio.sleep(self._config.reconnect_s)

    async def _session(self) -> None:
        c = self._config
        async with aiomqtt.Client(
            c.host, c.port, username=c.username, password=c.password, identifier=c.client_id
        ) as client:
            await client.subscribe(f"{c.topic_prefix}/+/up", qos=1)
            self.connected.set()
            async for message in client.messages:
                await self._message(client, message)

    async def _message(self, client: aiomqtt.Client, message: aiomqtt.Message) -> None:
        parts = message.topic.value.rsplit("/", 2)
        payload = message.payload
        if len(parts) != 3 or not isinstance(payload, bytes | bytearray):
            return
        code, data = parts[1], bytes(payload)
        binary = not data.lstrip().startswith(b"{")
        reply = _Replier(client, f"{self._config.topic_prefix}/{code}/down", binary)
        try:
            raw = protocol.decode(data if binary else data.decode("utf-8", "replace"))
            stream = await self._stream(code, reply)
            if stream is None:
                return
            if isinstance(raw, dict) and raw.get("type") == "hello":
                await reply.send({"type": "welcome", "device": code, "acked": stream.durable_seq})
                return
            stream.receive(raw)
        except FrameError as exc:
            await reply.send({"type": "error", "code": exc.code, "message": exc.message})
        except RateLimited:
            await reply.send({"type": "error", "code": "rate.exceeded", "message": "slow down"})

    async def _stream(self, code: str, reply: _Replier) -> DeviceStream | None:
        stream = self._streams.get(code)
        if stream is not None:
            return stream
        async with self._ingest.sessions() as session:
            row = (await session.scalars(select(Device).where(Device.code == code))).first()
        if row is None or not row.is_active:
            return None  # unknown or disabled: ignored (the broker should not have let it in)

        async def close(code_: int, reason: str) -> None:
            self._streams.pop(code, None)
            await reply.send({"type": "error", "code": reason, "message": "resend unacked"})

        stream = await self._ingest.open(device_info(row), reply.ack, close)
        self._streams[code] = stream
        return stream


class _Replier:
    __slots__ = ("binary", "client", "topic")

    def __init__(self, client: aiomqtt.Client, topic: str, binary: bool) -> None:
        self.client, self.topic, self.binary = client, topic, binary

    async def send(self, message: dict[str, Any]) -> None:
        encoded = protocol.encode(message, self.binary)
        payload = encoded if isinstance(encoded, bytes) else encoded.encode()
        await self.client.publish(self.topic, payload, qos=1)

    async def ack(self, seq: int) -> None:
        await self.send({"type": "ack", "seq": seq})
