"""Keyed look-up digests of sealed values: the same ID number or phone always gives the same
digest, so an exact look-up is an index search on the digest while the value itself stays sealed
(AES-GCM with a random nonce cannot be searched).

The digest is the SDK's `ctx.personal.lookup(text, kind)` (HMAC-SHA256 under a key derived from
the deployment's sealing key), so the plugin keeps no secret of its own. This module only
normalises the texts (IDs upper-case, phones digits only) so equal values give equal digests.
"""

from __future__ import annotations

import re
from weakref import WeakKeyDictionary

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hub.sdk import PersonalBox

NOT_DIGITS = re.compile(r"\D")
ID_KIND, PHONE_KIND = "id_number", "phone"

# setup() registers the plugin's hasher under its session factory so modules that still ask by
# the factory (load_hasher) get the same one; a per-process cache of a pure function, no state
_BY_SESSIONS: WeakKeyDictionary[async_sessionmaker[AsyncSession], Hasher] = WeakKeyDictionary()


class Hasher:
    """Look-up digests of normalised ID numbers and phones through `ctx.personal.lookup`."""

    def __init__(self, personal: PersonalBox) -> None:
        self._personal = personal

    def id_number(self, value: str) -> str:
        return self._personal.lookup(value.strip().upper(), ID_KIND)

    def phone(self, value: str) -> str:
        return self._personal.lookup(NOT_DIGITS.sub("", value), PHONE_KIND)


def register_hasher(sessions: async_sessionmaker[AsyncSession], hasher: Hasher) -> Hasher:
    _BY_SESSIONS[sessions] = hasher
    return hasher


async def load_hasher(sessions: async_sessionmaker[AsyncSession]) -> Hasher:
    """The hasher setup() registered for this plugin's sessions (kept for callers that predate
    ctx.personal.lookup; new code builds `Hasher(ctx.personal)`)."""
    return _BY_SESSIONS[sessions]
