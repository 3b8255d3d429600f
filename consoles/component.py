"""The web consoles as a built-in component (entry point `gridhub.components: consoles`)."""

from __future__ import annotations

from consoles import maptiles, serve
from hub.components import BuiltIn

COMPONENT = BuiltIn("consoles", mounts=(serve.mount, maptiles.mount))
