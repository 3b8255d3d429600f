"""Hub side of the control channel: one authenticated WebSocket to one media worker."""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Callable
from typing import Any

import aiohttp

from media.protocol import ControlError, pack, unpack

log = logging.getLogger("gridhub.media.client")
REQUEST_TIMEOUT_S = 20.0
EventHandler = Callable[[str, dict[str, Any]], None]


class WorkerClient:
    """Requests with replies matched by id; events go to `on_event`; `closed` when lost."""

    def __init__(self, url: str, secret: str, on_event: EventHandler) -> None:
        self.url, self._secret, self.on_event = url, secret, on_event
        self.info: dict[str, Any] = {}
        self.closed = asyncio.Event()
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._session: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._reader: asyncio.Task[None] | None = None

    async def connect(self) -> dict[str, Any]:
        self._session = aiohttp.ClientSession()
        headers = {"Authorization": f"Bearer {self._secret}"}
        try:
            self._ws = await self._session.ws_connect(
                self.url, headers=headers, heartbeat=10.0, max_msg_size=1 << 20
            )
        except Exception:
            await self._session.close()
            raise
        self._reader = asyncio.create_task(self._read(), name=f"media-client:{self.url}")
        self.info = await self.request("hello")
        return self.info

    async def request(self, op: str, args: dict[str, Any] | None = None) -> dict[str, Any]:
        if self._ws is None or self.closed.is_set():
            raise ControlError("media.worker_down", "the media worker is not connected")
        request_id = next(self._ids)
        future = asyncio.get_running_loop().create_future()
        self._pending[request_id] = future
        try:
            await self._ws.send_bytes(pack({"id": request_id, "op": op, "args": args or {}}))
            reply = await asyncio.wait_for(future, REQUEST_TIMEOUT_S)
        except (TimeoutError, ConnectionError) as exc:
            message = f"media worker did not answer: {exc!r}"
            raise ControlError("media.worker_timeout", message) from None
        finally:
            self._pending.pop(request_id, None)
        if not reply.get("ok"):
            error = reply.get("error") or {}
            raise ControlError(str(error.get("code")), str(error.get("message")))
        result: dict[str, Any] = reply.get("result") or {}
        return result

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            await asyncio.gather(self._reader, return_exceptions=True)
        if self._session is not None:
            await self._session.close()
        self.closed.set()

    async def _read(self) -> None:
        assert self._ws is not None
        try:
            async for message in self._ws:
                if message.type is not aiohttp.WSMsgType.BINARY:
                    break
                self._deliver(unpack(message.data))
        except Exception:
            log.exception("media control channel failed", extra={"url": self.url})
        finally:
            self.closed.set()
            lost = ControlError("media.worker_down", "the media worker connection was lost")
            for future in self._pending.values():
                if not future.done():
                    future.set_exception(lost)

    def _deliver(self, message: dict[str, Any]) -> None:
        if "event" in message:
            try:
                self.on_event(str(message["event"]), dict(message.get("data") or {}))
            except Exception:
                log.exception("media event handler failed")
            return
        future = self._pending.get(message.get("id", -1))
        if future is not None and not future.done():
            future.set_result(message)
