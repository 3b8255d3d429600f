"""Keyed look-up digests of sealed values: the same ID number or phone always gives the same
digest, so an exact look-up is an index search on the digest while the value itself stays sealed
(AES-GCM with a random nonce cannot be searched).

The digest is the SDK's `ctx.personal.lookup(text, kind)` (HMAC-SHA256 under a key derived from
the deployment's sealing key), so the plugin keeps no secret of its own. This module only
normalises the texts (IDs upper-case, phones digits only) so equal values give equal digests.
"""

from __future__ import annotations

import re

from hub.sdk import PersonalBox

NOT_DIGITS = re.compile(r"\D")
ID_KIND, PHONE_KIND = "id_number", "phone"


class Hasher:
    """Look-up digests of normalised ID numbers and phones through `ctx.personal.lookup`."""

    def __init__(self, personal: PersonalBox) -> None:
        self._personal = personal

    def id_number(self, value: str) -> str:
        return self._personal.lookup(value.strip().upper(), ID_KIND)

    def phone(self, value: str) -> str:
        return self._personal.lookup(NOT_DIGITS.sub("", value), PHONE_KIND)
