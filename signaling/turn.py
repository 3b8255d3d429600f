"""ICE servers for call clients, with TURN credentials in coturn's `use-auth-secret` convention.

username = "<expiry unix time>:<person id>", credential = base64(HMAC-SHA1(secret, username));
coturn (static-auth-secret) recomputes the same and refuses the username after its expiry.

Such credentials cannot be revoked: coturn knows nothing of sign-out, so the expiry is the
only bound. It is therefore short (`calls.turn_ttl_s`, 15 min) and never later than the
access token that fetched it, so after a logout or revocation no new TURN allocation can be
made for longer than the access token would have lived. coturn checks the expiry when an
allocation is made; a call already relayed keeps its allocation (clients fetch fresh servers
before each call or ICE restart).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

from aiohttp import web

from hub.keys import IDENTITY
from signaling.settings import CallSettings

TURN_SCHEMES = ("turn:", "turns:")


def turn_credential(secret: str, username: str) -> str:
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def ice_servers(
    settings: CallSettings, person_id: int, now: float, not_after: float | None = None
) -> dict[str, Any]:
    """What a client passes to RTCPeerConnection: STUN as is, TURN with fresh credentials
    that expire after `turn_ttl_s`, or at `not_after` (the caller's access token) if sooner.

    TURN URLs are left out when no `turn_secret` is configured (they would be unusable).
    """
    stun = [u for u in settings.ice_servers if not u.startswith(TURN_SCHEMES)]
    turn = [u for u in settings.ice_servers if u.startswith(TURN_SCHEMES)]
    servers: list[dict[str, Any]] = [{"urls": stun}] if stun else []
    expires_at = int(now) + settings.turn_ttl_s
    if not_after is not None:
        expires_at = max(int(now), min(expires_at, int(not_after)))
    if turn and settings.turn_secret is not None:
        username = f"{expires_at}:{person_id}"
        secret = settings.turn_secret.get_secret_value()
        servers.append(
            {"urls": turn, "username": username, "credential": turn_credential(secret, username)}
        )
    return {"ice_servers": servers, "ttl_s": expires_at - int(now), "expires_at": expires_at}


def access_token_expiry(request: web.Request) -> float:
    """When the access token of this (authenticated) request runs out."""
    token = request.headers.get("Authorization", "").partition(" ")[2].strip()
    return float(str(request.app[IDENTITY].decode(token)["exp"]))
