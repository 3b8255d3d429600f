"""Categories other plugins offer (`CategoryOffered`): added when missing, never overwritten.

A plugin cannot write dispatch's catalogue; it publishes its categories at start-up and
dispatch adds each one whose code is new, audited as the plugin's act. An existing category,
seeded or edited by an administrator (even deactivated), is left exactly as it is.
"""

from __future__ import annotations

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError

from hub.sdk import Actor, HubError, PluginContext
from plugins.dispatch.catalogue import Catalogue, CategorySpec
from plugins.dispatch.messages import CategoryOffered
from plugins.dispatch.models import Category

GROUP = "dispatch.categories"


class OfferedCategories:
    def __init__(self, ctx: PluginContext, catalogue: Catalogue) -> None:
        self.ctx = ctx
        self.catalogue = catalogue

    async def subscribe(self) -> None:
        stop = await self.ctx.bus.subscribe(CategoryOffered, self.received, group=GROUP)
        self.ctx.on_cleanup(stop)

    async def received(self, offer: CategoryOffered) -> None:
        try:
            spec = CategorySpec.model_validate(
                {"code": offer.code, "name_zh": offer.name_zh, "name_en": offer.name_en,
                 "description": offer.description, "public": offer.public, "sla": offer.sla}
            )  # fmt: skip
            await self.add_if_missing(spec, offer.by_plugin[:64])
        except (ValidationError, HubError) as exc:
            details = {"code": offer.code[:64], "error": str(exc)[:500]}
            self.ctx.log.error("category offer refused", extra=details)
        except IntegrityError:
            return  # another node added it at the same moment

    async def add_if_missing(self, spec: CategorySpec, by_plugin: str) -> bool:
        async with self.ctx.sessions.begin() as session:
            if await session.get(Category, spec.code) is not None:
                return False
            await self.catalogue.put(session, spec)
            details = {"by_plugin": by_plugin, "name_zh": spec.name_zh}
            who = Actor(f"plugin:{by_plugin}", None)
            self.ctx.audit.record(session, who, "dispatch.category.offered", "category",
                                  spec.code, details)  # fmt: skip
        self.ctx.log.info("added category %s offered by %s", spec.code, by_plugin)
        return True
