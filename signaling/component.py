"""Signaling as a built-in component (entry point `gridhub.components: signaling`)."""

from __future__ import annotations

from hub.components import BuiltIn
from signaling import api
from signaling.wiring import calls_ctx

COMPONENT = BuiltIn("signaling", contexts=(calls_ctx,), routers=(api.build_router,))
