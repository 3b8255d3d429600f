"""The plain WebSocket devices connect to (`/ws/device`): see docs/device-protocol.md."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from aiohttp import WSMessage, WSMsgType, web

from hub.sdk import client_address
from plugins.alarms import protocol
from plugins.alarms.ingest import DeviceStream, Ingest, RateLimited
from plugins.alarms.protocol import FrameError
from plugins.alarms.state import DeviceInfo

log = logging.getLogger("gridhub.plugin.alarms.ws")
DATA = (WSMsgType.TEXT, WSMsgType.BINARY)
REFUSED_BY_TRANSPORT = {protocol.CLOSE_TOO_BIG: "frame.too_large", 1007: "frame.malformed"}


class DeviceSocket:
    """One device connection: authenticate, then frames in and cumulative acks out."""

    __slots__ = ("binary", "ingest", "peer", "stream", "ws")

    def __init__(self, ingest: Ingest, ws: web.WebSocketResponse, peer: str | None) -> None:
        self.ingest, self.ws, self.peer = ingest, ws, peer
        self.binary = False
        self.stream: DeviceStream | None = None

    async def serve(self) -> None:
        device = await self._authenticate()
        if device is None:
            return
        self.stream = await self.ingest.open(device, self._send_ack, self._close)
        try:
            await self._send(self._welcome(device, self.stream.durable_seq))
            async for msg in self.ws:
                if msg.type not in DATA:
                    self._transport_error(msg)
                    break
                if not await self._frame(msg.data):
                    break
        finally:
            self.ingest.close(self.stream)

    async def _authenticate(self) -> DeviceInfo | None:
        try:
            msg = await self.ws.receive(timeout=self.ingest.config.auth_timeout_s)
        except TimeoutError:
            await self._close(protocol.CLOSE_AUTH_TIMEOUT, "auth.timeout")
            return None
        if msg.type not in DATA:
            self._transport_error(msg)
            return None
        self.binary = msg.type is WSMsgType.BINARY
        try:
            auth = protocol.parse_auth(protocol.decode(msg.data, self.ingest.limits))
        except FrameError as exc:
            await self._refuse(exc, protocol.CLOSE_PROTOCOL)
            return None
        device = await self.ingest.authenticate(auth.device, auth.key)
        if device is None:
            await self._close(protocol.CLOSE_AUTH_FAILED, "auth.failed")
        return device

    def _welcome(self, device: DeviceInfo, acked: int) -> dict[str, Any]:
        config = self.ingest.config
        return {
            "type": "welcome",
            "device": device.code,
            "acked": acked,
            "server_time": time.time(),
            "heartbeat_s": config.heartbeat_s,
            "max_frame_bytes": config.max_frame_bytes,
            "max_batch": config.max_batch,
            "rate_per_s": config.rate_per_s,
        }

    async def _frame(self, data: str | bytes) -> bool:
        """Handle one message; False when the connection must end."""
        assert self.stream is not None
        try:
            raw = protocol.decode(data, self.ingest.limits)
        except FrameError as exc:  # undecodable: the connection is not worth keeping
            await self._refuse(exc, protocol.CLOSE_MALFORMED)
            return False
        try:
            self.stream.receive(raw)
        except FrameError as exc:
            if self.stream.bad_frame(exc):
                await self._close(protocol.CLOSE_TOO_MANY_INVALID, "frame.too_many_invalid")
                return False
            await self._send(
                {"type": "error", "code": exc.code, "message": exc.message, "seq": exc.seq}
            )
        except RateLimited:
            await self._close(protocol.CLOSE_RATE_LIMITED, "rate.exceeded")
            return False
        return True

    async def _send(self, message: dict[str, Any]) -> None:
        if self.ws.closed:
            return
        encoded = protocol.encode(message, self.binary)
        if isinstance(encoded, bytes):
            await self.ws.send_bytes(encoded)
        else:
            await self.ws.send_str(encoded)

    async def _send_ack(self, seq: int) -> None:
        await self._send({"type": "ack", "seq": seq})

    async def _refuse(self, error: FrameError, otherwise: int) -> None:
        """Close for a frame that cannot be taken (one log line, no traceback): decoding
        failures with their standard code (1007/1008/1009), anything else with `otherwise`."""
        code = protocol.DECODE_CLOSE.get(error.code, otherwise)
        device = self.stream.device.code if self.stream is not None else None
        log.warning(
            "device frame refused",
            extra={"peer": self.peer, "device": device, "code": error.code, "close": code},
        )
        await self._close(code, error.code)

    def _transport_error(self, msg: WSMessage) -> None:
        """aiohttp refused a message itself (above max_frame_bytes: 1009, text not UTF-8: 1007)
        and closed: one log line like ours."""
        if msg.type is WSMsgType.ERROR:
            code = self.ws.close_code
            reason = REFUSED_BY_TRANSPORT.get(code or 0, "connection.error")
            device = self.stream.device.code if self.stream is not None else None
            log.warning(
                "device frame refused",
                extra={"peer": self.peer, "device": device, "code": reason, "close": code},
            )

    async def _close(self, code: int, reason: str) -> None:
        if not self.ws.closed:
            await self.ws.close(code=code, message=reason.encode())


def handler(ingest: Ingest) -> Any:
    """The aiohttp handler for `/ws/device`."""

    async def handle(request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(
            max_msg_size=ingest.config.max_frame_bytes, compress=False, autoping=True
        )
        await ws.prepare(request)
        try:
            await DeviceSocket(ingest, ws, client_address(request)).serve()
        except (ConnectionError, asyncio.CancelledError):
            raise
        except Exception:
            log.exception("device connection failed")
        if not ws.closed:
            await ws.close()
        return ws

    return handle
