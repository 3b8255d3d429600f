"""Which host addresses aiortc's ICE agent (aioice) gathers candidates on.

aioice skips loopback when it lists the machine's addresses; media workers, test peers and load
generators that must stay on 127.0.0.1 (or on named addresses) use exactly these instead.
"""

from __future__ import annotations

from collections.abc import Callable

import aioice.ice

HostAddresses = Callable[[bool, bool], list[str]]


def only_addresses(addresses: list[str]) -> HostAddresses:
    """A replacement for aioice's host-address discovery listing exactly `addresses`."""

    def host_addresses(use_ipv4: bool, use_ipv6: bool) -> list[str]:
        return [a for a in addresses if (":" in a and use_ipv6) or (":" not in a and use_ipv4)]

    return host_addresses


def gather_only(addresses: list[str]) -> None:
    """From now on, in this process, ICE gathers host candidates on `addresses` only."""
    aioice.ice.get_host_addresses = only_addresses(addresses)  # type: ignore[assignment]
