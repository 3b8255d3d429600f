"""/api/v1/roles: the role catalogue (core roles and those of the enabled plugins)."""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import BaseModel, Field

from hub import policy
from hub.access import STAFF_ROLES
from hub.keys import ROLES
from hub.roles import CatalogueEntry
from hub.web import Call, Router


class RoleInfoOut(BaseModel):
    name: str
    title_zh: str
    title_en: str
    description_zh: str
    description_en: str
    owner: str = Field(description='"core", or the name of the plugin that declares the role')
    staff: bool = Field(description="holders count as grid staff (people in scope, channels)")


def role_info_out(entry: CatalogueEntry) -> RoleInfoOut:
    spec = entry.spec
    return RoleInfoOut(
        name=spec.name,
        title_zh=spec.title_zh,
        title_en=spec.title_en,
        description_zh=spec.description_zh,
        description_en=spec.description_en,
        owner=entry.owner,
        staff=spec.staff,
    )


def list_rule(staff: Iterable[str]) -> policy.Rule:
    """Staff (core or plugin staff roles of this hub) and admins: whoever assigns or is shown
    roles. One action, one rule per hub: its staff roles depend on the enabled plugins."""
    return policy.for_roles("roles.list", staff, policy.Scope.NONE)


def build_router(staff: Iterable[str] = STAFF_ROLES) -> Router:
    router = Router("/api/v1/roles", "roles")

    @router.get(
        "",
        summary="Every role: core and the enabled plugins', with titles",
        response=list[RoleInfoOut],
        rule=list_rule(staff),
    )
    async def list_roles(call: Call[None, None]) -> list[RoleInfoOut]:
        entries = call.request.app[ROLES].entries()
        return [role_info_out(e) for e in entries]

    return router
