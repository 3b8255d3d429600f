"""Property-based fuzzing of every socket event the hub registers (hub.realtime's registry).

Payloads come from each event's pydantic model (hypothesis-jsonschema over its JSON schema:
valid ones reach the handlers) and from hostile shapes: wrong types for the model's fields,
huge strings and integers, nested arrays and objects, non-objects. Each goes over a real
python-socketio connection, as an admin and as a resident. Every acknowledgement must be
`{"ok": true, ...}` or `{"ok": false, "error": {"code", "message"}}` with a code other than
`internal`; nothing may be logged at ERROR or with a traceback; the connection must stay up.
Packets too deep for a JSON encoder to write are sent raw. Seeded and bounded: see
docs/security.md, "Hostile input: fuzzing".
"""

from __future__ import annotations

import asyncio
import json
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import hypothesis
import pytest
import schemathesis
import socketio
from hypothesis import HealthCheck, Phase
from hypothesis import strategies as st
from pydantic import BaseModel
from schemathesis import GenerationMode

from hub import openapi
from hub.keys import REALTIME
from tests.fuzz.conftest import SEED, FuzzHub, examples
from tests.fuzz.live import LoopThread

WAIT = 15.0
BUDGET = {"admin": 30, "resident": 15}
# A JSON text nested this deep is refused by the hub's decoder, not by a stack overflow.
DEEP = 100_000

JSON_LEAVES = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40)
)
JSON_VALUES = st.recursive(
    JSON_LEAVES,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=12), inner),
    max_leaves=25,
)
HUGE = st.one_of(
    st.integers(10_000, 60_000).map(lambda n: "界" * n),  # frames stay below max_frame_bytes
    st.integers(2**63, 2**400) | st.integers(-(2**400), -(2**63)),
    st.integers(1, 400).map(lambda n: _nested(n, "[", "]")),
    st.integers(1, 400).map(lambda n: _nested(n, '{"a":', "}")),
    st.integers(1_000, 50_000).map(lambda n: list(range(n))),
)


def _nested(depth: int, opening: str, closing: str) -> Any:
    return json.loads(opening * depth + "0" + closing * depth)


def payloads(model: type[BaseModel]) -> st.SearchStrategy[Any]:
    """Payloads valid for `model` and not (from its schema), its fields with hostile values,
    and anything else."""
    names = list(model.model_fields) or ["x"]
    wrong_fields = st.dictionaries(
        st.sampled_from(names), JSON_VALUES | HUGE, min_size=1, max_size=2
    )
    return st.one_of(from_model(model), wrong_fields, JSON_VALUES, HUGE)


def from_model(model: type[BaseModel]) -> st.SearchStrategy[Any]:
    """Schemathesis's generator over the model's JSON schema, as the body of a one-operation
    document: valid payloads and payloads that break one of its rules."""
    schemas: dict[str, Any] = {}
    body = openapi.uniform_tuples(model.model_json_schema(ref_template=openapi.REF))
    schemas.update(body.pop("$defs", {}))
    content = {"application/json": {"schema": body}}
    operation = {"requestBody": {"required": True, "content": content}, "responses": {}}
    document = {
        "openapi": "3.1.0",
        "info": {"title": model.__name__, "version": "1"},
        "paths": {"/event": {"post": operation}},
        "components": {"schemas": schemas},
    }
    op = schemathesis.openapi.from_dict(document)["/event"]["POST"]
    modes = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    return st.one_of([op.as_strategy(mode).map(lambda case: case.body) for mode in modes])


@dataclass
class Peer:
    """A python-socketio client, driven from the test's thread through its own loop."""

    thread: LoopThread
    sio: socketio.AsyncClient = field(init=False)

    def connect(self, url: str, token: str) -> None:
        async def start() -> socketio.AsyncClient:
            sio = socketio.AsyncClient(reconnection=False)
            await sio.connect(url, auth={"token": token}, transports=["websocket"])
            return sio

        self.sio = self.thread.run(start())

    def call(self, event: str, data: Any) -> Any:
        return self.thread.run(self.sio.call(event, data, timeout=WAIT), timeout=WAIT + 5)

    def call_raw(self, text: str) -> Any:
        """Send `text` as the JSON of an event packet that asks for an acknowledgement,
        unchecked by any encoder (as a hostile client could); the acknowledgement."""

        async def call() -> Any:
            answered: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
            ack = self.sio._generate_ack_id("/", lambda data=None: answered.set_result(data))
            await self.sio.eio.send(f"2{ack}{text}")
            return await asyncio.wait_for(answered, WAIT)

        return self.thread.run(call())

    def wait_closed(self) -> None:
        self.thread.run(self.sio.wait())

    @property
    def connected(self) -> bool:
        return bool(self.sio.connected)

    def close(self) -> None:
        self.thread.run(self.sio.disconnect())


@pytest.fixture(scope="module")
def client_loop() -> Iterator[LoopThread]:
    thread = LoopThread("fuzz-socket-clients")
    yield thread
    thread.close()


@pytest.fixture(params=["admin", "resident"])
def peer(
    request: pytest.FixtureRequest, fuzz_hub: FuzzHub, client_loop: LoopThread
) -> Iterator[Peer]:
    caller = fuzz_hub.callers[request.param]
    assert caller.token is not None
    peer = Peer(client_loop)
    peer.connect(fuzz_hub.url, caller.token)
    peer.name = request.param  # type: ignore[attr-defined]
    yield peer
    peer.close()


def events(hub: FuzzHub) -> dict[str, type[BaseModel]]:
    registry = hub.served.app[REALTIME].events
    return {name: spec.model for name, spec in sorted(registry.items())}


def test_every_event_refuses_hostile_payloads_cleanly(fuzz_hub: FuzzHub, peer: Peer) -> None:
    name: str = peer.name  # type: ignore[attr-defined]
    fuzz_hub.logs.take()
    failures: list[str] = []
    sent = 0
    for event, model in events(fuzz_hub).items():
        try:
            sent += fuzz_event(fuzz_hub, peer, name, event, model)
        except Exception as exc:  # each event's failure is listed, then the next runs
            failures.append(f"{event}: {exc}"[:4000])
        if not peer.connected:
            failures.append(f"{event}: the hub dropped the connection")
            break
    assert not failures, "\n\n".join(failures)
    assert sent >= len(events(fuzz_hub))
    assert fuzz_hub.healthy()


def fuzz_event(hub: FuzzHub, peer: Peer, name: str, event: str, model: type[BaseModel]) -> int:
    calls = 0
    frame_limit = hub.served.app[REALTIME].settings.max_frame_bytes - 1024

    @hypothesis.seed(SEED ^ zlib.crc32(f"{name} {event}".encode()))
    @hypothesis.settings(
        max_examples=examples(BUDGET[name]),
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )
    @hypothesis.given(payload=payloads(model))
    def one(payload: Any) -> None:
        nonlocal calls
        # A frame over the limit closes the connection by design (its own test, below); the
        # model's longest strings can get there as escaped non-ASCII text.
        hypothesis.assume(frame_size(event, payload) < frame_limit)
        calls += 1
        ack = peer.call(event, payload)
        problems = hub.logs.take()
        shown = repr(payload)[:300]
        assert not problems, f"{event} {shown} -> {ack}\nlogged:\n" + "\n".join(problems)
        assert well_formed(ack), f"{event} {shown} -> {ack}"
        assert peer.connected, f"{event} {shown}: the hub dropped the connection"

    one()
    return calls


def frame_size(event: str, payload: Any) -> int:
    """About the size of the packet python-socketio sends (bytes travel as attachments)."""
    return len(json.dumps([event, payload], default=lambda raw: "b" * len(raw)))


def well_formed(ack: Any) -> bool:
    if not isinstance(ack, dict) or not isinstance(ack.get("ok"), bool):
        return False
    if ack["ok"]:
        return True
    error = ack.get("error")
    return (
        isinstance(error, dict)
        and isinstance(error.get("code"), str)
        and isinstance(error.get("message"), str)
        and error["code"] != "internal"
    )


def test_a_packet_nested_too_deep_is_refused_without_a_traceback(
    fuzz_hub: FuzzHub, peer: Peer
) -> None:
    fuzz_hub.logs.take()
    deep = "[" * DEEP + "]" * DEEP
    for text in (f'["presence.activity",{deep}]', f'["presence.activity",{{"a":{deep}}}]'):
        ack = peer.call_raw(text)
        assert ack["ok"] is False
        assert ack["error"]["code"] == "frame.too_deep"
    assert peer.call("presence.activity", {})["ok"] is True
    assert fuzz_hub.logs.take() == []


def test_an_integer_beyond_64_bits_is_refused_as_the_packet_is_read(
    fuzz_hub: FuzzHub, peer: Peer
) -> None:
    fuzz_hub.logs.take()
    ack = peer.call_raw(f'["alarms.assign",{{"alarm_id":1,"person_id":{2**64}}}]')
    assert ack["error"]["code"] == "frame.malformed"
    assert fuzz_hub.logs.take() == []


def test_a_frame_over_the_size_limit_ends_only_its_connection(
    fuzz_hub: FuzzHub, client_loop: LoopThread
) -> None:
    resident = fuzz_hub.callers["resident"]
    assert resident.token is not None
    peer = Peer(client_loop)
    peer.connect(fuzz_hub.url, resident.token)
    fuzz_hub.logs.take()
    limit = fuzz_hub.served.app[REALTIME].settings.max_frame_bytes
    client_loop.run(peer.sio.emit("presence.set", {"status": "x" * limit}))
    peer.wait_closed()
    assert not peer.connected
    assert fuzz_hub.logs.take() == []
    assert fuzz_hub.healthy()


def test_a_location_measured_before_1970_is_refused(fuzz_hub: FuzzHub, peer: Peer) -> None:
    fuzz_hub.logs.take()
    ack = peer.call("location.report", {"lat": 30.0, "lon": 120.0, "at": -1e246})
    assert ack["ok"] is False
    # Residents report no position at all (the event's rule comes before the payload).
    refusal = "auth.role_required" if peer.name == "resident" else "request.invalid"  # type: ignore[attr-defined]
    assert ack["error"]["code"] == refusal
    assert fuzz_hub.logs.take() == []
