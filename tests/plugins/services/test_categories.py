"""Plugins offer their dispatch categories (`CategoryOffered`): dispatch adds those it lacks,
audited as the plugin's act, and never changes one an administrator edited or deactivated."""

from __future__ import annotations

import dataclasses
from typing import Any

from hub.sdk import BasePlugin, PluginContext
from hub.testing import HubClient, RunningHub
from hub.testing.fixtures import StartGridHub
from plugins.dispatch.messages import CategoryOffered
from plugins.services.categories import OFFERED
from tests.plugins.services.conftest import services_hub


class Bus(BasePlugin):
    """The tests' own plugin, to publish on the bus as another plugin would."""

    name = "category_probe"
    optional = ("dispatch",)

    async def setup(self, ctx: PluginContext) -> None:
        self.ctx = ctx


async def catalogue(admin: HubClient) -> dict[str, dict[str, Any]]:
    listed = await admin.json("GET", "/api/v1/dispatch/categories")
    return {c["code"]: c for c in listed["items"]}


async def offered_hub(start: StartGridHub, bus: Bus) -> RunningHub:
    hub = await services_hub(start, "dispatch", "mediation", bus)
    await hub.settle()  # the offers made at start-up
    return hub


async def test_services_categories_are_added_once_and_audited(
    start_gridhub: StartGridHub,
) -> None:
    hub = await offered_hub(start_gridhub, Bus())
    admin = await hub.admin()
    found = await catalogue(admin)
    care = found["elderly_care"]
    assert (care["name_zh"], care["name_en"], care["public"]) == ("为老服务", "Elderly care", False)
    assert care["sla"] == {"sign": {"high": 3600}}
    assert found["gov_service"]["name_zh"] == "政务代办"
    assert found["dispute"]["name_zh"] == "矛盾纠纷"  # dispatch's own seed, left as it was
    query = {"target_type": "category", "target_id": "gov_service"}
    audit = await admin.json("GET", "/api/v1/audit", params=query)
    assert [(e["action"], e["actor"]) for e in audit] == [
        ("dispatch.category.offered", "plugin:services")
    ]
    # A dispute's category was seeded by dispatch: mediation's offer added nothing.
    query = {"target_type": "category", "target_id": "dispute"}
    assert await admin.json("GET", "/api/v1/audit", params=query) == []


async def test_an_admins_edit_or_deactivation_stands(start_gridhub: StartGridHub) -> None:
    bus = Bus()
    hub = await offered_hub(start_gridhub, bus)
    admin = await hub.admin()
    edited = {"code": "gov_service", "name_zh": "帮代办", "name_en": "Proxy service"}
    await admin.json("PUT", "/api/v1/dispatch/categories/gov_service", json=edited)
    care = {"code": "elderly_care", "name_zh": "为老服务", "name_en": "Care", "active": False}
    await admin.json("PUT", "/api/v1/dispatch/categories/elderly_care", json=care)
    for offer in OFFERED:  # as at the plugin's next start
        await bus.ctx.bus.publish(offer)
    bad = dataclasses.replace(OFFERED[0], code="Bad Code!", by_plugin="category_probe")
    await bus.ctx.bus.publish(bad)
    await hub.settle()
    found = await catalogue(admin)
    assert (found["gov_service"]["name_zh"], found["gov_service"]["name_en"]) == (
        "帮代办",
        "Proxy service",
    )
    assert "elderly_care" not in found  # still deactivated
    assert not any(" " in code for code in found)
    new = CategoryOffered(code="village_affairs", by_plugin="category_probe",
                          name_zh="村务", name_en="Village affairs")  # fmt: skip
    await bus.ctx.bus.publish(new)
    await hub.settle()
    assert (await catalogue(admin))["village_affairs"]["name_en"] == "Village affairs"
