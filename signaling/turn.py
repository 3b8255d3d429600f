"""ICE servers for call clients, with TURN credentials in coturn's `use-auth-secret` convention.

username = "<expiry unix time>:<person id>", credential = base64(HMAC-SHA1(secret, username));
coturn (static-auth-secret) recomputes the same and refuses the username after its expiry.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

from hub.settings import CallSettings

TURN_SCHEMES = ("turn:", "turns:")


def turn_credential(secret: str, username: str) -> str:
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def ice_servers(settings: CallSettings, person_id: int, now: float) -> dict[str, Any]:
    """What a client passes to RTCPeerConnection: STUN as is, TURN with fresh credentials.

    TURN URLs are left out when no `turn_secret` is configured (they would be unusable).
    """
    stun = [u for u in settings.ice_servers if not u.startswith(TURN_SCHEMES)]
    turn = [u for u in settings.ice_servers if u.startswith(TURN_SCHEMES)]
    servers: list[dict[str, Any]] = [{"urls": stun}] if stun else []
    expires_at = int(now) + settings.turn_ttl_s
    if turn and settings.turn_secret is not None:
        username = f"{expires_at}:{person_id}"
        secret = settings.turn_secret.get_secret_value()
        servers.append(
            {"urls": turn, "username": username, "credential": turn_credential(secret, username)}
        )
    return {"ice_servers": servers, "ttl_s": settings.turn_ttl_s, "expires_at": expires_at}
