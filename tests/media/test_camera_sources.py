"""RTSP sources against the allow-list: default deny, every address checked, the address pinned."""

from __future__ import annotations

from ipaddress import ip_address, ip_network

import pytest

from hub.errors import InvalidInput
from media.camera.policy import CameraSettings
from media.camera.sources import inside, pinned_rtsp

LOOPBACK = CameraSettings(allowed_networks=["127.0.0.0/8", "::1/128"])


async def refused(url: str, settings: CameraSettings) -> str:
    with pytest.raises(InvalidInput) as caught:
        await pinned_rtsp(url, settings)
    return caught.value.code


async def test_by_default_no_rtsp_source_is_allowed() -> None:
    for url in ("rtsp://127.0.0.1/a", "rtsp://10.1.2.3:554/a", "rtsp://localhost:8554/a"):
        assert await refused(url, CameraSettings()) == "camera.source_forbidden"


async def test_the_address_connected_to_is_the_one_checked() -> None:
    assert await pinned_rtsp("rtsp://localhost/live", LOOPBACK) == "rtsp://127.0.0.1:554/live"
    assert (
        await pinned_rtsp("rtsps://u:p%40ss@localhost:8554/a?x=1", LOOPBACK)
        == "rtsps://u:p%40ss@127.0.0.1:8554/a?x=1"
    )
    assert await pinned_rtsp("rtsp://[::1]:8554/a", LOOPBACK) == "rtsp://[::1]:8554/a"
    # an IPv4 address written as IPv6 is the IPv4 address
    assert await pinned_rtsp("rtsp://[::ffff:127.0.0.1]/a", LOOPBACK) == "rtsp://127.0.0.1:554/a"
    assert await refused("rtsp://[::ffff:10.0.0.1]/a", LOOPBACK) == "camera.source_forbidden"


async def test_ports_and_names_outside_are_refused() -> None:
    assert await refused("rtsp://127.0.0.1:22/a", LOOPBACK) == "camera.source_forbidden"
    assert await refused("rtsps://127.0.0.1/a", LOOPBACK) == "camera.source_forbidden"  # 322
    assert await refused("rtsp://192.168.1.20/a", LOOPBACK) == "camera.source_forbidden"
    assert await refused("rtsp://nothing.invalid/a", LOOPBACK) == "camera.source_unresolved"
    assert await refused("http://127.0.0.1/a", LOOPBACK) == "camera.source_invalid"


def test_every_address_must_be_inside() -> None:
    networks = [ip_network("10.20.0.0/16"), ip_network("fd00::/8")]
    assert inside(ip_address("10.20.3.4"), networks)
    assert inside(ip_address("fd12::1"), networks)
    assert not inside(ip_address("10.21.0.1"), networks)
    assert not inside(ip_address("::ffff:10.20.3.4"), networks)  # pinned_rtsp unwraps it first
