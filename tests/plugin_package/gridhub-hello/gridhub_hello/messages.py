"""The plugin's public bus messages: another plugin may listen to these (and only these)."""

from __future__ import annotations

import dataclasses
from typing import ClassVar

from hub.sdk import DomainMessage


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class GreetingPosted(DomainMessage):
    """A greeting was stored (published after its transaction committed)."""

    topic: ClassVar[str] = "hello.greeting.posted"
    greeting_id: int
    grid_id: int
