"""The optional MQTT bridge: frames from a broker into the same ingestion path as WebSockets.

A device publishes the frames of docs/device-protocol.md (JSON or msgpack, no auth frame: the
broker authenticates devices and its ACL lets each publish only to its own topic) to
`<prefix>/<code>/up` with QoS 1, and reads `ack`, `welcome` and `error` messages from
`<prefix>/<code>/down`. Acks are cumulative and sent only once frames are durable, exactly as
on the WebSocket; a `{"type": "hello"}` asks for a `welcome` carrying the last acked seq.

One message can never end the bridge: whatever handling it raises is logged and answered with
an `error`, and the next message is handled. A lost broker (or any failure of a session) is
followed by a reconnect, with backoff, forever; the watchdog (watchdog.py) tells /healthz and
/metrics how the bridge is doing.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiomqtt

from plugins.alarms import protocol
from plugins.alarms.config import MqttConfig
from plugins.alarms.ingest import DeviceStream, Ingest, RateLimited
from plugins.alarms.protocol import FrameError
from plugins.alarms.watchdog import BridgeWatch

log = logging.getLogger("gridhub.plugin.alarms.mqtt")
INTERNAL = {"type": "error", "code": "internal.error", "message": "not handled; resend later"}


class MqttBridge:
    def __init__(self, ingest: Ingest, config: MqttConfig, watch: BridgeWatch) -> None:
        self._ingest, self._config, self.watch = ingest, config, watch
        self._streams: dict[str, DeviceStream] = {}
        self.connected = asyncio.Event()

    async def run(self) -> None:
        """Stay subscribed: after a lost connection, try again after reconnect_s, doubling
        the wait on every failed try up to reconnect_max_s (back to reconnect_s once in)."""
        delay = self._config.reconnect_s
        while True:
            try:
                await self._session()
            except aiomqtt.MqttError as exc:
                log.warning("mqtt bridge disconnected", extra={"error": str(exc)})
                self.watch.down(f"MqttError: {exc}")
            except Exception as exc:  # a bug in a session must not end the bridge either
                log.exception("mqtt bridge session failed")
                self.watch.down(type(exc).__name__)
            self._forget_streams()
            if self.connected.is_set():
                delay = self._config.reconnect_s
            self.connected.clear()
            await asyncio.sleep(delay)
            delay = min(delay * 2, self._config.reconnect_max_s)

    async def _session(self) -> None:
        c = self._config
        async with aiomqtt.Client(
            c.host, c.port, username=c.username, password=c.password, identifier=c.client_id
        ) as client:
            await client.subscribe(f"{c.topic_prefix}/+/up", qos=1)
            self.connected.set()
            self.watch.up()
            log.info("mqtt bridge connected", extra={"broker": f"{c.host}:{c.port}"})
            async for message in client.messages:
                await self._message(client, message)
        self.watch.down("the broker ended the session")

    def _forget_streams(self) -> None:
        """The device streams of a lost session (a new session opens them again)."""
        for stream in self._streams.values():
            self._ingest.close(stream)
        self._streams.clear()

    async def _message(self, client: aiomqtt.Client, message: aiomqtt.Message) -> None:
        """Handle one message; only a broken broker connection (MqttError) gets out."""
        self.watch.message()
        parts = message.topic.value.rsplit("/", 2)
        payload = message.payload
        if len(parts) != 3 or not isinstance(payload, bytes | bytearray):
            return
        code, data = parts[1], bytes(payload)
        reply = _Replier(client, f"{self._config.topic_prefix}/{code}/down", data)
        try:
            await self._take(code, data, reply)
        except FrameError as exc:
            self._refused(code, exc.code)
            await reply.send({"type": "error", "code": exc.code, "message": exc.message})
        except RateLimited:
            self._refused(code, "rate.exceeded")
            await reply.send({"type": "error", "code": "rate.exceeded", "message": "slow down"})
        except aiomqtt.MqttError:
            raise
        except Exception as exc:
            self.watch.failed(type(exc).__name__)
            log.exception("mqtt message failed", extra={"device": code[:64]})
            await reply.send(INTERNAL)

    async def _take(self, code: str, data: bytes, reply: _Replier) -> None:
        stream = await self._stream(code, reply)
        if stream is None:
            return  # unknown or disabled: ignored, unanswered (the broker should not let it in)
        raw = protocol.decode_payload(data, self._ingest.limits)
        if isinstance(raw, dict) and raw.get("type") == "hello":
            await reply.send({"type": "welcome", "device": code, "acked": stream.durable_seq})
            return
        stream.receive(raw)

    def _refused(self, code: str, reason: str) -> None:
        self.watch.failed(reason)
        log.warning("mqtt frame refused", extra={"device": code[:64], "code": reason})

    async def _stream(self, code: str, reply: _Replier) -> DeviceStream | None:
        stream = self._streams.get(code)
        if stream is not None:
            return stream
        device = await self._ingest.active_device(code)
        if device is None:
            return None

        async def close(code_: int, reason: str) -> None:
            self._streams.pop(code, None)
            await reply.send_quietly({"type": "error", "code": reason, "message": "resend unacked"})

        stream = await self._ingest.open(device, reply.ack, close)
        self._streams[code] = stream
        return stream


class _Replier:
    """Answers to one device, in the encoding of the message being answered."""

    __slots__ = ("binary", "client", "topic")

    def __init__(self, client: aiomqtt.Client, topic: str, data: bytes) -> None:
        self.client, self.topic = client, topic
        self.binary = protocol.is_msgpack(data)

    async def send(self, message: dict[str, Any]) -> None:
        encoded = protocol.encode(message, self.binary)
        payload = encoded if isinstance(encoded, bytes) else encoded.encode()
        await self.client.publish(self.topic, payload, qos=1)

    async def send_quietly(self, message: dict[str, Any]) -> None:
        """Send from outside the message loop (e.g. a stream ended): a lost broker is the
        session's to notice, not this caller's."""
        try:
            await self.send(message)
        except aiomqtt.MqttError as exc:
            log.info("mqtt reply not sent", extra={"topic": self.topic, "error": str(exc)})

    async def ack(self, seq: int) -> None:
        await self.send({"type": "ack", "seq": seq})
