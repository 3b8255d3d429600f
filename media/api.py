"""/api/v1/media: the media workers as the hub sees them."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from hub import policy
from hub.access import COMMAND_ROLES
from hub.web import Call, Router
from media.wiring import MEDIA

WORKERS_READ = policy.for_roles("media.workers", COMMAND_ROLES, policy.Scope.NONE)


class WorkerOut(BaseModel):
    name: str
    embedded: bool
    url: str | None
    pid: int | None
    state: str
    restarts: int
    participants: int | None
    rooms: int | None
    capacity: int | None
    cpu: float | None


def build_router() -> Router:
    router = Router("/api/v1/media", "media")

    @router.get(
        "/workers",
        summary="Media workers: state, restarts and the last load report (commanders, admins)",
        response=list[WorkerOut],
        rule=WORKERS_READ,
    )
    async def workers(call: Call[None, None]) -> list[dict[str, Any]]:
        return [slot.public() for slot in call.request.app[MEDIA].slots.values()]

    return router
