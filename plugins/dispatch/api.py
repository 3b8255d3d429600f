"""HTTP API of the dispatch plugin, under /api/v1/dispatch."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import select

from hub.sdk import STAFF_ROLES, Call, InvalidInput, PluginContext, parse_id
from plugins.dispatch import access, contacts, kpi, queries
from plugins.dispatch.catalogue import Catalogue, CategorySpec, DepartmentSpec
from plugins.dispatch.kpi import KpiQuery
from plugins.dispatch.lifecycle import Action
from plugins.dispatch.models import Category, Department, Rule
from plugins.dispatch.responses import (
    CategoriesOut,
    CategoryOut,
    ContactOut,
    DepartmentOut,
    DepartmentsOut,
    DispatchRuleOut,
    DispatchRulesOut,
    IncidentChannelOut,
    IncidentDetailOut,
    IncidentOut,
    IncidentPageOut,
    KpisOut,
    SuggestionsOut,
)
from plugins.dispatch.schemas import ActionIn, IncidentQuery, NewIncident
from plugins.dispatch.service import Incidents


class DispatchRuleIn(BaseModel):
    category: str = Field(min_length=1, max_length=64)
    grid: str = Field(min_length=1, max_length=64, description="grid code whose subtree it covers")
    target_kind: str = Field(pattern="^(person|grid|department)$")
    target: str = Field(min_length=1, max_length=64)
    enabled: bool = True


def category_dict(c: Category) -> dict[str, Any]:
    return {
        "code": c.code, "name_zh": c.name_zh, "name_en": c.name_en,
        "description": c.description, "department": c.department, "fields": c.fields,
        "sla": c.sla, "public": c.public, "active": c.active,
    }  # fmt: skip


def rule_dict(r: Rule) -> dict[str, Any]:
    return {"id": r.id, "category": r.category, "grid_id": r.grid_id,
            "target_kind": r.target_kind, "target": r.target, "enabled": r.enabled}  # fmt: skip


async def _check_target(ctx: PluginContext, incidents: Incidents, rule: DispatchRuleIn) -> None:
    if rule.target_kind == "grid" and ctx.grids.index.find_code(rule.target) is None:
        raise InvalidInput("rule.bad_target", f"no grid {rule.target!r}")
    departments = {d.code for d in await incidents.catalogue.departments()}
    if rule.target_kind == "department" and rule.target not in departments:
        raise InvalidInput("rule.bad_target", f"no department {rule.target!r}")
    if rule.target_kind == "person":
        person_id = parse_id(rule.target)
        if person_id is None:
            raise InvalidInput("rule.bad_target", "a person target is a person id")
        await _require_staff(ctx, person_id, "rule.bad_target")


async def _require_staff(ctx: PluginContext, person_id: int, code: str) -> None:
    """Incidents go to staff only: a resident (or a disabled account) is no assignee. Core
    staff roles, the ones dispatch's rules let work on an incident (see actions._person)."""
    person = await ctx.directory.person(person_id)  # NotFound for an unknown person
    if not person.active or not any(r["role"] in STAFF_ROLES for r in person.roles):
        raise InvalidInput(code, f"{person.display_name} holds no staff role")


def install(ctx: PluginContext, incidents: Incidents, catalogue: Catalogue) -> None:
    _incident_routes(ctx, incidents)
    _kpi_routes(ctx)
    _catalogue_routes(ctx, catalogue)
    _rule_routes(ctx, incidents)


def _incident_routes(ctx: PluginContext, incidents: Incidents) -> None:
    http = ctx.http

    @http.post("/incidents", summary="Report an incident (field, console or hotline entry)",
               body=NewIncident, response=IncidentOut, status=201,
               rule=access.REPORT)  # fmt: skip
    async def report(call: Call[NewIncident, None]) -> dict[str, Any]:
        return await incidents.report_by_staff(call.who, call.body)

    @http.get("/incidents", summary="Incidents in scope, newest first", query=IncidentQuery,
              response=IncidentPageOut, rule=access.LIST)  # fmt: skip
    async def listing(call: Call[None, IncidentQuery]) -> dict[str, Any]:
        return await queries.listing(ctx.sessions, call.who, ctx.grids.index, call.query)

    @http.get("/incidents/{incident_id}", summary="An incident with assignments and timeline",
              response=IncidentDetailOut, rule=access.READ)  # fmt: skip
    async def detail(call: Call[None, None]) -> dict[str, Any]:
        return await incidents.get(call.who, call.path_int("incident_id"))

    @http.post(
        "/incidents/{incident_id}/actions/{action}",
        summary="Take a lifecycle action (register, dispatch, sign, ...)",
        body=ActionIn,
        response=IncidentOut,
        rule=access.ACT,
    )
    async def act(call: Call[ActionIn, None]) -> dict[str, Any]:
        action = _action(call.params["action"])
        return await incidents.act(call.who, call.path_int("incident_id"), action, call.body)

    @http.post(
        "/incidents/{incident_id}/channel",
        summary="Open the incident's talk channel (created on first use with everyone involved)",
        response=IncidentChannelOut,
        rule=access.CHANNEL,
    )
    async def channel(call: Call[None, None]) -> dict[str, Any]:
        return await incidents.channel(call.who, call.path_int("incident_id"))

    @http.post(
        "/incidents/{incident_id}/contact",
        summary="Reveal the resident's contact for the follow-up call (commanders; audited)",
        response=ContactOut,
        rule=access.CONTACT,
    )
    async def contact(call: Call[None, None]) -> dict[str, Any]:
        return await contacts.reveal(ctx, call.who, call.path_int("incident_id"))

    @http.get(
        "/incidents/{incident_id}/suggestions",
        summary="Suggested assignees: presence, distance, load",
        response=SuggestionsOut,
        rule=access.SUGGEST,
    )
    async def suggestions(call: Call[None, None]) -> dict[str, Any]:
        return await incidents.suggestions(call.who, call.path_int("incident_id"))


def _action(raw: str) -> Action:
    try:
        return Action(raw)
    except ValueError:
        names = ", ".join(a.value for a in Action)
        raise InvalidInput(
            "incident.unknown_action", f"unknown action {raw!r}; one of {names}"
        ) from None


def _catalogue_routes(ctx: PluginContext, catalogue: Catalogue) -> None:
    http = ctx.http

    @http.get("/categories", summary="The category catalogue", response=CategoriesOut,
              rule=access.CATEGORIES)  # fmt: skip
    async def categories(call: Call[None, None]) -> dict[str, Any]:
        return {"items": [category_dict(c) for c in await catalogue.all()]}

    @http.put("/categories/{code}", summary="Create or change a category (admin)",
              body=CategorySpec, response=CategoryOut, rule=access.CATALOGUE_EDIT)  # fmt: skip
    async def put_category(call: Call[CategorySpec, None]) -> dict[str, Any]:
        if call.body.code != call.params["code"]:
            raise InvalidInput("category.code_mismatch", "the path and body codes differ")
        async with ctx.sessions.begin() as session:
            row = await catalogue.put(session, call.body)
            return category_dict(row)

    @http.get("/departments", summary="Departments incidents can be dispatched to",
              response=DepartmentsOut, rule=access.DEPARTMENTS)  # fmt: skip
    async def departments(call: Call[None, None]) -> dict[str, Any]:
        rows = await catalogue.departments()
        return {"items": [{"code": d.code, "name": d.name, "members": d.members} for d in rows]}

    @http.put("/departments/{code}", summary="Create or change a department (admin)",
              body=DepartmentSpec, response=DepartmentOut,
              rule=access.CATALOGUE_EDIT)  # fmt: skip
    async def put_department(call: Call[DepartmentSpec, None]) -> dict[str, Any]:
        if call.body.code != call.params["code"]:
            raise InvalidInput("department.code_mismatch", "the path and body codes differ")
        for person_id in call.body.members:
            await _require_staff(ctx, person_id, "department.bad_member")
        async with ctx.sessions.begin() as session:
            row: Department = await catalogue.put_department(session, call.body)
            return {"code": row.code, "name": row.name, "members": row.members}


def _rule_routes(ctx: PluginContext, incidents: Incidents) -> None:
    http = ctx.http

    @http.get("/rules", summary="Auto-dispatch rules (applied when enabled in configuration)",
              response=DispatchRulesOut, rule=access.RULES_READ)  # fmt: skip
    async def rules(call: Call[None, None]) -> dict[str, Any]:
        async with ctx.sessions() as session:
            items = [rule_dict(r) for r in await session.scalars(select(Rule).order_by(Rule.id))]
        return {"enabled": incidents.config.auto_dispatch, "items": items}

    @http.post("/rules", summary="Add an auto-dispatch rule (admin)", body=DispatchRuleIn,
               status=201, response=DispatchRuleOut, rule=access.RULES_EDIT)  # fmt: skip
    async def add_rule(call: Call[DispatchRuleIn, None]) -> dict[str, Any]:
        node = ctx.grids.index.find_code(call.body.grid)
        if node is None:
            raise InvalidInput("rule.unknown_grid", f"no grid {call.body.grid!r}")
        await incidents.catalogue.get(call.body.category)
        await _check_target(ctx, incidents, call.body)
        async with ctx.sessions.begin() as session:
            body = call.body
            rule = Rule(
                category=body.category,
                grid_id=node.id,
                target_kind=body.target_kind,
                target=body.target,
                enabled=body.enabled,
            )
            session.add(rule)
            await session.flush()
            return rule_dict(rule)


def _kpi_routes(ctx: PluginContext) -> None:
    @ctx.http.get(
        "/kpis",
        summary="KPIs over a grid subtree and period (states, on-time rates, handling time, "
        "returns, ratings; per category, grid and person)",
        query=KpiQuery,
        response=KpisOut,
        rule=access.KPIS,
    )
    async def kpis(call: Call[None, KpiQuery]) -> dict[str, Any]:
        async with ctx.sessions() as session:
            result: dict[str, Any] = await kpi.compute(
                session, call.who, ctx.grids.index, call.query
            )
        for row in result["by_person"]:
            person = await ctx.directory.person(row["person_id"])
            row["username"], row["display_name"] = person.username, person.display_name
        return result
