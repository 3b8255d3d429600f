"""Who is on the other end: the client's address and the origin it reached the hub at.

Forwarded headers (X-Forwarded-For/-Proto/-Host) are believed only when the peer is one of
the configured `trusted_proxies`; anyone else could write whatever address they like into
them and slip past a per-address limit.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

from aiohttp import web

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
# Kept in an app key of its own (not read from the settings) so that hub.web, which every
# module imports, can use this module without importing the app's keys.
TRUSTED_PROXIES: web.AppKey[tuple[Network, ...]] = web.AppKey("trusted_proxies", tuple)


def trust(app: web.Application, proxies: Iterable[str]) -> None:
    """Believe forwarded headers from `proxies` (addresses or networks); none by default."""
    app[TRUSTED_PROXIES] = networks(proxies)


def networks(trusted: Iterable[str]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(item, strict=False) for item in trusted)


def within(address: str | None, allowed: Sequence[Network]) -> bool:
    """Is `address` in one of `allowed`? An IPv4-mapped IPv6 address counts as IPv4 (a
    dual-stack listener sees 127.0.0.1 as ::ffff:127.0.0.1)."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip in net for net in allowed)


def _proxies(request: web.Request) -> tuple[Network, ...]:
    return request.app.get(TRUSTED_PROXIES, ())


def client_address(request: web.Request) -> str:
    """The peer, or behind trusted proxies the nearest X-Forwarded-For hop that is not one."""
    trusted = _proxies(request)
    address = request.remote or "unknown"
    if not within(address, trusted):
        return address[:64]
    hops = [h.strip() for h in request.headers.get("X-Forwarded-For", "").split(",")]
    for hop in reversed([h for h in hops if h]):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            break  # garbage in the chain: keep the last address a trusted proxy vouched for
        address = hop
        if not within(hop, trusted):
            break
    return address[:64]


def forwarded_from_proxy(request: web.Request) -> bool:
    return within(request.remote, _proxies(request))


def own_origin(request: web.Request) -> str:
    """scheme://host[:port] the client used to reach the hub (lower case, as browsers send)."""
    scheme, host = request.scheme, request.host
    if forwarded_from_proxy(request):
        proto = request.headers.get("X-Forwarded-Proto", "").split(",")[0].strip().lower()
        scheme = proto if proto in ("http", "https") else scheme
        host = request.headers.get("X-Forwarded-Host", "").split(",")[0].strip() or host
    default = {"http": ":80", "https": ":443"}[scheme] if scheme in ("http", "https") else ""
    if default and host.endswith(default):
        host = host[: -len(default)]  # browsers leave the default port out of Origin
    return f"{scheme}://{host}".lower()


def is_https(request: web.Request) -> bool:
    return own_origin(request).startswith("https://")
