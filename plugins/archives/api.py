"""The archive's HTTP routes under /api/v1/archives (one rule each, from access.py)."""

from __future__ import annotations

import base64
from typing import Any

from aiohttp import web
from pydantic import BaseModel

from hub.sdk import Call, InvalidInput, PluginContext, Role
from plugins.archives import access, tags
from plugins.archives.addresses import Addresses, AddressQuery
from plugins.archives.exporter import XLSX, Exporter
from plugins.archives.households import HouseholdIn, Households, HouseholdsQuery, MemberIn
from plugins.archives.importer import Importer
from plugins.archives.layers import Layers
from plugins.archives.linked import Linked, LinkedQuery
from plugins.archives.overview import Overview
from plugins.archives.records import Records
from plugins.archives.residents import Residents
from plugins.archives.schemas import (
    AddressIn,
    ArchiveExportQuery,
    HouseIn,
    HousePatch,
    ImportQuery,
    ImportUpload,
    LayerQuery,
    ListQuery,
    NearbyQuery,
    OrgIn,
    OrgPatch,
    PlaceIn,
    PlacePatch,
    ResidentIn,
    ResidentPatch,
    ResidentsQuery,
    TagIn,
    TagsIn,
)
from plugins.archives.shared import Env

KNOWN_ROLES = {str(r) for r in Role} | {access.OFFICER, access.REVIEWER}


def install(ctx: PluginContext, env: Env, residents: Residents,
            records: dict[str, Records]) -> None:  # fmt: skip
    _residents(ctx, residents)
    _households(ctx, Households(env, residents))
    models: dict[str, tuple[type[BaseModel], type[BaseModel]]] = {
        "houses": (HouseIn, HousePatch), "places": (PlaceIn, PlacePatch), "orgs": (OrgIn, OrgPatch)
    }  # fmt: skip
    for path, (body, patch) in models.items():
        _records(ctx, path, records[path], body, patch)
    _tags(ctx, env)
    _bulk(ctx, Importer(env), Exporter(env))
    _layers(ctx, Layers(env))
    _addresses(ctx, Addresses(env))
    _overview(ctx, Overview(env, residents), Linked(env, residents))


def _overview(ctx: PluginContext, overview: Overview, linked: Linked) -> None:
    @ctx.http.get(
        "/linked",
        summary="The people and places of the archive an incident names by id (a visit's "
        "hazard), masked (the drawer's card)",
        query=LinkedQuery,
        rule=access.READ,
    )
    async def incident_links(call: Call[None, LinkedQuery]) -> dict[str, Any]:
        return await linked.of_incident(call.who, call.query)

    @ctx.http.get(
        "/summary",
        summary="Your grids at a glance (big screen): population by grid "
        "and category, key groups you may see, visit coverage",
        rule=access.READ,
    )
    async def summary(call: Call[None, None]) -> dict[str, Any]:
        return await overview.summary(call.who)

    @ctx.http.get(
        "/nearby",
        summary="Houses with their people (masked) and places near a point, "
        "e.g. an incident's (the drawer's card)",
        query=NearbyQuery,
        rule=access.READ,
    )
    async def nearby(call: Call[None, NearbyQuery]) -> dict[str, Any]:
        return await overview.nearby(call.who, call.query)


def _residents(ctx: PluginContext, residents: Residents) -> None:
    http = ctx.http

    @http.get("/residents", summary="People of your grids, masked (name prefix, exact ID "
              "number or phone; paged)", query=ResidentsQuery, rule=access.READ)  # fmt: skip
    async def search(call: Call[None, ResidentsQuery]) -> dict[str, Any]:
        return await residents.search(call.who, call.query)

    @http.post("/residents", summary="Add a person (ID number checked, unique)",
               body=ResidentIn, status=201, rule=access.WRITE)  # fmt: skip
    async def create(call: Call[ResidentIn, None]) -> dict[str, Any]:
        return await residents.create(call.who, call.body)

    @http.get("/residents/{resident_id}", summary="A person's card, masked, with house and "
              "household", rule=access.READ_ONE)  # fmt: skip
    async def card(call: Call[None, None]) -> dict[str, Any]:
        return await residents.card(call.who, call.path_int("resident_id"))

    @http.patch("/residents/{resident_id}", summary="Change a person's record",
                body=ResidentPatch, rule=access.WRITE)  # fmt: skip
    async def update(call: Call[ResidentPatch, None]) -> dict[str, Any]:
        return await residents.update(call.who, call.path_int("resident_id"), call.body)

    @http.post("/residents/{resident_id}/reveal", summary="The ID number and phone in full "
               "(written to the audit log)", rule=access.REVEAL)  # fmt: skip
    async def reveal(call: Call[None, None]) -> dict[str, Any]:
        return await residents.reveal(call.who, call.path_int("resident_id"))

    @http.put("/residents/{resident_id}/tags", summary="Set the key-group tags you may see on "
              "a person", body=TagsIn, rule=access.WRITE)  # fmt: skip
    async def set_tags(call: Call[TagsIn, None]) -> dict[str, Any]:
        return await residents.set_tags(call.who, call.path_int("resident_id"), call.body.codes)


def _households(ctx: PluginContext, households: Households) -> None:
    http = ctx.http

    @http.get("/households", summary="Households of your grids (number prefix, house; paged)",
              query=HouseholdsQuery, rule=access.READ)  # fmt: skip
    async def search(call: Call[None, HouseholdsQuery]) -> dict[str, Any]:
        return await households.search(call.who, call.query)

    @http.post("/households", summary="Create a household (户号 unique, its house in your "
               "grids)", body=HouseholdIn, status=201, rule=access.WRITE)  # fmt: skip
    async def create(call: Call[HouseholdIn, None]) -> dict[str, Any]:
        return await households.create(call.who, call.body)

    @http.get("/households/{household_id}", summary="A household with its members (masked)",
              rule=access.READ_ONE)  # fmt: skip
    async def card(call: Call[None, None]) -> dict[str, Any]:
        return await households.card(call.who, call.path_int("household_id"))

    @http.put("/households/{household_id}/members/{resident_id}", summary="Add a person to "
              "the household or move them from another (versioned, audited)", body=MemberIn,
              rule=access.WRITE)  # fmt: skip
    async def member(call: Call[MemberIn, None]) -> dict[str, Any]:
        household_id, resident_id = call.path_int("household_id"), call.path_int("resident_id")
        return await households.put_member(call.who, household_id, resident_id, call.body)


def _records(ctx: PluginContext, path: str, records: Records, body: type[BaseModel],
             patch: type[BaseModel]) -> None:  # fmt: skip
    http, one = ctx.http, f"/{path}/{{{records.kind.name}_id}}"
    id_name = f"{records.kind.name}_id"

    @http.get(f"/{path}", summary=f"{path} of your grids (name or code prefix; paged)",
              query=ListQuery, rule=access.READ)  # fmt: skip
    async def search(call: Call[None, ListQuery]) -> dict[str, Any]:
        return await records.search(call.who, call.query)

    @http.post(f"/{path}", summary=f"Add to {path}", body=body, status=201,
               rule=access.WRITE)  # fmt: skip
    async def create(call: Call[BaseModel, None]) -> dict[str, Any]:
        return await records.create(call.who, call.body)

    @http.get(one, summary=f"One of {path}", rule=access.READ_ONE)
    async def card(call: Call[None, None]) -> dict[str, Any]:
        return await records.card(call.who, call.path_int(id_name))

    @http.patch(one, summary=f"Change one of {path}", body=patch, rule=access.WRITE)
    async def update(call: Call[BaseModel, None]) -> dict[str, Any]:
        return await records.update(call.who, call.path_int(id_name), call.body)

    if records.kind.has_phone:

        @http.post(f"{one}/reveal", summary="The contact phone in full (audited)",
                   rule=access.REVEAL)  # fmt: skip
        async def reveal(call: Call[None, None]) -> dict[str, Any]:
            return await records.reveal(call.who, call.path_int(id_name))


def _bulk(ctx: PluginContext, importer: Importer, exporter: Exporter) -> None:
    @ctx.http.post("/import", summary="Import residents, houses, places or organisations from CSV "
                   "or XLSX (the file is the body); a dry run reports every bad row, a real run "
                   "writes all or nothing",
                   query=ImportQuery, raw_body="text/csv or an XLSX workbook",
                   rule=access.IMPORT)  # fmt: skip
    async def upload(call: Call[None, ImportQuery]) -> dict[str, Any]:
        return await importer.run(call.who, await call.request.read(), call.query)

    @ctx.http.post("/import/upload", summary="The same import with the file as base64 in JSON "
                   "(the console's upload; files up to ~700 KB)", body=ImportUpload,
                   rule=access.IMPORT)  # fmt: skip
    async def upload_json(call: Call[ImportUpload, None]) -> dict[str, Any]:
        body = call.body
        try:
            data = base64.b64decode(body.data, validate=True)
        except ValueError:
            raise InvalidInput("archives.import_unreadable", "data is not base64") from None
        query = ImportQuery(kind=body.kind, format=body.format, dry_run=body.dry_run)
        return await importer.run(call.who, data, query)

    @ctx.http.get("/export", summary="A grid's residents, houses or places, masked (CSV or "
                  "XLSX; audited)", query=ArchiveExportQuery, produces="text/csv, " + XLSX,
                  rule=access.EXPORT)  # fmt: skip
    async def download(call: Call[None, ArchiveExportQuery]) -> web.Response:
        name, content, media = await exporter.run(call.who, call.query)
        response = web.Response(body=content, content_type=media.split(";")[0])
        if media.startswith("text/"):
            response.charset = "utf-8"
        response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


def _layers(ctx: PluginContext, layers: Layers) -> None:
    @ctx.http.get("/houses.geojson", summary="Houses of your grids for the map: clusters, or "
                  "single houses (a bbox at zoom 16 and in; no zoom: a scope of few houses)",
                  query=LayerQuery,
                  rule=access.READ)  # fmt: skip
    async def houses(call: Call[None, LayerQuery]) -> dict[str, Any]:
        return await layers.houses(call.who, call.query)

    @ctx.http.get("/places.geojson", summary="Places and units of your grids for the map",
                  query=LayerQuery, rule=access.READ)  # fmt: skip
    async def places(call: Call[None, LayerQuery]) -> dict[str, Any]:
        return await layers.places(call.who, call.query)

    @ctx.http.get("/keygroups.geojson", summary="Key-group people you may see, counted per "
                  "cell at their houses", query=LayerQuery, rule=access.READ)  # fmt: skip
    async def key_groups(call: Call[None, LayerQuery]) -> dict[str, Any]:
        return await layers.key_groups(call.who, call.query)


def _addresses(ctx: PluginContext, addresses: Addresses) -> None:
    @ctx.http.get("/addresses", summary="Standard addresses: roads of your grids, or the "
                  "children of one address", query=AddressQuery, rule=access.READ)  # fmt: skip
    async def children(call: Call[None, AddressQuery]) -> dict[str, Any]:
        return await addresses.children(call.who, call.query)

    @ctx.http.post("/addresses", summary="Add a standard address (a road, or a deeper level "
                   "below its parent)", body=AddressIn, status=201, rule=access.WRITE)  # fmt: skip
    async def create(call: Call[AddressIn, None]) -> dict[str, Any]:
        return await addresses.create(call.who, call.body)


def _tags(ctx: PluginContext, env: Env) -> None:
    @ctx.http.get("/tags", summary="The key-group catalogue", rule=access.TAGS_READ)
    async def listing(call: Call[None, None]) -> dict[str, Any]:
        return {"items": await tags.listing(env, call.who)}

    @ctx.http.put("/tags", summary="Create or change a key-group tag", body=TagIn,
                  rule=access.TAGS_EDIT)  # fmt: skip
    async def put(call: Call[TagIn, None]) -> dict[str, Any]:
        return await tags.put(env, call.who, call.body, KNOWN_ROLES)
