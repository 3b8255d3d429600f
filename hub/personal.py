"""Personal data at rest: sealed with AES-GCM under one key per deployment, masked for display.

A sealed value is `pd1:<urlsafe base64 of nonce + ciphertext>`, so that rows written before
sealing existed (plain text) can be told apart and sealed later, idempotently. The key is
generated once and shared by every node through the database, like the token signing key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import Setting

PREFIX = "pd1:"
_NONCE_BYTES = 12
_KEY_SETTING = "personal.sealing_key"


class PersonalBox:
    """Seals and opens personal data (phone numbers, addresses) stored by the hub or plugins."""

    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)
        # A second key for look-up digests, derived so that a digest reveals nothing of the
        # sealing key and one deployment's digests do not match another's.
        derive = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"gridhub lookup")
        self._lookup_key = derive.derive(key)

    @classmethod
    def random(cls) -> PersonalBox:
        """A box with a throwaway key (contexts built outside a running hub)."""
        return cls(AESGCM.generate_key(bit_length=256))

    def seal(self, text: str) -> str:
        """The sealed form of `text`; empty stays empty (nothing was given)."""
        if not text:
            return ""
        nonce = secrets.token_bytes(_NONCE_BYTES)
        sealed = nonce + self._aead.encrypt(nonce, text.encode(), None)
        return PREFIX + base64.urlsafe_b64encode(sealed).decode()

    def open(self, value: str) -> str:
        """The plain text of a sealed value (a plain legacy value is returned as it is)."""
        if not is_sealed(value):
            return value
        raw = base64.urlsafe_b64decode(value[len(PREFIX) :])
        try:
            return self._aead.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], None).decode()
        except InvalidTag as exc:
            raise ValueError("sealed with another key or altered") from exc

    def lookup(self, text: str, kind: str) -> str:
        """A keyed digest (HMAC-SHA256, hex) of `text` for exact look-up of sealed values: store
        it beside the sealed value and search by `lookup(query, kind)`. `kind` (e.g. "phone",
        "id_number") keeps equal texts of different kinds apart. Normalise `text` first (case,
        spaces): equal digests need equal texts."""
        message = kind.encode() + b"\x00" + text.encode()
        return hmac.new(self._lookup_key, message, hashlib.sha256).hexdigest()


def is_sealed(value: str) -> bool:
    return value.startswith(PREFIX)


def mask_personal(text: str) -> str:
    """What a person sees before revealing: 138****1234 for a phone, else the first character."""
    if not text:
        return ""
    digits = sum(c.isdigit() for c in text)
    if digits >= 7 and len(text) >= 7:
        return f"{text[:3]}****{text[-4:]}"
    return text[0] + "***"


async def sealing_key(sessions: async_sessionmaker[AsyncSession]) -> bytes:
    """The deployment's key, generated on first start and kept in the settings table."""
    async with sessions.begin() as session:
        row = await session.get(Setting, _KEY_SETTING)
        if row is None:
            key = AESGCM.generate_key(bit_length=256)
            row = Setting(key=_KEY_SETTING, value=base64.urlsafe_b64encode(key).decode())
            session.add(row)
        return base64.urlsafe_b64decode(row.value)
