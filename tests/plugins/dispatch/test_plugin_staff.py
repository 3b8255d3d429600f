"""Who dispatch assigns work to: the core staff roles, not another plugin's staff roles.

A plugin's `RoleSpec(staff=True)` makes its holders grid staff for the core (people and
presence in scope, grid channels). Dispatch's own rules (read, act on, accept an incident) are
the core staff roles, so a person holding only a plugin's staff role could not open an incident
given to them: dispatch refuses them as an assignee, as it refuses a resident, and a grid
worker over the same village is taken.
"""

from __future__ import annotations

from typing import Any

from hub.sdk import BasePlugin, PluginContext, RoleSpec
from hub.testing import HubClient, running_hub

VILLAGE = "370783-001-001"  # 东庄村: w01 is a grid worker there, v01.cmd its commander
RANGER = RoleSpec("patrol_ranger", "巡护员", "Ranger")  # staff=True by default


class Patrol(BasePlugin):
    name = "patrol"
    roles = (RANGER,)

    async def setup(self, ctx: PluginContext) -> None:
        return None


async def dispatch_to(
    commander: HubClient, incident: dict[str, Any], person_id: int
) -> tuple[int, dict[str, Any]]:
    body = {"version": incident["version"],
            "assignees": [{"kind": "person", "target": str(person_id)}]}  # fmt: skip
    path = f"/api/v1/dispatch/incidents/{incident['id']}/actions/dispatch"
    response = await commander.post(path, json=body)
    answer: dict[str, Any] = await response.json()
    return response.status, answer


async def report(commander: HubClient) -> dict[str, Any]:
    spec = {"title": "护林道倒树", "category": "env_sanitation", "grid": f"{VILLAGE}-01"}
    incident: dict[str, Any] = await commander.json("POST", "/api/v1/dispatch/incidents", json=spec)
    return incident


async def test_a_plugin_staff_role_alone_is_no_dispatch_assignee() -> None:
    async with running_hub(["dispatch", "alarms", Patrol()], demo=True) as hub:
        ranger_id = await hub.add_person("ranger", [(RANGER.name, VILLAGE)])
        commander = await hub.sign_in("v01.cmd")
        incident = await report(commander)
        status, refused = await dispatch_to(commander, incident, ranger_id)
        assert (status, refused["error"]["code"]) == (422, "incident.bad_assignee")
        ranger = await hub.sign_in("ranger")
        path = f"/api/v1/dispatch/incidents/{incident['id']}"
        assert await ranger.refused("GET", path) == (403, "auth.role_required")  # why
        assert await ranger.refused("GET", "/api/v1/alarms") == (403, "auth.role_required")
        status, taken = await dispatch_to(commander, incident, await hub.person_id("w01"))
        assert status == 200, taken
        assert [a["target"] for a in taken["assignments"]] == [str(await hub.person_id("w01"))]
