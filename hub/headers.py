"""Security headers on every response the hub sends: pages, assets, API answers, errors,
redirects and the socket.io upgrade.

They are added in aiohttp's `on_response_prepare` signal, not in a middleware: the signal runs
for every response just before its headers go out, including the ones a middleware never sees
returned (a redirect raised as an exception, python-socketio's own answers, the metrics
middleware's). docs/security.md explains each header and each allowance of the page policy.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from urllib.parse import urlsplit

from aiohttp import web

from hub.keys import SETTINGS

log = logging.getLogger(__name__)

# Every response. Cameras, microphones and positions are for the hub's own pages only (the
# field app reports positions and talks; the console calls and pulls video).
COMMON = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": (
        "camera=(self), microphone=(self), geolocation=(self), "
        "display-capture=(), payment=(), usb=()"
    ),
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}
# Only over https (a browser ignores it over http, and an intranet hub may have no TLS).
HSTS = "max-age=31536000"
# Anything that is not a page (JSON, files, assets): nothing may run or load in it.
OTHER_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
# A tile server's origin goes into the policy as it is: nothing but a host (or *.host) and port.
TILE_HOST = re.compile(r"^(\*\.)?[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$")

# (the pages' policy, everyone else's), made once from the settings
POLICIES: web.AppKey[tuple[str, str]] = web.AppKey("security_policies")


@lru_cache(maxsize=16)
def page_policy(tile_url: str | None, script_hashes: tuple[str, ...] = ()) -> str:
    """The Content-Security-Policy of the HTML pages (console, big screen, field, report).
    `script_hashes`: base64 SHA-256 of the page's inline scripts (only its import map)."""
    tiles = tile_origin(tile_url)
    images = "'self' data: blob:" + (f" {tiles}" if tiles else "")
    scripts = "".join(f" 'sha256-{digest}'" for digest in script_hashes)
    return "; ".join(
        (
            "default-src 'self'",
            f"script-src 'self'{scripts}",
            "style-src 'self'",
            f"img-src {images}",
            "media-src 'self' blob:",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


def tile_origin(tile_url: str | None) -> str | None:
    """The origin of the map's tile server (`{s}` subdomains as `*.`); None when the tiles
    come from the hub itself, or when the setting is not an http(s) URL (then no tile loads)."""
    if not tile_url:
        return None
    parts = urlsplit(tile_url.replace("{s}.", "*."))
    if not parts.scheme and not parts.netloc:
        return None  # a path on the hub itself: 'self'
    host = parts.netloc.rpartition("@")[2]
    if parts.scheme not in ("http", "https") or not TILE_HOST.match(host):
        log.warning("map_tile_url is not an http(s) URL: no tile loads", extra={"url": tile_url})
        return None
    return f"{parts.scheme}://{host}"


def as_page(request: web.Request, script_hashes: tuple[str, ...] = ()) -> dict[str, str]:
    """The headers that make a response one of the hub's pages. A page handler sets them itself
    because its 304 answers need them too: a browser revalidating a page takes the 304's
    headers for the page it keeps, and a 304 has no content type to tell a page by.
    `script_hashes` allow the page's inline import map (consoles/serve.py)."""
    if script_hashes:
        tile_url = request.config_dict[SETTINGS].map_tile_url
        return {"Content-Security-Policy": page_policy(tile_url, script_hashes)}
    return {"Content-Security-Policy": request.config_dict[POLICIES][0]}


def install(app: web.Application) -> None:
    """Send the headers on every response of `app` (its settings must be set)."""
    app[POLICIES] = (page_policy(app[SETTINGS].map_tile_url), OTHER_POLICY)
    app.on_response_prepare.append(_add_headers)


async def _add_headers(request: web.Request, response: web.StreamResponse) -> None:
    page, other = request.config_dict[POLICIES]
    headers = response.headers
    for name, value in COMMON.items():
        headers.setdefault(name, value)
    is_page = response.content_type == "text/html"  # as_page covers the pages' 304s
    headers.setdefault("Content-Security-Policy", page if is_page else other)
    if request.secure:
        headers.setdefault("Strict-Transport-Security", HSTS)
