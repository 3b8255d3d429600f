"""Socket.IO real-time core: authenticated connections, rooms by scope, acked events, presence."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import sys
import time
from collections.abc import Awaitable, Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

import socketio
from aiohttp import web
from pydantic import BaseModel, ValidationError

from hub import audit, netaddr, policy
from hub.access import COMMAND_ROLES, Grant, Principal
from hub.contracts import PresenceChange, PresenceStore
from hub.errors import HubError, Unauthorized, invalid_from_pydantic
from hub.fanout import FanoutManager
from hub.grid import GridIndex
from hub.identity import Identity
from hub.lean_sockets import LeanServer
from hub.presence import PresenceStates, Snapshot, snapshot_of
from hub.settings import RealtimeSettings
from hub.socket_packets import HubPacket, answer_refused

log = logging.getLogger("gridhub.realtime")
P = TypeVar("P", bound=BaseModel)
EventHandler = Callable[["Connection", Any], Awaitable[dict[str, Any] | None]]
# May this socket stay in this room, given its person's grants now?
RoomCheck = Callable[["Connection", str], Awaitable[bool]]
RoomRevoked = Callable[["Connection", str], Awaitable[None]]
# Current grants of active people; the disabled and the deleted are left out.
GrantLoader = Callable[[Collection[int]], Awaitable[Mapping[int, tuple[Grant, ...]]]]
SCOPE_ROOMS = frozenset({"user", "cc"})  # computed from the grants by scope_rooms
EXPIRY_CHECK_S = 1.0  # how often sockets are checked for an access token that ran out


@dataclass(slots=True)
class Connection:
    """One socket of a signed-in person (kept small: there are tens of thousands)."""

    sid: str
    principal: Principal
    expires_at: float
    touched_at: float = 0.0  # last activity written to presence
    address: str | None = None  # the client's (hub.netaddr), for the audit of its actions


# Room names are interned: thousands of sockets share one string per room.
def user_room(person_id: int) -> str:
    return sys.intern(f"user:{person_id}")


def command_room(grid_id: int) -> str:
    """The command-centre room of a grid: commanders and dispatchers seated there."""
    return sys.intern(f"cc:{grid_id}")


def scope_rooms(who: Principal, index: GridIndex) -> set[str]:
    rooms = {user_room(who.person_id)}
    seats = who.grid_ids(COMMAND_ROLES)
    if who.is_admin:
        seats |= {r.id for r in index.roots()}
    rooms |= {command_room(g) for g in seats if g in index}
    return rooms


def room_kind(room: str) -> str:
    """The part of a room name before the first colon: `channel` of `channel:7`."""
    return room.partition(":")[0]


@dataclass(frozen=True, slots=True)
class RoomGuard:
    """Re-checks membership of one kind of room when a person's grants change."""

    allows: RoomCheck
    revoked: RoomRevoked | None = None  # told after the socket was taken out


def covering_command_rooms(grid_ids: Iterable[int], index: GridIndex) -> list[str]:
    """Every command-centre room whose subtree (or overlay) covers one of `grid_ids`."""
    rooms: set[str] = set()
    for grid_id in grid_ids:
        if grid_id not in index:
            continue
        rooms.update(command_room(covering) for covering in index.covering_ids(grid_id))
    return sorted(rooms)


class Realtime:
    """Owns the Socket.IO server; plugins reach it through `on` and `emit`."""

    def __init__(
        self,
        settings: RealtimeSettings,
        identity: Callable[[], Identity],
        grids: Callable[[], GridIndex],
        presence: Callable[[], PresenceStore],
        node_id: str,
        client_manager: socketio.AsyncManager | None = None,
        transports: list[str] | None = None,
        grants: Callable[[], GrantLoader] | None = None,
    ) -> None:
        self.settings = settings
        self._identity = identity
        self.grids = grids
        self._presence = presence
        self._grants = grants
        self.node_id = node_id
        self.connections: dict[str, Connection] = {}
        self.emitted: dict[str, int] = {}  # event -> emits made on this node (/metrics)
        self.emitted_rooms = 0  # rooms (or sockets) those emits were addressed to
        self._by_person: dict[int, dict[str, Connection]] = {}  # person -> their local sockets
        self._guards: dict[str, RoomGuard] = {}  # room kind -> its re-check
        self._rescopes = 0  # counts rescope calls, so a socket signing in meanwhile re-checks
        self._origins = frozenset(o.rstrip("/") for o in settings.cors_origins)
        self.sio = LeanServer(  # hub.lean_sockets: fewer objects per idle socket
            async_mode="aiohttp",
            client_manager=client_manager or FanoutManager(),  # hub.fanout: encode once
            # A callable, never []: python-engineio reads an empty list as "no Origin check".
            cors_allowed_origins=self._origin_allowed,
            ping_interval=settings.ping_interval_s,
            ping_timeout=settings.ping_timeout_s,
            max_http_buffer_size=settings.max_frame_bytes,
            transports=transports or ["polling", "websocket"],
            # Through the hub's logging at WARNING: python-socketio and python-engineio warn
            # when they drop something (an event from a socket not connected, an ack to a
            # socket gone, a handler error); logger=False had silenced exactly those.
            logger=_library_log("gridhub.socketio"),
            engineio_logger=_library_log("gridhub.engineio"),
            serializer=HubPacket,  # packets read within hub.decoding's limits
        )
        answer_refused(self.sio)
        self.sio.on("connect", self._on_connect)
        self.sio.on("disconnect", self._on_disconnect)
        self.presence_states = PresenceStates()  # the core's and those plugins contribute
        self._presence_hooks: list[Callable[[Snapshot], Awaitable[None]]] = []
        self._connect_hooks: list[Callable[[Connection], Awaitable[None]]] = []
        self._disconnect_hooks: list[Callable[[Connection], Awaitable[None]]] = []
        self._regrant_hooks: list[Callable[[Connection], Awaitable[None]]] = []
        self.events: dict[str, EventSpec] = {}  # every socket event, with its rule
        self.on("auth.refresh", TokenIn, REFRESH)(self._refresh)

    @property
    def identity(self) -> Identity:
        return self._identity()

    @property
    def presence(self) -> PresenceStore:
        return self._presence()

    # ---- public surface ------------------------------------------------------------------

    def on(
        self, event: str, model: type[P], rule: policy.Rule
    ) -> Callable[[Callable[[Connection, P], Awaitable[dict[str, Any] | None]]], Any]:
        """Register a validated, authorised, acknowledged socket event under its `rule`
        (hub.policy; sockets are signed in, so a public rule is refused here)."""
        if not isinstance(rule, policy.Rule) or not rule.needs_sign_in:
            raise ValueError(f"socket event {event!r} needs a signed-in hub.policy.Rule")
        if event in self.events:
            raise ValueError(f"socket event {event!r} is already registered")
        spec = EventSpec(event, model, rule)
        self.events[event] = spec

        def register(handler: Callable[[Connection, P], Awaitable[dict[str, Any] | None]]) -> Any:
            async def receive(sid: str, data: Any = None) -> dict[str, Any]:
                return await self._dispatch(sid, data, spec, model, handler)

            self.sio.on(event, receive)
            return handler

        return register

    async def emit(self, event: str, data: Any, rooms: str | list[str]) -> None:
        if rooms:
            self.emitted[event] = self.emitted.get(event, 0) + 1
            self.emitted_rooms += 1 if isinstance(rooms, str) else len(rooms)
            await self.sio.emit(event, data, to=rooms)

    def on_presence(self, hook: Callable[[Snapshot], Awaitable[None]]) -> None:
        self._presence_hooks.append(hook)

    def on_connected(self, hook: Callable[[Connection], Awaitable[None]]) -> None:
        """Run after a socket is authenticated and placed in its scope rooms."""
        self._connect_hooks.append(hook)

    def on_disconnected(self, hook: Callable[[Connection], Awaitable[None]]) -> None:
        """Run after a local socket has gone (on the node that held it)."""
        self._disconnect_hooks.append(hook)

    def on_regranted(self, hook: Callable[[Connection], Awaitable[None]]) -> None:
        """Run after a local socket's grants changed and its rooms followed: for what a socket
        holds outside rooms (a video pull, say), to end what the new grants no longer allow."""
        self._regrant_hooks.append(hook)

    def guard_rooms(self, kind: str, allows: RoomCheck, revoked: RoomRevoked | None = None) -> None:
        """Register the re-check of rooms `<kind>:...`; `join` refuses kinds without one, so
        every room a socket can be in is re-checked when its person's grants change."""
        if kind in self._guards or kind in SCOPE_ROOMS or not kind:
            raise ValueError(f"rooms {kind!r} already have a guard")
        self._guards[kind] = RoomGuard(allows, revoked)

    async def join(self, conn: Connection, room: str) -> None:
        kind = room_kind(room)
        if kind not in SCOPE_ROOMS and kind not in self._guards:
            raise LookupError(f"no guard re-checks rooms {kind!r}: call guard_rooms first")
        await self.sio.enter_room(conn.sid, room)

    async def leave(self, conn: Connection, room: str) -> None:
        await self.sio.leave_room(conn.sid, room)

    def in_room(self, conn: Connection, room: str) -> bool:
        """Is this (local) socket in `room`? Asks python-socketio's own room index."""
        members = self.sio.manager.rooms.get("/", {}).get(room)
        return members is not None and conn.sid in members

    async def in_call(self, person_id: int, sid: str, joined: bool) -> None:
        """A person's device joined (or left) a call: "on_call" while in any, then the state
        chosen on it. The shared presence book counts the device's calls, so the device may be
        on any node of a cluster; a device gone (or reaped) is left alone."""
        await self.announce(await self.presence.in_call(person_id, sid, joined))

    def connections_of(self, person_id: int) -> list[Connection]:
        return list(self._by_person.get(person_id, {}).values())

    async def end_session(self, session_id: str, code: str, message: str) -> None:
        """Tell and disconnect every local socket of a login session."""
        sids = [c.sid for c in self.connections.values() if c.principal.session_id == session_id]
        for sid in sids:
            await self._close(sid, code, message)

    async def close_all_sockets(self) -> None:
        """The hub is stopping: end every engine.io socket of this node. aiohttp's shutdown
        waits, up to the runner's timeout, for every running handler, and a WebSocket's
        handler runs as long as its socket is open: without this a hub with clients took its
        whole shutdown timeout to stop. An engine.io close rather than a socket.io disconnect:
        socket.io clients do not reconnect after "io server disconnect", they do after their
        transport closed, to another node or to this one once it is back."""
        eio = self.sio.eio
        reason = eio.reason.SERVER_DISCONNECT
        closing = [s.close(wait=False, reason=reason) for s in list(eio.sockets.values())]
        for failed in await asyncio.gather(*closing, return_exceptions=True):
            if isinstance(failed, Exception):
                log.warning("closing a socket at shutdown failed: %r", failed)

    async def announce(self, change: PresenceChange) -> None:
        """Tell the hooks (console fan-out) when a person's aggregate state changed."""
        if not change.changed:
            return
        snapshot = snapshot_of(change.record)
        for hook in self._presence_hooks:
            await hook(snapshot)

    # ---- connection lifecycle ------------------------------------------------------------

    def _origin_allowed(self, origin: str | None, environ: Mapping[str, Any]) -> bool:
        """Only pages of the hub's own host (or a configured origin) may open a socket.
        Browsers always send Origin; apps, devices and scripts without one are not browsers
        (a page cannot leave it out) and pass on to token authentication."""
        if not origin or origin.rstrip("/") in self._origins or "*" in self._origins:
            return True
        parts = urlsplit(origin)
        if parts.scheme in ("http", "https") and parts.netloc.lower() in _own_hosts(environ):
            return True
        log.warning("socket refused: foreign origin", extra={"origin": origin[:200]})
        return False

    async def _on_connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        rescopes = self._rescopes
        token = auth.get("token") if isinstance(auth, dict) else None
        if not isinstance(token, str) or not token:
            raise _refused(Unauthorized("auth.required", "send auth: {token: <access token>}"))
        try:
            who = await self.identity.authenticate(token)
            claims = self.identity.decode(token)
        except HubError as exc:
            raise _refused(exc) from None
        conn = Connection(sid, who, float(str(claims["exp"])), address=_client_address(environ))
        self.connections[sid] = conn
        self._by_person.setdefault(who.person_id, {})[sid] = conn
        for room in scope_rooms(who, self.grids()):
            await self.join(conn, room)
        for hook in self._connect_hooks:
            await hook(conn)
        if self._rescopes != rescopes:  # grants changed while this socket was signing in
            await self._regrant(conn, (await self._load_grants([who.person_id])).get(who.person_id))
        await self.announce(
            await self.presence.connect(who.person_id, sid, self.node_id, time.time())
        )

    async def _on_disconnect(self, sid: str, reason: Any = None) -> None:
        conn = self.connections.pop(sid, None)
        if conn is None:
            return
        devices = self._by_person.get(conn.principal.person_id, {})
        devices.pop(sid, None)
        if not devices:
            self._by_person.pop(conn.principal.person_id, None)
        person = conn.principal.person_id
        await self.announce(await self.presence.disconnect(person, sid, time.time()))
        for hook in self._disconnect_hooks:
            try:
                await hook(conn)
            except Exception:
                log.exception("disconnect hook failed", extra={"sid": sid})

    async def expire(self) -> None:
        """Close sockets whose access token ran out: one pass over them all, not a timer per
        socket (hub.periodic runs it every EXPIRY_CHECK_S)."""
        now = time.time()
        for conn in [c for c in self.connections.values() if c.expires_at <= now]:
            await self._close(conn.sid, "auth.token_expired", "access token expired; sign in again")

    async def _close(self, sid: str, code: str, message: str) -> None:
        if sid not in self.connections:
            return
        await self.sio.emit("session.ended", {"code": code, "message": message}, to=sid)
        await self.sio.disconnect(sid)

    async def _refresh(self, conn: Connection, body: TokenIn) -> dict[str, Any]:
        """Swap in a fresh access token for the same person, so the socket stays open; the
        rooms follow the token's grants if they differ from the socket's."""
        who = await self.identity.authenticate(body.token)
        if who.person_id != conn.principal.person_id:
            raise Unauthorized("auth.person_mismatch", "token belongs to someone else")
        changed = set(who.grants) != set(conn.principal.grants)
        conn.principal = who
        conn.expires_at = float(str(self.identity.decode(body.token)["exp"]))
        if changed:
            await self.rejoin(conn)
        return {"expires_at": conn.expires_at}

    # ---- grants changed: rooms follow ----------------------------------------------------

    async def rescope(self, person_id: int) -> None:
        """Recompute the rooms of a person's sockets on this node from their grants now
        (person 0: of everyone connected here); a disabled or deleted person's are closed.
        Every node runs this on PersonChanged; the node that made the change also runs it
        before it answers, so its sockets never get another emit of the old scope."""
        self._rescopes += 1
        wanted = self._by_person if person_id == 0 else (person_id,)
        people = [p for p in wanted if p in self._by_person]
        if not people:
            return
        grants = await self._load_grants(people)
        for person in people:
            for conn in self.connections_of(person):
                await self._regrant(conn, grants.get(person))

    async def rejoin(self, conn: Connection) -> None:
        """Make a socket's rooms match its principal: scope rooms joined or left, every other
        room kept only while its guard still allows it; then tell the socket."""
        wanted = scope_rooms(conn.principal, self.grids())
        current = set(self.sio.rooms(conn.sid)) - {conn.sid}
        for room in sorted(current - wanted):
            await self._recheck(conn, room)
        for room in sorted(wanted - current):
            await self.join(conn, room)
        grants = [{"role": g.role, "grid_id": g.grid_id} for g in conn.principal.grants]
        await self.sio.emit("auth.grants_changed", {"grants": grants}, to=conn.sid)
        for hook in self._regrant_hooks:
            try:
                await hook(conn)
            except Exception:
                log.exception("regrant hook failed", extra={"sid": conn.sid})

    async def _load_grants(self, people: Collection[int]) -> Mapping[int, tuple[Grant, ...]]:
        if self._grants is None:
            raise RuntimeError("Realtime was built without a grants loader")
        return await self._grants()(people)

    async def _regrant(self, conn: Connection, grants: tuple[Grant, ...] | None) -> None:
        if grants is None:
            await self._close(conn.sid, "auth.person_inactive", "this account is disabled")
        elif set(grants) != set(conn.principal.grants):
            conn.principal = dataclasses.replace(conn.principal, grants=grants)
            await self.rejoin(conn)

    async def _recheck(self, conn: Connection, room: str) -> None:
        """Keep `room` if its guard allows it; a guard that fails counts as a refusal."""
        guard = self._guards.get(room_kind(room))
        try:
            allowed = guard is not None and await guard.allows(conn, room)
        except Exception:
            log.exception("room guard failed", extra={"sid": conn.sid, "room": room})
            allowed = False
        if allowed:
            return
        await self.leave(conn, room)
        log.info("socket left a room it may no longer see", extra={"sid": conn.sid, "room": room})
        if guard is not None and guard.revoked is not None:
            await guard.revoked(conn, room)

    # ---- event dispatch ------------------------------------------------------------------

    async def _dispatch(
        self,
        sid: str,
        data: Any,
        spec: EventSpec,
        model: type[P],
        handler: Callable[[Connection, P], Awaitable[dict[str, Any] | None]],
    ) -> dict[str, Any]:
        conn = self.connections.get(sid)
        try:
            if conn is None:
                raise Unauthorized("auth.required", "this socket is not signed in")
            policy.enforce(spec.rule, conn.principal)  # before validation, as HTTP does
            payload = _validate(model, data)
            await self._touch(conn)
            audit.source_ip_var.set(conn.address)  # each event runs in a task of its own
            result = await handler(conn, payload)
        except HubError as exc:
            return {"ok": False, "error": exc.to_dict()["error"]}
        except Exception:
            log.exception("socket handler failed", extra={"sid": sid})
            return {"ok": False, "error": {"code": "internal", "message": "internal error"}}
        return {"ok": True, **(result or {})}

    async def _touch(self, conn: Connection) -> None:
        """Record activity, at most a few times per idle period (a store write per event
        would cost a Redis round trip per message in a cluster)."""
        now = time.time()
        if now - conn.touched_at < min(1.0, self.settings.away_after_s / 4):
            return
        conn.touched_at = now
        person = conn.principal.person_id
        await self.announce(await self.presence.touch(person, conn.sid, now))

    async def sweep(self) -> None:
        """Node heartbeat; auto-away for idle devices; offline for devices of dead nodes (one
        pass: hub.periodic runs it every `sweep_interval_s`)."""
        settings = self.settings
        await self.presence.node_alive(self.node_id, settings.node_ttl_s)
        cutoff = time.time() - settings.away_after_s
        for change in [
            *await self.presence.mark_idle(cutoff),
            *await self.presence.reap_dead_nodes(),
        ]:
            await self.announce(change)


class TokenIn(BaseModel):
    token: str


@dataclass(frozen=True, slots=True)
class EventSpec:
    """A registered socket event: its payload model and its rule."""

    name: str
    model: type[BaseModel]
    rule: policy.Rule


# A fresh access token for the open socket (HTTP's auth.refresh is the refresh token's action).
REFRESH = policy.signed_in("auth.socket_token", policy.Scope.OWN)


def _library_log(name: str) -> logging.Logger:
    """A logger for python-socketio/engineio: WARNING unless the deployment set a level (at
    INFO they log every packet)."""
    logger = logging.getLogger(name)
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.WARNING)
    return logger


def _validate(model: type[P], data: Any) -> P:
    try:
        return model.model_validate(data if data is not None else {})
    except ValidationError as exc:
        raise invalid_from_pydantic(exc) from None


def _own_hosts(environ: Mapping[str, Any]) -> set[str]:
    """Hosts a page of the hub's own names in its Origin: the `Host` the client reached the hub
    at, and behind a trusted proxy its `X-Forwarded-Host` (hub.netaddr: nobody else's counts)."""
    request = environ.get("aiohttp.request")
    if not isinstance(request, web.Request):
        return {str(environ.get("HTTP_HOST", "")).lower()} - {""}
    own = urlsplit(netaddr.own_origin(request)).netloc
    return {own, request.host.lower()} if netaddr.forwarded_from_proxy(request) else {own}


def _client_address(environ: Mapping[str, Any]) -> str | None:
    """The client's address as HTTP requests have it (trusted proxies considered)."""
    request = environ.get("aiohttp.request")
    return netaddr.client_address(request) if isinstance(request, web.Request) else None


def _refused(error: HubError) -> socketio.exceptions.ConnectionRefusedError:
    body = error.to_dict()["error"]
    return socketio.exceptions.ConnectionRefusedError(body["message"], body)
