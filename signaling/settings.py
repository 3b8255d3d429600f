"""Settings of 1:1 calls and video pull: the `[calls]` table, GRIDHUB_CALLS__* variables.

Registered through the `gridhub.settings` entry point `calls`; the hub assembles its Settings
class from these while hub.settings is imported, so this module imports nothing of hub.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, SecretStr


class CallSettings(BaseModel):
    """1:1 calls and video pull (signaling/): ICE servers, ring timeout, node lease, pull policy."""

    ice_servers: list[str] = Field(
        default_factory=list, description="stun:/turn:/turns: URLs given to call clients"
    )
    turn_secret: SecretStr | None = Field(
        None, description="coturn static-auth-secret (use-auth-secret) for TURN credentials"
    )
    turn_ttl_s: int = Field(
        900, ge=60, le=86_400, description="TURN credentials (never past the access token)"
    )
    ring_timeout_s: float = Field(30.0, gt=0, le=600)
    lease_s: float = Field(
        15.0, gt=0, le=600, description="a call whose devices' node is silent this long ends"
    )
    pull_consent: Literal["ask", "auto"] = Field(
        "ask", description="video pull: the worker's app asks its user, or accepts by itself"
    )
    pull_auto_roles: list[
        Literal["admin", "commander", "dispatcher", "grid_leader", "grid_worker", "resident"]
    ] = Field(default_factory=list, description="roles of the person pulled whose app auto-accepts")
    pull_timeout_s: float = Field(20.0, gt=0, le=600)
