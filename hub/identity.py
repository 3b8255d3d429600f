"""Identity: password login with sign-in limits, signed access tokens, rotating refresh tokens
with reuse detection, revocation."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import logging
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hub import audit
from hub.access import Grant, Principal
from hub.audit import SYSTEM, Actor
from hub.bus import MessageBus
from hub.errors import Unauthorized
from hub.messages import SessionRevoked
from hub.roles import RoleCatalogue
from hub.settings import AuthSettings
from hub.signin_limits import SignInLimits
from storage.models import Assignment, LoginSession, Person, Setting
from storage.sql import utcnow

ALGORITHM = "HS256"
SHARED_PRINCIPALS_MAX = 50_000
log = logging.getLogger("gridhub.auth")


@dataclass(frozen=True, slots=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    session_id: str
    refresh_expires_in: int  # the session's remaining life (a refresh cookie's Max-Age)


class Passwords:
    """Argon2id hashing off the event loop (it is deliberately slow)."""

    def __init__(self, settings: AuthSettings) -> None:
        self._hasher = PasswordHasher(
            time_cost=settings.hash_time_cost,
            memory_cost=settings.hash_memory_kib,
            parallelism=settings.hash_parallelism,
        )
        self._dummy: str | None = None
        self.verifications = 0  # how many Argon2 checks ran (tests prove limits with it)

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self._hasher.hash, password)

    async def verify(self, hashed: str | None, password: str) -> bool:
        if hashed is None:
            # Spend the same time for unknown users so timing does not reveal them.
            self._dummy = self._dummy or await self.hash(secrets.token_hex(8))
            hashed = self._dummy
        self.verifications += 1
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
        roles: RoleCatalogue | None = None,
    ) -> None:
        self._bus = bus
        self._roles = roles or RoleCatalogue()  # grants of unknown roles are skipped
        self._sessions = sessions
        self._settings = settings
        self._key = key
        self.passwords = passwords
        self.limits = SignInLimits(sessions, settings)
        self._revoked: dict[str, float] = {}
        self._principals: dict[int, tuple[Grant, ...]] = {}
        # Counts forget_person calls: a read of grants that one overlapped may predate the
        # change it announces, so it is read again rather than cached.
        self._grant_changes = 0
        self._by_session: dict[str, Principal] = {}

    # ---- login and tokens ---------------------------------------------------------------

    async def login(
        self, username: str, password: str, address: str, user_agent: str | None = None
    ) -> TokenPair:
        async with self._sessions() as session:
            person = (
                await session.scalars(select(Person).where(Person.username == username))
            ).first()
        person = await self._check_password(username, person, password, address)
        return await self._open_session(person, user_agent)

    async def check_current_password(self, person_id: int, password: str, address: str) -> None:
        """Before a password change: the same limits and checks as a login."""
        async with self._sessions() as session:
            person = await session.get(Person, person_id)
        if person is None:
            raise Unauthorized("auth.person_inactive", "this account is disabled")
        await self._check_password(person.username, person, password, address)

    async def refresh(self, refresh_token: str) -> TokenPair:
        """Rotate: the token presented must be the session's current one.

        An older token of the session is reuse — a copy is in someone else's hands — and
        signs the whole session out; only the one just replaced, within `refresh_grace_s`,
        is answered `auth.refresh_superseded` (two tabs refreshing at the same moment).
        """
        presented = hash_token(refresh_token)
        async with self._sessions() as session:
            row = (
                await session.scalars(
                    select(LoginSession).where(LoginSession.refresh_hash == presented)
                )
            ).first()
        if row is None:
            raise await self._stale_refresh(refresh_token)
        if row.revoked_at is not None or row.expires_at <= utcnow():
            raise Unauthorized("auth.refresh_invalid", "refresh token is invalid or expired")
        new_refresh = self._refresh_token(row.id, row.generation + 1)
        access = await self._rotate(row, presented, hash_token(new_refresh))
        if access is None:  # a concurrent refresh with the same token won
            raise await self._stale_refresh(refresh_token)
        remaining = int((row.expires_at - utcnow()).total_seconds())
        return TokenPair(access, new_refresh, self._settings.access_ttl_s, row.id, remaining)

    async def _rotate(self, row: LoginSession, presented: str, new_hash: str) -> str | None:
        """Swap in the next refresh token if `presented` is still current; the access token."""
        async with self._sessions.begin() as session:
            rotated = await session.execute(
                update(LoginSession)
                .where(LoginSession.id == row.id, LoginSession.refresh_hash == presented)
                .where(LoginSession.revoked_at.is_(None))
                .values(refresh_hash=new_hash, generation=row.generation + 1, refreshed_at=utcnow())
            )
            if not getattr(rotated, "rowcount", 0):
                return None
            person = await session.get(Person, row.person_id)
            if person is None or not person.is_active:
                raise Unauthorized("auth.person_inactive", "this account is disabled")
            return self._access_token(person, row.id)

    async def logout_refresh(self, refresh_token: str) -> None:
        """Sign out the session whose current refresh token this is (a cookie session)."""
        async with self._sessions() as session:
            found = (
                await session.execute(
                    select(LoginSession.id, Person.id, Person.username)
                    .join(Person, Person.id == LoginSession.person_id)
                    .where(LoginSession.refresh_hash == hash_token(refresh_token))
                )
            ).first()
        if found is not None:
            session_id, person_id, username = found
            await self.revoke_session(session_id, "logout", Actor(username, person_id))

    async def unlock(self, actor: Actor, username: str | None, address: str | None) -> None:
        """Lift the sign-in limits of an account and/or an address (audited)."""
        removed = await self.limits.unlock(username, address)
        async with self._sessions.begin() as session:
            details = {"username": username, "address": address, "buckets": removed}
            audit.record(session, actor, "auth.unlock", "person", username or "-", details)

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

    async def revoke_session(
        self,
        session_id: str,
        reason: str,
        actor: Actor,
        details: Mapping[str, object] | None = None,
    ) -> int | None:
        """Mark a session revoked; returns its person id, or None if it was already gone."""
        async with self._sessions.begin() as session:
            row = await session.get(LoginSession, session_id)
            if row is None or row.revoked_at is not None:
                return None
            row.revoked_at, row.revoke_reason = utcnow(), reason
            facts = {"reason": reason, "session": session_id, **(details or {})}
            audit.record(session, actor, "auth.session_revoke", "person", row.person_id, facts)
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
        self._grant_changes += 1
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

    # ---- housekeeping -------------------------------------------------------------------

    async def sweep(self) -> None:
        """Delete what no longer matters from the sign-in tables: ended limit windows and
        ended sessions. Every node runs it once per `throttle_sweep_s` (hub/app.py)."""
        windows, sessions = await self.limits.purge(), await self.purge_sessions()
        if windows or sessions:
            log.info("sign-in tables purged", extra={"windows": windows, "sessions": sessions})

    async def purge_sessions(self) -> int:
        """Delete sessions that ended (expired or revoked) and are needed no more.

        A revoked session is kept while its access tokens live (`load_revocations` reads it at
        start-up), and every session for `familiar_days` after its sign-in (`_familiar`: its
        address keeps the owner clear of the account limit).
        """
        now, s = utcnow(), self._settings
        ended = now - timedelta(seconds=s.access_ttl_s + 60)
        stale = (
            delete(LoginSession)
            .where(LoginSession.created_at < now - timedelta(days=s.familiar_days))
            .where(or_(LoginSession.expires_at < ended, LoginSession.revoked_at < ended))
        )
        async with self._sessions.begin() as session:
            result = await session.execute(stale)
        return int(getattr(result, "rowcount", 0) or 0)

    # ---- helpers ------------------------------------------------------------------------

    async def _open_session(self, person: Person, user_agent: str | None) -> TokenPair:
        session_id = secrets.token_hex(16)
        refresh = self._refresh_token(session_id, 0)
        row = LoginSession(
            id=session_id,
            generation=0,
            person_id=person.id,
            refresh_hash=hash_token(refresh),
            expires_at=utcnow() + timedelta(seconds=self._settings.refresh_ttl_s),
            source_ip=audit.source_ip_var.get(),
            user_agent=(user_agent or "")[:255] or None,
        )
        async with self._sessions.begin() as session:
            session.add(row)
            audit.record(
                session, Actor(person.username, person.id), "auth.login", "person", person.id
            )
        access = self._access_token(person, row.id)
        ttl = self._settings
        return TokenPair(access, refresh, ttl.access_ttl_s, row.id, ttl.refresh_ttl_s)

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
        """The person's grants, cached until forget_person. A change forgotten while they were
        read may have committed after the read began: that read is made again (cached, it
        kept a removed role working until the person's next change)."""
        while True:
            changes = self._grant_changes
            grants = await self._read_grants(person_id)
            if changes == self._grant_changes:
                self._principals[person_id] = grants
                return grants

    async def _read_grants(self, person_id: int) -> tuple[Grant, ...]:
        async with self._sessions() as session:
            person = await session.get(Person, person_id)
            if person is None or not person.is_active:
                raise Unauthorized("auth.person_inactive", "this account is disabled")
            rows = await session.execute(
                select(Assignment.role, Assignment.grid_id).where(Assignment.person_id == person_id)
            )
            return self._roles.grants(person_id, [(role, grid) for role, grid in rows])

    # ---- passwords under limits ---------------------------------------------------------

    async def _check_password(
        self, username: str, person: Person | None, password: str, address: str
    ) -> Person:
        """Reserve the attempt in every limit first; only then spend an Argon2 check."""
        active = person if person is not None and person.is_active else None
        familiar = active is not None and await self._familiar(active.id, address)
        buckets = self.limits.buckets(username, address, active is not None, familiar)
        remaining = await self.limits.reserve(buckets)
        hashed = active.password_hash if active is not None else None
        if active is None or not await self.passwords.verify(hashed, password):
            await self._record_failure(username, active)
            raise Unauthorized(
                "auth.invalid_credentials",
                "wrong username or password",
                details={"remaining": remaining},
            )
        await self.limits.release(buckets)
        return active

    async def _familiar(self, person_id: int, address: str) -> bool:
        """Has this person signed in from this address lately?"""
        since = utcnow() - timedelta(days=self._settings.familiar_days)
        async with self._sessions() as session:
            found = await session.scalar(
                select(LoginSession.id)
                .where(LoginSession.person_id == person_id, LoginSession.source_ip == address)
                .where(LoginSession.created_at >= since)
                .limit(1)
            )
        return found is not None

    async def _record_failure(self, username: str, person: Person | None) -> None:
        async with self._sessions.begin() as session:
            actor = Actor(username[:64], person.id if person else None)
            audit.record(session, actor, "auth.login_failed", "person", username[:64])

    # ---- refresh tokens -----------------------------------------------------------------

    def _refresh_token(self, session_id: str, generation: int) -> str:
        """`<session>.<generation>.<mac>`: any generation can be recognised later without
        storing it, so an old token coming back is known for what it is."""
        return f"{session_id}.{generation}.{self._refresh_mac(session_id, generation)}"

    def _refresh_mac(self, session_id: str, generation: int) -> str:
        message = f"refresh:{session_id}:{generation}".encode()
        digest = hmac.new(self._key.encode(), message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    def _parse_refresh(self, token: str) -> tuple[str, int] | None:
        parts = token.split(".")
        if len(parts) != 3 or not parts[1].isdigit() or len(parts[1]) > 9:
            return None
        session_id, generation = parts[0], int(parts[1])
        expected = self._refresh_mac(session_id, generation)
        return (session_id, generation) if hmac.compare_digest(expected, parts[2]) else None

    async def _stale_refresh(self, token: str) -> Unauthorized:
        """A refresh token that is not current: unknown, just superseded, or reused."""
        invalid = Unauthorized("auth.refresh_invalid", "refresh token is invalid or expired")
        parsed = self._parse_refresh(token)
        if parsed is None:
            return invalid
        session_id, generation = parsed
        async with self._sessions() as session:
            row = await session.get(LoginSession, session_id)
        if row is None or row.revoked_at is not None or generation >= row.generation:
            return invalid
        age = (utcnow() - row.refreshed_at).total_seconds()
        if generation == row.generation - 1 and age <= self._settings.refresh_grace_s:
            return Unauthorized(
                "auth.refresh_superseded", "this refresh token was just replaced; use the new one"
            )
        details = {"presented_generation": generation, "current_generation": row.generation}
        log.warning("refresh token reuse; session revoked", extra={"session": session_id})
        await self.revoke_session(session_id, "refresh_reused", SYSTEM, details)
        return Unauthorized(
            "auth.refresh_reused",
            "this refresh token was already used; the session has been signed out",
        )
