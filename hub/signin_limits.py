"""Sign-in limits: an attempt is reserved in the database before its password is checked.

Every password check (login, password change) first takes one slot in each of its buckets, in
one transaction; a full bucket refuses the attempt without touching Argon2. A failed check
keeps its slots, a successful one gives them back. Because taking a slot is a single
conditional UPDATE (`... WHERE count + cost <= limit`), concurrent guesses — on one node or on
several sharing the database — can never take more slots than there are.

Buckets (docs/security.md, "Sessions, tokens and sign-in limits"):

- pair: (username, address). `lockout_threshold` attempts, then a lock that doubles from
  `lockout_base_s` to `lockout_max_s`. A success clears it. This is the lockout proper, and
  it only ever locks out that address.
- address: every attempt from an address, `address_threshold` per `lockout_window_s`; an
  unknown (or disabled) username costs `unknown_username_cost` instead of 1.
- account: attempts on a username from addresses it has not signed in from lately
  (`familiar_days`), `account_threshold` per `account_window_s`. A spread-out attack stops
  here, while its owner still signs in from an address they used before.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, case, delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hub.errors import TooManyRequests
from hub.settings import AuthSettings
from storage.models import AuthThrottle

PAIR, ADDRESS, ACCOUNT = "pair", "address", "account"
T = AuthThrottle


@dataclass(frozen=True, slots=True, order=True)
class Bucket:
    scope: str
    key: str
    cost: int = 1
    limit: int = 1
    window_s: float = 900.0
    backoff: bool = False  # lock with a growing back-off when full (else: until the window ends)


def pair_key(username: str, address: str) -> str:
    return f"{username[:64]}|{address[:64]}"


class SignInLimits:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        settings: AuthSettings,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._sessions = sessions
        self._s = settings
        self._clock = clock

    def buckets(self, username: str, address: str, known: bool, familiar: bool) -> list[Bucket]:
        s = self._s
        chosen = [
            Bucket(PAIR, pair_key(username, address), 1, s.lockout_threshold,
                   s.lockout_window_s, backoff=True),
            Bucket(ADDRESS, address[:64], 1 if known else s.unknown_username_cost,
                   s.address_threshold, s.lockout_window_s),
        ]  # fmt: skip
        if not familiar:
            chosen.append(
                Bucket(ACCOUNT, username[:64], 1, s.account_threshold, s.account_window_s)
            )
        return sorted(chosen)  # one order everywhere: two transactions never deadlock

    async def reserve(self, buckets: Sequence[Bucket]) -> int:
        """Take a slot in every bucket, or none: raises 429 `auth.locked` when one is full.

        Returns the attempts left before the pair's lockout should this one fail (the pair
        bucket counts the same for known and unknown names, so it tells nothing about them).
        """
        # A concurrent first attempt creating a bucket's row is handled per bucket (`_take`).
        async with self._sessions.begin() as session:
            now, remaining = self._clock(), 0
            for bucket in buckets:
                count = await self._take(session, bucket, now)
                if bucket.backoff:
                    remaining = max(0, bucket.limit - count)
        return remaining

    async def release(self, buckets: Sequence[Bucket]) -> None:
        """The password was right: clear the pair's lockout, give the other slots back."""
        async with self._sessions.begin() as session:
            for b in buckets:
                where = (T.scope == b.scope, T.key == b.key)
                if b.backoff:
                    await session.execute(delete(T).where(*where))
                else:
                    await session.execute(
                        update(T).where(*where, T.count >= b.cost).values(count=T.count - b.cost)
                    )

    async def unlock(self, username: str | None = None, address: str | None = None) -> int:
        """Forget the limits of a username (its pairs and account) and/or an address."""
        conditions: list[Any] = []
        if username is not None:
            name = username[:64]
            conditions += [
                and_(T.scope == ACCOUNT, T.key == name),
                and_(T.scope == PAIR, T.key.startswith(f"{name}|", autoescape=True)),
            ]
        if address is not None:
            conditions += [
                and_(T.scope == ADDRESS, T.key == address[:64]),
                and_(T.scope == PAIR, T.key.endswith(f"|{address[:64]}", autoescape=True)),
            ]
        if not conditions:
            return 0
        async with self._sessions.begin() as session:
            result = await session.execute(delete(T).where(or_(*conditions)))
        return int(getattr(result, "rowcount", 0) or 0)

    async def purge(self) -> int:
        """Delete buckets whose window ended and whose lock (if any) is over (rows for unknown
        names and passing addresses would pile up); `Identity.sweep` runs it periodically.

        Waiting twice the longest window keeps the back-off of a pair that keeps coming back.
        """
        now = self._clock()
        s = self._s
        idle = 2 * max(s.lockout_window_s, s.account_window_s, s.lockout_max_s)
        async with self._sessions.begin() as session:
            result = await session.execute(
                delete(T).where(T.window_start < now - idle, T.locked_until < now)
            )
        return int(getattr(result, "rowcount", 0) or 0)

    # ---- one bucket ---------------------------------------------------------------------

    async def _take(
        self, session: AsyncSession, b: Bucket, now: float, created_by_peer: bool = False
    ) -> int:
        """The bucket's count once a slot was taken; raises `auth.locked` when it is full."""
        taken = (await session.execute(self._bump(b, now))).first()
        if taken is not None:
            return int(taken[0])
        row = (
            await session.execute(
                select(T.window_start, T.locked_until).where(T.scope == b.scope, T.key == b.key)
            )
        ).first()
        if row is not None:
            if row.locked_until > now:
                raise _locked(row.locked_until - now)
            raise _locked(row.window_start + b.window_s - now)
        if b.cost > b.limit:
            raise _locked(b.window_s)
        if await self._insert_first(session, b, now):
            return b.cost
        if created_by_peer:  # created, then purged, then created again meanwhile: try anew
            raise _locked(1)
        # A concurrent first attempt created the row since our UPDATE: count in it instead.
        return await self._take(session, b, now, created_by_peer=True)

    async def _insert_first(self, session: AsyncSession, b: Bucket, now: float) -> bool:
        """Create the bucket's row; False if another transaction created it first (in a
        savepoint, so that this transaction's other buckets are kept)."""
        try:
            async with session.begin_nested():
                await session.execute(insert(T).values(self._first(b, now)))
        except IntegrityError:
            return False
        return True

    def _bump(self, b: Bucket, now: float) -> Any:
        """One statement: start a new window or add to this one, if there is room."""
        fresh = or_(
            T.window_start <= now - b.window_s, and_(T.locked_until > 0, T.locked_until <= now)
        )
        count = case((fresh, b.cost), else_=T.count + b.cost)
        start = case((fresh, now), else_=T.window_start)
        values: dict[Any, Any] = {T.count: count, T.window_start: start}
        if b.backoff:
            full = count >= b.limit
            longer = case((T.lock_s * 2 > self._s.lockout_max_s, self._s.lockout_max_s),
                          else_=T.lock_s * 2)  # fmt: skip
            values[T.locked_until] = case((full, now + T.lock_s), else_=0.0)
            values[T.lock_s] = case((full, longer), else_=T.lock_s)
        return (
            update(T)
            .where(T.scope == b.scope, T.key == b.key, T.locked_until <= now)
            .where(or_(fresh, T.count + b.cost <= b.limit))
            .values(values)
            .returning(T.count)
        )

    def _first(self, b: Bucket, now: float) -> dict[str, Any]:
        base = float(self._s.lockout_base_s)
        full = b.backoff and b.cost >= b.limit
        return {
            "scope": b.scope,
            "key": b.key,
            "count": b.cost,
            "window_start": now,
            "locked_until": now + base if full else 0.0,
            "lock_s": min(base * 2, self._s.lockout_max_s) if full else base,
        }


def _locked(wait: float) -> TooManyRequests:
    seconds = max(1, int(wait) + 1)
    return TooManyRequests(
        "auth.locked",
        f"too many failed sign-ins; try again in {seconds} s",
        details={"retry_after_s": seconds},
    )
