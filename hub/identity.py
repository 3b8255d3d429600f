"""Identity: password login with lockout, signed access tokens, rotating refresh, revocation."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hub import audit
from hub.access import Grant, Principal, Role
from hub.audit import Actor
from hub.bus import MessageBus
from hub.errors import TooManyRequests, Unauthorized
from hub.messages import SessionRevoked
from hub.settings import AuthSettings
from storage.models import Assignment, LoginSession, LoginThrottle, Person, Setting
from storage.sql import utcnow

ALGORITHM = "HS256"
SHARED_PRINCIPALS_MAX = 50_000


@dataclass(frozen=True, slots=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    session_id: str


class Passwords:
    """Argon2id hashing off the event loop (it is deliberately slow)."""

    def __init__(self, settings: AuthSettings) -> None:
        self._hasher = PasswordHasher(
            time_cost=settings.hash_time_cost,
            memory_cost=settings.hash_memory_kib,
            parallelism=settings.hash_parallelism,
        )
        self._dummy: str | None = None

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self._hasher.hash, password)

    async def verify(self, hashed: str | None, password: str) -> bool:
        if hashed is None:
            # Spend the same time for unknown users so timing does not reveal them.
            self._dummy = self._dummy or await self.hash(secrets.token_hex(8))
            hashed = self._dummy
        try:
            return await asyncio.to_thread(self._hasher.verify, hashed, password)
        except (VerificationError, InvalidHashError):
            return False


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def signing_key(sessions: async_sessionmaker[AsyncSession], settings: AuthSettings) -> str:
    """The configured key, or one generated once and shared by every node through the database."""
    if settings.secret_key is not None:
        return settings.secret_key.get_secret_value()
    async with sessions.begin() as session:
        row = await session.get(Setting, "auth.signing_key")
        if row is None:
            row = Setting(key="auth.signing_key", value=secrets.token_urlsafe(48))
            session.add(row)
        return row.value


class Identity:
    """Logs people in and turns access tokens back into principals."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        settings: AuthSettings,
        key: str,
        passwords: Passwords,
        bus: MessageBus | None = None,
    ) -> None:
        self._bus = bus
        self._sessions = sessions
        self._settings = settings
        self._key = key
        self.passwords = passwords
        self._revoked: dict[str, float] = {}
        self._principals: dict[int, tuple[Grant, ...]] = {}
        self._by_session: dict[str, Principal] = {}

    # ---- login and tokens ---------------------------------------------------------------

    async def login(self, username: str, password: str, user_agent: str | None = None) -> TokenPair:
        await self._check_lockout(username)
        async with self._sessions() as session:
            person = (
                await session.scalars(select(Person).where(Person.username == username))
            ).first()
        hashed = person.password_hash if person is not None and person.is_active else None
        if person is None or not await self.passwords.verify(hashed, password):
            await self._record_failure(username, person)
            raise Unauthorized("auth.invalid_credentials", "wrong username or password")
        return await self._open_session(person, user_agent)

    async def refresh(self, refresh_token: str) -> TokenPair:
        async with self._sessions.begin() as session:
            row = (
                await session.scalars(
                    select(LoginSession).where(
                        LoginSession.refresh_hash == hash_token(refresh_token)
                    )
                )
            ).first()
            if row is None or row.revoked_at is not None or row.expires_at <= utcnow():
                raise Unauthorized("auth.refresh_invalid", "refresh token is invalid or expired")
            person = await session.get(Person, row.person_id)
            if person is None or not person.is_active:
                raise Unauthorized("auth.person_inactive", "this account is disabled")
            new_refresh = secrets.token_urlsafe(32)
            row.refresh_hash = hash_token(new_refresh)
            row.refreshed_at = utcnow()
            access = self._access_token(person, row.id)
        return TokenPair(access, new_refresh, self._settings.access_ttl_s, row.id)

    async def authenticate(self, token: str) -> Principal:
        """Validate an access token; raises Unauthorized with a stable code."""
        claims = self.decode(token)
        session_id = str(claims["sid"])
        if session_id in self._revoked:
            raise Unauthorized("auth.token_revoked", "this session has been signed out")
        person_id = int(str(claims["sub"]))
        grants = self._principals.get(person_id)
        if grants is None:
            grants = await self._load_grants(person_id)
        known = self._by_session.get(session_id)
        if known is not None and known.grants is grants:
            return known  # one shared object per session (many sockets, many requests)
        principal = Principal(
            person_id, str(claims["usr"]), str(claims["name"]), session_id, grants
        )
        if len(self._by_session) >= SHARED_PRINCIPALS_MAX:
            self._by_session.clear()  # a cache: objects stay shared by whoever holds them
        self._by_session[session_id] = principal
        return principal

    def decode(self, token: str) -> dict[str, object]:
        try:
            claims: dict[str, object] = jwt.decode(
                token, self._key, algorithms=[ALGORITHM], options={"require": ["exp", "sub", "sid"]}
            )
        except jwt.ExpiredSignatureError:
            raise Unauthorized("auth.token_expired", "access token has expired") from None
        except jwt.InvalidTokenError:
            raise Unauthorized("auth.token_invalid", "access token is not valid") from None
        if claims.get("typ") != "access":
            raise Unauthorized("auth.token_invalid", "not an access token")
        return claims

    async def logout(self, who: Principal) -> None:
        await self.revoke_session(who.session_id, "logout", Actor.of(who))

    # ---- revocation ---------------------------------------------------------------------

    async def revoke_session(self, session_id: str, reason: str, actor: Actor) -> int | None:
        """Mark a session revoked; returns its person id, or None if it was already gone."""
        async with self._sessions.begin() as session:
            row = await session.get(LoginSession, session_id)
            if row is None or row.revoked_at is not None:
                return None
            row.revoked_at, row.revoke_reason = utcnow(), reason
            audit.record(
                session, actor, "auth.session_revoke", "person", row.person_id, {"reason": reason}
            )
        await self._announce([session_id], row.person_id, reason)
        return row.person_id

    async def revoke_person(self, person_id: int, reason: str, actor: Actor) -> list[str]:
        async with self._sessions.begin() as session:
            ids = list(
                await session.scalars(
                    select(LoginSession.id).where(
                        LoginSession.person_id == person_id, LoginSession.revoked_at.is_(None)
                    )
                )
            )
            await session.execute(
                update(LoginSession)
                .where(LoginSession.id.in_(ids))
                .values(revoked_at=utcnow(), revoke_reason=reason)
            )
            audit.record(
                session, actor, "auth.person_revoke", "person", person_id, {"reason": reason}
            )
        await self._announce(ids, person_id, reason)
        return ids

    async def _announce(self, session_ids: list[str], person_id: int, reason: str) -> None:
        """Refuse the sessions here at once, and tell every node (and open sockets) to."""
        for session_id in session_ids:
            self.forget_session(session_id)
            if self._bus is not None:
                message = SessionRevoked(session_id=session_id, person_id=person_id, reason=reason)
                await self._bus.publish(message)

    def forget_session(self, session_id: str) -> None:
        """Refuse this session's access tokens from now on (on this node)."""
        self._by_session.pop(session_id, None)
        self._revoked[session_id] = time.time() + self._settings.access_ttl_s + 60
        now = time.time()
        for key in [k for k, until in self._revoked.items() if until < now]:
            del self._revoked[key]

    def forget_person(self, person_id: int) -> None:
        """Drop cached grants so the next request reloads them (0: everyone's)."""
        if person_id == 0:
            self._principals.clear()
        self._principals.pop(person_id, None)

    async def load_revocations(self) -> None:
        """At start-up, refuse tokens of sessions revoked recently (they may not have expired)."""
        since = utcnow() - timedelta(seconds=self._settings.access_ttl_s + 60)
        async with self._sessions() as session:
            ids = await session.scalars(
                select(LoginSession.id).where(LoginSession.revoked_at >= since)
            )
            for session_id in ids:
                self.forget_session(session_id)

    # ---- helpers ------------------------------------------------------------------------

    async def _open_session(self, person: Person, user_agent: str | None) -> TokenPair:
        refresh = secrets.token_urlsafe(32)
        row = LoginSession(
            id=secrets.token_hex(16),
            person_id=person.id,
            refresh_hash=hash_token(refresh),
            expires_at=utcnow() + timedelta(seconds=self._settings.refresh_ttl_s),
            source_ip=audit.source_ip_var.get(),
            user_agent=(user_agent or "")[:255] or None,
        )
        async with self._sessions.begin() as session:
            session.add(row)
            await session.execute(
                delete(LoginThrottle).where(LoginThrottle.username == person.username)
            )
            audit.record(
                session, Actor(person.username, person.id), "auth.login", "person", person.id
            )
        access = self._access_token(person, row.id)
        return TokenPair(access, refresh, self._settings.access_ttl_s, row.id)

    def _access_token(self, person: Person, session_id: str) -> str:
        now = int(time.time())
        claims = {
            "sub": str(person.id),
            "sid": session_id,
            "typ": "access",
            "iat": now,
            "exp": now + self._settings.access_ttl_s,
            "jti": secrets.token_hex(8),
            "usr": person.username,
            "name": person.display_name,
        }
        return jwt.encode(claims, self._key, algorithm=ALGORITHM)

    async def _load_grants(self, person_id: int) -> tuple[Grant, ...]:
        async with self._sessions() as session:
            person = await session.get(Person, person_id)
            if person is None or not person.is_active:
                raise Unauthorized("auth.person_inactive", "this account is disabled")
            rows = await session.execute(
                select(Assignment.role, Assignment.grid_id).where(Assignment.person_id == person_id)
            )
            grants = tuple(Grant(Role(role), grid_id) for role, grid_id in rows)
        self._principals[person_id] = grants
        return grants

    async def _check_lockout(self, username: str) -> None:
        async with self._sessions() as session:
            row = await session.get(LoginThrottle, username)
        if row is not None and row.locked_until is not None and row.locked_until > utcnow():
            wait = int((row.locked_until - utcnow()).total_seconds()) + 1
            raise TooManyRequests(
                "auth.locked",
                f"too many failed logins; try again in {wait} s",
                details={"retry_after_s": wait},
            )

    async def _record_failure(self, username: str, person: Person | None) -> None:
        s = self._settings
        async with self._sessions.begin() as session:
            row = await session.get(LoginThrottle, username[:64])
            now = utcnow()
            if row is None:
                row = LoginThrottle(
                    username=username[:64], failures=0, first_failure_at=now, lock_count=0
                )
                session.add(row)
            if now - row.first_failure_at > timedelta(seconds=s.lockout_window_s):
                row.failures, row.first_failure_at = 0, now
            row.failures += 1
            if row.failures >= s.lockout_threshold:
                delay = min(s.lockout_base_s * 2**row.lock_count, s.lockout_max_s)
                row.locked_until, row.failures = now + timedelta(seconds=delay), 0
                row.lock_count += 1
            actor = Actor(username[:64], person.id if person else None)
            audit.record(session, actor, "auth.login_failed", "person", username[:64])
