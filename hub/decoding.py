"""Safe decoding of JSON and msgpack that arrives from the network.

`json.loads` recurses once per nesting level (100,000 `[` raise RecursionError), turns `1e400`
into infinity and reads integers of any size (then `float(10**400)` raises OverflowError far
from the parser); `msgpack.unpackb` trusts the lengths a header claims. Every decoder that
reads bytes a client sent goes through here instead, with explicit limits, and every failure,
whatever raised it, becomes one `DecodeError` with a stable code:

- `frame.too_large`: more bytes than `max_bytes`, or an array, object or string above its limit;
- `frame.too_deep`: arrays and objects nested more than `max_depth` levels;
- `frame.malformed`: not UTF-8, JSON or msgpack; an integer outside int64; NaN or infinity; a
  string with a lone surrogate; a msgpack extension type.

JSON depth is measured before parsing, without recursion: strings are cut out, and the
remaining brackets lose their innermost pairs once per level, so at most `max_depth` passes of
a regular expression (each linear) decide it. Lengths and strings are checked on the parsed
tree, iteratively; for JSON only when a cheap count shows a limit could be exceeded.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any, NoReturn

import msgpack

from hub.errors import InvalidInput

INT_MIN, INT_MAX = -(2**63), 2**63 - 1
# A JSON string, unterminated at the end of the text too; possessive, so the scan is linear.
_STRING = re.compile(r'"(?:[^"\\]++|\\.)*+"?', re.DOTALL)
_NOT_BRACKET = bytes(b for b in range(256) if b not in b"[]{}")
_INNERMOST = re.compile(rb"\[\]|\{\}")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


@dataclass(frozen=True, slots=True)
class Limits:
    max_bytes: int  # the whole document (characters for text already decoded)
    max_depth: int = 32  # nested arrays/objects: `[]` is 1, `[[]]` is 2
    max_length: int = 10_000  # items of one array or entries of one object
    max_string: int = 65_536  # characters of one string (msgpack: bytes of a str or bin)


# HTTP request bodies (the application refuses bodies above 8 MiB before they are read).
HTTP_LIMITS = Limits(max_bytes=8 * 1024 * 1024, max_length=100_000, max_string=1024 * 1024)


class DecodeError(ValueError):
    """Bytes that are not a document within the limits; `code` is stable (frame.*)."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason  # malformed | too_deep | too_large
        self.code = f"frame.{reason}"
        self.message = message


def decode_json(data: str | bytes, limits: Limits) -> Any:
    """A JSON document (bytes must be UTF-8) within `limits`, or DecodeError."""
    if len(data) > limits.max_bytes:
        _fail("too_large", f"the document is larger than {limits.max_bytes} bytes")
    text = data if isinstance(data, str) else _utf8(data)
    _check_json_depth(text, limits.max_depth)
    try:
        value = json.loads(
            text, parse_int=_json_int, parse_float=_json_float, parse_constant=_json_constant
        )
    except DecodeError:
        raise
    except Exception:  # JSONDecodeError, and anything else a hostile text may raise
        _fail("malformed", "the document is not valid JSON")
    if _json_needs_walk(text, limits):
        check_tree(value, limits)
    return value


def decode_msgpack(data: bytes, limits: Limits) -> Any:
    """One msgpack object within `limits`, or DecodeError."""
    if len(data) > limits.max_bytes:
        _fail("too_large", f"the document is larger than {limits.max_bytes} bytes")
    try:
        value = msgpack.unpackb(
            data,
            raw=False,
            strict_map_key=True,
            max_str_len=limits.max_string,
            max_bin_len=limits.max_string,
            max_array_len=limits.max_length,
            max_map_len=limits.max_length,
            ext_hook=_refuse_extension,
        )
    except DecodeError:
        raise
    except msgpack.StackError:
        _fail("too_deep", f"nested deeper than {limits.max_depth} levels")
    except Exception as exc:  # FormatError, ExtraData, UnicodeDecodeError, a length limit...
        if "exceeds max" in str(exc):  # the unpacker's words for a max_*_len refusal
            _fail("too_large", "an array, map, string or binary is longer than allowed")
        _fail("malformed", "the document is not valid msgpack")
    check_tree(value, limits)
    return value


def decode(data: str | bytes, limits: Limits) -> Any:
    """JSON for text, msgpack for binary (how WebSocket peers send either)."""
    return decode_json(data, limits) if isinstance(data, str) else decode_msgpack(data, limits)


def parse_json_body(
    raw: bytes | str, code: str = "request.json_invalid", limits: Limits = HTTP_LIMITS
) -> Any:
    """An HTTP body as JSON, or the hub's structured 422 (`details.reason`: the frame.* code)."""
    try:
        return decode_json(raw, limits)
    except DecodeError as exc:
        raise InvalidInput(code, exc.message, details={"reason": exc.code}) from None


def check_tree(value: Any, limits: Limits) -> None:
    """Depth, lengths, strings and numbers of a decoded document, without recursion."""
    if not isinstance(value, dict | list):
        _scalar(value, limits)
        return
    stack: list[tuple[dict[Any, Any] | list[Any], int]] = [(value, 1)]
    while stack:
        container, depth = stack.pop()
        if depth > limits.max_depth:
            _fail("too_deep", f"nested deeper than {limits.max_depth} levels")
        if len(container) > limits.max_length:
            _fail("too_large", f"an array or object has more than {limits.max_length} items")
        if isinstance(container, dict):
            _scalars(container.keys(), limits)
            children: Any = container.values()
        else:
            children = container
        nested = _scalars(children, limits)
        stack.extend((child, depth + 1) for child in nested)


def _scalars(items: Any, limits: Limits) -> list[dict[Any, Any] | list[Any]]:
    """Check the scalars among `items` (type() tests: this is the hot loop); the containers."""
    nested: list[dict[Any, Any] | list[Any]] = []
    for item in items:
        kind = type(item)
        if kind is str:
            if len(item) > limits.max_string or not item.isascii():
                _scalar(item, limits)
        elif kind is float:
            if not math.isfinite(item):
                _scalar(item, limits)
        elif kind is dict or kind is list:
            nested.append(item)
        elif kind is not int or not INT_MIN <= item <= INT_MAX:
            _scalar(item, limits)
    return nested


def _scalar(item: Any, limits: Limits) -> None:
    if item is None or isinstance(item, bool):
        return
    if isinstance(item, int):
        _in_range(item)
    elif isinstance(item, float):
        if not math.isfinite(item):
            _fail("malformed", "numbers must be finite")
    elif isinstance(item, str):
        if len(item) > limits.max_string:
            _fail("too_large", f"a string is longer than {limits.max_string} characters")
        if not item.isascii():
            _unicode(item)
    elif isinstance(item, bytes):
        if len(item) > limits.max_string:
            _fail("too_large", f"a binary value is longer than {limits.max_string} bytes")
    else:  # msgpack's Timestamp (the one extension the unpacker builds itself)
        _fail("malformed", f"unsupported value of type {type(item).__name__}")


def _unicode(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        _fail("malformed", "a string holds a lone surrogate (not Unicode text)")


def _in_range(value: int) -> None:
    if not INT_MIN <= value <= INT_MAX:
        _fail("malformed", "integers must fit in 64 bits (-2^63 to 2^63-1)")


def _utf8(data: bytes) -> str:
    try:
        return bytes(data).decode("utf-8")
    except UnicodeDecodeError:
        _fail("malformed", "the document is not valid UTF-8")


def _check_json_depth(text: str, max_depth: int) -> None:
    if text.count("[") + text.count("{") <= max_depth:
        return  # fewer brackets than levels: the cheap common case
    outside_strings = _STRING.sub("", text).encode("utf-8", "surrogatepass")
    brackets = outside_strings.translate(None, _NOT_BRACKET)
    for _ in range(max_depth):
        if not brackets:
            return
        fewer = _INNERMOST.sub(b"", brackets)
        if fewer == brackets:  # nothing pairs up: unbalanced, so not JSON
            _fail("malformed", "the document is not valid JSON (unbalanced brackets)")
        brackets = fewer
    if brackets:
        _fail("too_deep", f"nested deeper than {max_depth} levels")


def _json_needs_walk(text: str, limits: Limits) -> bool:
    """Whether a length or string limit could be broken (else the parse hooks sufficed)."""
    return (
        text.count(",") >= limits.max_length
        or len(text) > limits.max_string
        or _SURROGATE_ESCAPE.search(text) is not None
    )


def _json_int(digits: str) -> int:
    if len(digits) > 20:  # longer than any int64, and int() of it would cost quadratic time
        _fail("malformed", "integers must fit in 64 bits (-2^63 to 2^63-1)")
    value = int(digits)
    _in_range(value)
    return value


def _json_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        _fail("malformed", "numbers must be finite")
    return value


def _json_constant(name: str) -> NoReturn:
    _fail("malformed", f"{name} is not a JSON number")


def _refuse_extension(code: int, data: bytes) -> NoReturn:
    _fail("malformed", f"msgpack extension type {code} is not accepted")


def _fail(reason: str, message: str) -> NoReturn:
    raise DecodeError(reason, message)
