"""Personal data at rest (hub/personal.py): sealing, masking and keyed look-up digests."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from hub.personal import PersonalBox, is_sealed, mask_personal

KEY = bytes(range(32))


def test_a_sealed_value_opens_only_with_its_key() -> None:
    box = PersonalBox(KEY)
    sealed = box.seal("13800001234")
    assert is_sealed(sealed)
    assert "13800001234" not in sealed
    assert box.open(sealed) == "13800001234"
    with pytest.raises(ValueError, match="another key"):
        PersonalBox(AESGCM.generate_key(bit_length=256)).open(sealed)


def test_lookup_digests_find_equal_texts_of_one_kind() -> None:
    box = PersonalBox(KEY)
    digest = box.lookup("370783199001011234", "id_number")
    assert digest == PersonalBox(KEY).lookup("370783199001011234", "id_number")
    assert digest != box.lookup("370783199001011235", "id_number")
    # the same digits as a phone are another kind
    assert digest != box.lookup("370783199001011234", "phone")


def test_lookup_digests_are_keyed_per_deployment() -> None:
    text = "13800001234"
    digest = PersonalBox(KEY).lookup(text, "phone")
    assert digest != PersonalBox(bytes(32)).lookup(text, "phone")
    # neither a plain hash nor an HMAC under the sealing key itself
    assert digest != hashlib.sha256(text.encode()).hexdigest()
    assert digest != hmac.new(KEY, b"phone\x00" + text.encode(), hashlib.sha256).hexdigest()


def test_masks_show_little() -> None:
    assert mask_personal("13800001234") == "138****1234"
    assert mask_personal("张三") == "张***"
    assert mask_personal("") == ""
