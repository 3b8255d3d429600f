"""Hypothesis against the running endpoint: whatever a device sends, the hub stays up and
other devices keep being served. The hub is a real `gridhub serve` process."""

from __future__ import annotations

import asyncio
import itertools
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import msgpack
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plugins.alarms.client import DeviceClient
from tests import services
from tests.cluster.nodes import Node, wait_healthy
from tests.plugins.alarms.conftest import WATER
from tests.plugins.alarms.test_durability import start_node

FUZZER = "dev-cam-01"

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**64), max_value=2**64),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=6) | st.dictionaries(st.text(max_size=12), inner),
    max_leaves=30,
)
frame_like = st.fixed_dictionaries(
    {
        "type": st.sampled_from(
            ["telemetry", "alarm", "clear", "heartbeat", "batch", "auth", "hello", "", "x"]
        ),
        "seq": st.one_of(st.integers(min_value=-5, max_value=2**70), values),
    },
    optional={
        "ts": values,
        "metrics": st.dictionaries(st.text(max_size=10), values, max_size=5) | values,
        "alarm": st.text(max_size=70) | values,
        "severity": st.sampled_from(["CRITICAL", "MAJOR", "minor", ""]) | values,
        "value": values,
        "message": st.text(max_size=600),
        "frames": st.lists(values, max_size=5) | values,
    },
)


@st.composite
def messages(draw: st.DrawFn) -> tuple[str | bytes, ...]:
    """A few messages: JSON text, msgpack, raw bytes/text, oversized."""
    one = st.one_of(
        frame_like.map(lambda f: json.dumps(f, default=str)),
        frame_like.map(lambda f: msgpack.packb(f, default=str)),
        values.map(lambda v: json.dumps(v, default=str)),
        st.binary(max_size=300),
        st.text(max_size=300),
        st.just(b"\x91" * 70_000),
    )
    return tuple(draw(st.lists(one, min_size=1, max_size=8)))


@pytest.fixture(scope="module")
def fuzz_hub(tmp_path_factory: pytest.TempPathFactory, demo_template: Path) -> Iterator[str]:
    data_dir = tmp_path_factory.mktemp("fuzz")
    shutil.copyfile(demo_template, data_dir / "gridhub.db")
    port = services.free_port()
    node: Node = start_node(data_dir, port, "fuzz")
    try:
        services.run_async(wait_healthy(node))
        yield node.url
    finally:
        assert node.process.poll() is None, node.log.read_text()[-2000:]
        node.stop()


async def send_garbage(url: str, key: str, sent: tuple[str | bytes, ...], auth: bool) -> None:
    async with aiohttp.ClientSession() as http, http.ws_connect(url + "/ws/device") as ws:
        if auth:
            await ws.send_str(json.dumps({"type": "auth", "device": FUZZER, "key": key}))
        for message in sent:
            if ws.closed:
                break
            try:
                if isinstance(message, bytes):
                    await ws.send_bytes(message)
                else:
                    await ws.send_str(message)
            except ConnectionError:
                break  # the hub closed this connection (as it may): fine
        try:
            async with asyncio.timeout(0.3):
                async for _ in ws:
                    pass
        except TimeoutError:
            pass


async def still_served(url: str, key: str, seq: int) -> None:
    device = DeviceClient(url, WATER, key, seq=seq)
    try:
        await device.connect()
        await device.wait_acked(await device.heartbeat(), within_s=10)
    finally:
        await device.close()
    async with aiohttp.ClientSession() as http, http.get(url + "/healthz") as response:
        assert response.status == 200


def test_the_endpoint_survives_anything(fuzz_hub: str, device_keys: dict[str, str]) -> None:
    counter = itertools.count(1)

    @settings(
        max_examples=60,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(sent=messages(), auth=st.booleans())
    def run(sent: tuple[Any, ...], auth: bool) -> None:
        async def example() -> None:
            await send_garbage(fuzz_hub, device_keys[FUZZER], sent, auth)
            await still_served(fuzz_hub, device_keys[WATER], next(counter) * 10)

        asyncio.run(example())

    run()
