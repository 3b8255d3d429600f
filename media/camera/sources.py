"""Validation of camera sources: an RTSP URL, or a media file under a configured root.

An RTSP source makes the hub (its media worker) connect wherever the URL points, so its host
must resolve only to addresses in `media.cameras.allowed_networks` and its port be one of
`allowed_ports`. The check is made when a source is registered and again each time it is
opened, and the address checked is the one connected to: the URL handed to the worker carries
the address, not the name, so a DNS answer that changes in between (rebinding) cannot send the
worker elsewhere.
"""

from __future__ import annotations

import asyncio
import socket
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address
from pathlib import Path
from urllib.parse import SplitResult, urlsplit, urlunsplit

import av

from hub.errors import InvalidInput
from media.camera.policy import CameraSettings

MAX_SOURCE = 1024
PROBE_TIMEOUT_S = 10.0
RESOLVE_TIMEOUT_S = 5.0
DEFAULT_PORTS = {"rtsp": 554, "rtsps": 322}
Address = IPv4Address | IPv6Address
Network = IPv4Network | IPv6Network


def check_rtsp(url: str) -> str:
    if len(url) > MAX_SOURCE or any(c.isspace() for c in url):
        raise InvalidInput("camera.source_invalid", "the URL is too long or has spaces")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise InvalidInput("camera.source_invalid", "the URL cannot be parsed") from None
    if parts.scheme not in ("rtsp", "rtsps") or not parts.hostname:
        raise InvalidInput("camera.source_invalid", "give an rtsp:// or rtsps:// URL with a host")
    if port == 0:
        raise InvalidInput("camera.source_invalid", "the URL's port is invalid")
    return url


async def pinned_rtsp(url: str, settings: CameraSettings) -> str:
    """`url` with its host replaced by the address it resolves to, if every address the host
    resolves to is in an allowed network and its port is allowed; else InvalidInput."""
    parts = urlsplit(check_rtsp(url))
    port = parts.port or DEFAULT_PORTS[parts.scheme]
    if port not in settings.allowed_ports:
        raise InvalidInput(
            "camera.source_forbidden", f"port {port} is not in media.cameras.allowed_ports"
        )
    addresses = await resolve(parts.hostname or "", port)
    outside = [a for a in addresses if not inside(a, settings.allowed_networks)]
    if outside:
        raise InvalidInput(
            "camera.source_forbidden", f"{outside[0]} is not in media.cameras.allowed_networks"
        )
    return _with_address(parts, addresses[0], port)


async def resolve(host: str, port: int) -> list[Address]:
    """Every address `host` stands for (an address literal stands for itself)."""
    try:
        return [_plain(ip_address(host))]
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    try:
        infos = await asyncio.wait_for(
            loop.getaddrinfo(host, port, type=socket.SOCK_STREAM), RESOLVE_TIMEOUT_S
        )
    except (OSError, TimeoutError):
        infos = []
    found: list[Address] = []
    for *_, sockaddr in infos:
        address = _plain(ip_address(str(sockaddr[0]).split("%")[0]))
        if address not in found:
            found.append(address)
    if not found:
        raise InvalidInput("camera.source_unresolved", "the camera's host does not resolve")
    return found


def inside(address: Address, networks: list[Network]) -> bool:
    return any(address.version == n.version and address in n for n in networks)


def _plain(address: Address) -> Address:
    """::ffff:10.0.0.5 is 10.0.0.5 (checked against IPv4 networks)."""
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _with_address(parts: SplitResult, address: Address, port: int) -> str:
    host = f"[{address}]" if address.version == 6 else str(address)
    credentials, at, _ = parts.netloc.rpartition("@")
    netloc = f"{credentials}{at}{host}:{port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


async def check_file(source: str, roots: list[Path]) -> str:
    """The resolved path of a readable media file with video under one of `roots`."""
    if not Path(source).is_absolute() or len(source) > MAX_SOURCE:
        raise InvalidInput("camera.source_invalid", "give an absolute file path")
    try:
        return await asyncio.wait_for(
            asyncio.to_thread(_check, Path(source), roots), PROBE_TIMEOUT_S
        )
    except TimeoutError:
        raise InvalidInput("camera.source_unreadable", "the file could not be read") from None


def _check(path: Path, roots: list[Path]) -> str:
    resolved = path.resolve()
    if not any(resolved.is_relative_to(root) for root in roots):
        raise InvalidInput("camera.source_forbidden", "the file is outside the camera folders")
    if not resolved.is_file():
        raise InvalidInput("camera.source_missing", "no such file")
    try:
        with av.open(str(resolved)) as container:
            has_video = bool(container.streams.video)
    except av.FFmpegError:
        has_video = False
    if not has_video:
        raise InvalidInput("camera.source_unreadable", "the file is not a video PyAV can read")
    return str(resolved)
