"""Bus messages of the party plugin: its contract with other plugins."""

from __future__ import annotations

import dataclasses
from typing import ClassVar

from hub.sdk import DomainMessage


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class DisclosurePublished(DomainMessage):
    """The town approved a version of a village's disclosure; it is public now."""

    topic: ClassVar[str] = "party.disclosure.published"
    disclosure_id: int
    version: int
    grid_id: int
    category: str
    period: str


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class PointsAwarded(DomainMessage):
    """A line was added to a member's points ledger (once per source and ref)."""

    topic: ClassVar[str] = "party.points.awarded"
    member_id: int
    source: str
    ref: str
    points: int
