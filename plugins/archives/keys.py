"""Keyed look-up hashes of sealed values: the same ID number or phone always gives the same
HMAC-SHA256 under the plugin's own key, so an exact look-up is an index search on the hash while
the value itself stays sealed (AES-GCM with a random nonce cannot be searched).

The SDK seals but offers no keyed hash, so the key is the plugin's: 32 random bytes made on the
first start (inside ctx.first_start, so nodes starting together agree) and kept in
`archives_keys`, as the hub keeps its sealing key in its settings table.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from plugins.archives.models import ArchiveKey

LOOKUP_KEY = "lookup_hmac"
NOT_DIGITS = re.compile(r"\D")


class Hasher:
    """HMAC-SHA256 (hex) of normalised values: IDs upper-case, phones digits only."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def digest(self, kind: str, value: str) -> str:
        message = f"{kind}:{value}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def id_number(self, value: str) -> str:
        return self.digest("id", value.strip().upper())

    def phone(self, value: str) -> str:
        return self.digest("phone", NOT_DIGITS.sub("", value))


async def load_hasher(sessions: async_sessionmaker[AsyncSession]) -> Hasher:
    """The deployment's hasher; the key is made once (call inside ctx.first_start)."""
    async with sessions.begin() as session:
        row = await session.get(ArchiveKey, LOOKUP_KEY)
        if row is None:
            value = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
            row = ArchiveKey(name=LOOKUP_KEY, value=value)
            session.add(row)
        return Hasher(base64.urlsafe_b64decode(row.value))
