"""Clients of a hub under test: HTTP as a signed-in person, and a real Socket.IO client."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import Any

import aiohttp
import socketio

WAIT_S = 5.0
CSRF_COOKIE = "gridhub_csrf"  # the hub's double-submit cookie and header (docs/security.md)
CSRF_HEADER = "X-CSRF-Token"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class ReadResponse(aiohttp.ClientResponse):
    """A response whose body, once read in full, stays readable after the connection went
    back to the pool. HubClient reads every body and then leaves the `async with`, which
    releases the response; aiohttp's own read() then refuses with "Connection closed" even
    though the body is in memory (json() and text() skip that check, so only binary answers
    such as a PDF read through read() failed)."""

    async def read(self) -> bytes:
        if self._body is not None:
            return self._body
        return await super().read()


class HubClient:
    """HTTP to a hub as one person (or nobody): paths relative to the hub, the bearer token on
    every request, and, for a browser-like session (`cookie=True` at sign-in), the CSRF header
    from the hub's cookie on every unsafe request. Responses come back read: `await
    response.json()` or `await response.read()` after the client is closed still works."""

    def __init__(self, url: str, token: str | None = None, refresh_token: str | None = None):
        self.url = url
        self.token = token
        self.refresh_token = refresh_token
        jar = aiohttp.CookieJar(unsafe=True)  # the hub is on 127.0.0.1, an IP address
        self._http = aiohttp.ClientSession(
            base_url=url, cookie_jar=jar, response_class=ReadResponse
        )

    async def request(
        self, method: str, path: str, *, headers: Mapping[str, str] | None = None, **kwargs: Any
    ) -> aiohttp.ClientResponse:
        """Any request; `json=`, `params=`, `data=` as aiohttp takes them."""
        sent = {**self._auth_headers(method.upper()), **(headers or {})}
        async with self._http.request(method, path, headers=sent, **kwargs) as response:
            await response.read()
        return response

    def _auth_headers(self, method: str) -> dict[str, str]:
        sent = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        csrf = [c.value for c in self._http.cookie_jar if c.key == CSRF_COOKIE]
        if csrf and method in UNSAFE:
            sent[CSRF_HEADER] = csrf[0]
        return sent

    async def get(self, path: str, **kwargs: Any) -> aiohttp.ClientResponse:
        return await self.request("GET", path, **kwargs)

    async def post(self, path: str, **kwargs: Any) -> aiohttp.ClientResponse:
        return await self.request("POST", path, **kwargs)

    async def patch(self, path: str, **kwargs: Any) -> aiohttp.ClientResponse:
        return await self.request("PATCH", path, **kwargs)

    async def put(self, path: str, **kwargs: Any) -> aiohttp.ClientResponse:
        return await self.request("PUT", path, **kwargs)

    async def delete(self, path: str, **kwargs: Any) -> aiohttp.ClientResponse:
        return await self.request("DELETE", path, **kwargs)

    async def json(self, method: str, path: str, **kwargs: Any) -> Any:
        """The decoded body of a request that must succeed (2xx); None for 204."""
        response = await self.request(method, path, **kwargs)
        body = None if response.status == 204 else await response.json()
        assert response.status < 300, f"{method} {path}: {response.status} {body}"
        return body

    async def refused(self, method: str, path: str, **kwargs: Any) -> tuple[int, str]:
        """(status, stable error code) of a request that must be refused with a structured
        error."""
        response = await self.request(method, path, **kwargs)
        assert response.status >= 400, f"{method} {path} answered {response.status}"
        return response.status, await error_code(response)

    async def refresh(self) -> None:
        """New tokens: from the refresh token of the body, or the cookie (with the CSRF
        header) for a cookie session."""
        body = {"refresh_token": self.refresh_token} if self.refresh_token else {}
        tokens = await self.json("POST", "/api/v1/auth/refresh", json=body)
        self.token = tokens["access_token"]
        self.refresh_token = tokens.get("refresh_token")

    async def close(self) -> None:
        await self._http.close()


async def error_code(response: aiohttp.ClientResponse) -> str:
    """The stable code of a structured error response ({"error": {"code", "message"}})."""
    body = await response.json()
    code: str = body["error"]["code"]
    return code


async def sign_in(url: str, username: str, password: str, *, cookie: bool = False) -> HubClient:
    """A client signed in as `username` through POST /api/v1/auth/login (fails on anything
    but 200). `cookie=True` signs in as a browser does: refresh token in the HttpOnly cookie."""
    client = HubClient(url)
    try:
        body = {"username": username, "password": password, "cookie": cookie}
        tokens = await client.json("POST", "/api/v1/auth/login", json=body)
    except BaseException:
        await client.close()
        raise
    client.token = tokens["access_token"]
    client.refresh_token = tokens.get("refresh_token")
    return client


class SocketClient:
    """A real python-socketio client that queues every server event it receives.

    `call(event, data)` emits and waits for the hub's acknowledgement; `ok` insists on a good
    one; `next(event)` awaits a server event."""

    def __init__(self) -> None:
        self.sio = socketio.AsyncClient(reconnection=False)
        self.events: dict[str, asyncio.Queue[Any]] = {}
        self.sio.on("*", self._any)

    async def _any(self, event: str, data: Any = None) -> None:
        self.queue(event).put_nowait(data)

    def queue(self, event: str) -> asyncio.Queue[Any]:
        return self.events.setdefault(event, asyncio.Queue())

    async def connect(self, url: str, token: str | None) -> None:
        auth = {"token": token} if token is not None else None
        await self.sio.connect(url, auth=auth, transports=["websocket"], wait_timeout=WAIT_S)

    async def next(
        self, event: str, match: Callable[[Any], bool] | None = None, wait: float = WAIT_S
    ) -> Any:
        """The next `event` (whose payload satisfies `match`, if given) within `wait` seconds."""

        async def first() -> Any:
            while True:
                data = await self.queue(event).get()
                if match is None or match(data):
                    return data

        return await asyncio.wait_for(first(), wait)

    def drain(self, event: str) -> list[Any]:
        """Everything of `event` received so far, removed from the queue."""
        queue, items = self.queue(event), []
        while not queue.empty():
            items.append(queue.get_nowait())
        return items

    async def call(self, event: str, data: Any = None) -> dict[str, Any]:
        """Emit `event` and return the hub's acknowledgement ({"ok": ..., ...})."""
        reply: dict[str, Any] = await self.sio.call(event, data, timeout=WAIT_S)
        return reply

    async def ok(self, event: str, data: Any = None) -> dict[str, Any]:
        """Call and insist on success."""
        reply = await self.call(event, data)
        assert reply["ok"] is True, reply
        return reply

    async def close(self) -> None:
        if self.sio.connected:
            await self.sio.disconnect()
