"""The safe decoder: every limit at its boundary, hostile documents, agreement with json/msgpack."""

from __future__ import annotations

import json
from typing import Any

import msgpack
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hub.decoding import DecodeError, Limits, decode, decode_json, decode_msgpack, parse_json_body
from hub.errors import InvalidInput

LIMITS = Limits(max_bytes=4096, max_depth=4, max_length=8, max_string=16)


def nested(levels: int) -> list[Any]:
    value: list[Any] = []
    for _ in range(levels - 1):
        value = [value]
    return value


def refused(data: str | bytes, limits: Limits = LIMITS) -> str:
    with pytest.raises(DecodeError) as caught:
        decode(data, limits)
    return caught.value.code


@pytest.mark.parametrize("pack", [json.dumps, msgpack.packb], ids=["json", "msgpack"])
def test_limits_hold_at_their_boundaries(pack: Any) -> None:
    assert decode(pack(nested(4)), LIMITS) == nested(4)
    assert refused(pack(nested(5))) == "frame.too_deep"
    assert refused(pack({"a": nested(4)})) == "frame.too_deep"
    assert decode(pack(list(range(8))), LIMITS) == list(range(8))
    assert refused(pack(list(range(9)))) == "frame.too_large"
    assert refused(pack({str(i): i for i in range(9)})) == "frame.too_large"
    assert decode(pack(["x" * 16]), LIMITS) == ["x" * 16]
    assert refused(pack(["x" * 17])) == "frame.too_large"
    assert decode(pack([2**63 - 1, -(2**63)]), LIMITS) == [2**63 - 1, -(2**63)]
    assert refused(pack([2**63])) == "frame.malformed"
    assert refused(pack([float("inf")])) == "frame.malformed"
    assert refused(pack([float("nan")])) == "frame.malformed"


def test_hostile_json() -> None:
    big = Limits(max_bytes=1024 * 1024, max_depth=32)
    assert refused("[" * 100_000 + "]" * 100_000, big) == "frame.too_deep"
    assert refused("[" * 100_000, big) == "frame.malformed"  # unbalanced: never parsed
    assert refused('{"a":' + "[" * 50_000 + "}", big) == "frame.malformed"
    assert refused('{"seq": 1' + "0" * 400 + "}", big) == "frame.malformed"
    assert refused('{"seq": 1' + "0" * 5000 + "}", big) == "frame.malformed"
    assert refused('{"v": 1e400}', big) == "frame.malformed"
    assert refused('{"v": -Infinity}', big) == "frame.malformed"
    assert refused('{"s": "\\ud800"}', big) == "frame.malformed"  # lone surrogate
    assert decode('{"s": "\\ud83d\\ude00"}', big) == {"s": "\U0001f600"}  # a pair is fine
    # brackets inside strings are text, not nesting
    assert decode(json.dumps({"s": "[" * 1000, "t": '\\"]]'}), big)["s"] == "[" * 1000
    assert refused('"\\"' * 20_000, big) == "frame.malformed"  # many quotes, never closed
    assert refused("x" * 5000) == "frame.too_large"


def test_hostile_bytes() -> None:
    assert refused(b"\xdd\xff\xff\xff\xff") == "frame.too_large"  # claims 2^32-1 items
    assert refused(b"\x91" * 3000) == "frame.too_deep"
    assert refused(b"\xc1") == "frame.malformed"
    assert refused(msgpack.packb({"t": msgpack.ExtType(5, b"x")})) == "frame.malformed"
    assert refused(msgpack.packb(msgpack.Timestamp(1, 0))) == "frame.malformed"
    assert refused(msgpack.packb({1: 2})) == "frame.malformed"  # keys must be strings
    with pytest.raises(DecodeError) as caught:
        decode_json(b'{"a": "\xff"}', LIMITS)
    assert caught.value.code == "frame.malformed"


def test_http_bodies_get_the_hubs_structured_error() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_json_body(b"[" * 100_000 + b"]" * 100_000)
    error = caught.value.to_dict()["error"]
    assert error["code"] == "request.json_invalid"
    assert error["details"] == {"reason": "frame.too_deep"}


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
)
documents = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=40,
)
ROOMY = Limits(max_bytes=1024 * 1024, max_depth=64, max_length=1000, max_string=1000)


@settings(max_examples=300, deadline=None, database=None)
@given(documents)
def test_documents_within_the_limits_decode_as_the_libraries_do(document: Any) -> None:
    text = json.dumps(document)
    assert decode_json(text, ROOMY) == json.loads(text)
    assert decode_json(text.encode(), ROOMY) == json.loads(text)
    packed = msgpack.packb(document)
    assert decode_msgpack(packed, ROOMY) == msgpack.unpackb(packed)


@settings(max_examples=300, deadline=None, database=None)
@given(st.text(alphabet='[]{}"\\,:0 a', max_size=120))  # too short to nest 64 deep
def test_any_text_either_decodes_as_json_does_or_is_refused(text: str) -> None:
    try:
        expected = json.loads(text)
    except ValueError:
        expected = DecodeError
    try:
        got = decode_json(text, ROOMY)
    except DecodeError:
        got = DecodeError
    assert got == expected
