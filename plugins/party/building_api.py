"""HTTP routes of party building: organisations, members, dual reporting, meetings, points."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import BaseModel, Field

from hub.sdk import Call, PluginContext
from plugins.party import access
from plugins.party.attachments import read_upload
from plugins.party.building import Building
from plugins.party.ledger import Ledger
from plugins.party.meeting_photos import MeetingPhotos
from plugins.party.member_view import MemberView
from plugins.party.org_edit import OrgEdits
from plugins.party.overview import Overview
from plugins.party.schemas import (
    DoneIn,
    HomeIn,
    MeetingIn,
    MemberEditIn,
    MemberIn,
    MinutesIn,
    OrgEditIn,
    OrgIn,
    PointsIn,
    SignInIn,
    TaskIn,
    YearOnly,
)


class Created(BaseModel):
    id: int


class ItemsOut(BaseModel):
    items: list[dict[str, Any]] = Field(max_length=10000)


class Done(BaseModel):
    ok: bool = True
    detail: str | None = None


def install(ctx: PluginContext, building: Building, overview: Overview) -> None:
    _orgs(ctx, building)
    _edits(ctx, OrgEdits(ctx, building))
    _member(ctx, MemberView(ctx, building))
    _photos(ctx, MeetingPhotos(ctx, building))
    _ledger(ctx, Ledger(ctx, building))
    _overview(ctx, overview)
    _self(ctx, building)
    _meetings(ctx, building)


def _orgs(ctx: PluginContext, b: Building) -> None:
    @ctx.http.get(
        "/orgs",
        summary="Party organisations in your grids, with member counts",
        response=ItemsOut,
        rule=access.ORG_READ,
    )
    async def orgs(call: Call[None, None]) -> dict[str, Any]:
        return {"items": await b.orgs(call.who)}

    @ctx.http.post(
        "/orgs",
        summary="Add a committee, general branch or branch on a grid",
        body=OrgIn,
        response=Created,
        status=201,
        rule=access.ORG_EDIT,
    )
    async def add_org(call: Call[OrgIn, None]) -> dict[str, Any]:
        return {"id": await b.add_org(call.who, call.body)}

    @ctx.http.get(
        "/orgs/{org_id}/members",
        summary="A branch's members with their points",
        response=ItemsOut,
        rule=access.ORG_EDIT,
    )
    async def members(call: Call[None, None]) -> dict[str, Any]:
        return {"items": await b.members(call.who, call.path_int("org_id"))}

    @ctx.http.post(
        "/members",
        summary="Register a party member in a branch",
        body=MemberIn,
        response=Created,
        status=201,
        rule=access.ORG_EDIT,
    )
    async def add_member(call: Call[MemberIn, None]) -> dict[str, Any]:
        return {"id": await b.add_member(call.who, call.body)}

    @ctx.http.post(
        "/points",
        summary="Award points for a recorded activity (once per ref)",
        body=PointsIn,
        response=Done,
        rule=access.ORG_EDIT,
    )
    async def points(call: Call[PointsIn, None]) -> dict[str, Any]:
        added = await b.award_activity(call.who, call.body)
        return {"ok": added, "detail": None if added else "already awarded"}

    @ctx.http.post(
        "/tasks",
        summary="Add a service task of a community (双报到)",
        body=TaskIn,
        response=Created,
        status=201,
        rule=access.TASK_EDIT,
    )
    async def add_task(call: Call[TaskIn, None]) -> dict[str, Any]:
        return {"id": await b.add_task(call.who, call.body)}

    @ctx.http.get(
        "/attendance",
        summary="Attendance rate per organisation",
        response=ItemsOut,
        rule=access.ORG_READ,
    )
    async def attendance(call: Call[None, None]) -> dict[str, Any]:
        return {"items": await b.attendance(call.who)}


def _self(ctx: PluginContext, b: Building) -> None:
    @ctx.http.post(
        "/me/home",
        summary="Report to your home community (双报到)",
        body=HomeIn,
        response=Done,
        rule=access.MEMBER_SELF,
    )
    async def home(call: Call[HomeIn, None]) -> dict[str, Any]:
        await b.report_home(call.who, call.body)
        return {"ok": True}

    @ctx.http.get(
        "/me/tasks",
        summary="Service tasks of your home community",
        response=ItemsOut,
        rule=access.MEMBER_SELF,
    )
    async def tasks(call: Call[None, None]) -> dict[str, Any]:
        return {"items": await b.tasks_for_me(call.who)}

    @ctx.http.get(
        "/me/service", summary="Your service record", response=ItemsOut, rule=access.MEMBER_SELF
    )
    async def service(call: Call[None, None]) -> dict[str, Any]:
        return {"items": await b.service_records((await b.me(call.who)).id)}

    @ctx.http.post(
        "/tasks/{task_id}/take",
        summary="Take a service task",
        response=Created,
        status=201,
        rule=access.MEMBER_SELF,
    )
    async def take(call: Call[None, None]) -> dict[str, Any]:
        return {"id": await b.take(call.who, call.path_int("task_id"))}

    @ctx.http.post(
        "/tasks/{task_id}/done",
        summary="Record the service you gave",
        body=DoneIn,
        response=Done,
        rule=access.MEMBER_SELF,
    )
    async def done(call: Call[DoneIn, None]) -> dict[str, Any]:
        await b.finish(call.who, call.path_int("task_id"), call.body)
        return {"ok": True}

    @ctx.http.post(
        "/meetings/{meeting_id}/sign-in",
        summary="Sign in by code or location",
        body=SignInIn,
        response=Done,
        rule=access.MEMBER_SELF,
    )
    async def sign_in(call: Call[SignInIn, None]) -> dict[str, Any]:
        return {
            "ok": True,
            "detail": await b.sign_in(call.who, call.path_int("meeting_id"), call.body),
        }


def _meetings(ctx: PluginContext, b: Building) -> None:
    @ctx.http.post(
        "/meetings",
        summary="Schedule a meeting (三会一课, 主题党日); its code",
        body=MeetingIn,
        status=201,
        rule=access.ORG_EDIT,
    )
    async def add(call: Call[MeetingIn, None]) -> dict[str, Any]:
        return await b.add_meeting(call.who, call.body)

    @ctx.http.get(
        "/orgs/{org_id}/meetings",
        summary="A branch's meetings with sign-ins",
        response=ItemsOut,
        rule=access.ORG_EDIT,
    )
    async def meetings(call: Call[None, None]) -> dict[str, Any]:
        return {"items": await b.meetings(call.who, call.path_int("org_id"))}

    @ctx.http.post(
        "/meetings/{meeting_id}/minutes",
        summary="Record the minutes",
        body=MinutesIn,
        response=Done,
        rule=access.ORG_EDIT,
    )
    async def minutes(call: Call[MinutesIn, None]) -> dict[str, Any]:
        await b.record_minutes(call.who, call.path_int("meeting_id"), call.body.minutes)
        return {"ok": True}


def _overview(ctx: PluginContext, overview: Overview) -> None:
    @ctx.http.get(
        "/party-grids.geojson",
        summary="Party-building grids in your scope with their organisations (the map layer)",
        rule=access.ORG_READ,
    )
    async def layer(call: Call[None, None]) -> dict[str, Any]:
        return await overview.party_grids(call.who)

    @ctx.http.get(
        "/summary",
        summary="Members by branch, meetings held, disclosure compliance, points leaders",
        rule=access.ORG_READ,
    )
    async def summary(call: Call[None, None]) -> dict[str, Any]:
        return await overview.summary(call.who)


def _ledger(ctx: PluginContext, ledger: Ledger) -> None:
    @ctx.http.get(
        "/orgs/{org_id}/ledger",
        summary="A branch's yearly assessment ledger (points by source, meetings, service)",
        query=YearOnly,
        rule=access.ORG_EDIT,
    )
    async def rows(call: Call[None, YearOnly]) -> dict[str, Any]:
        return await ledger.rows(call.who, call.path_int("org_id"), call.query.year)

    @ctx.http.get(
        "/orgs/{org_id}/ledger.xlsx",
        summary="The yearly assessment ledger as an XLSX workbook",
        query=YearOnly,
        produces="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        rule=access.ORG_EDIT,
    )
    async def workbook(call: Call[None, YearOnly]) -> web.Response:
        return await ledger.xlsx(call.who, call.path_int("org_id"), call.query.year)


def _member(ctx: PluginContext, view: MemberView) -> None:
    @ctx.http.get(
        "/me",
        summary="Your member record, points, open meetings and your community's tasks",
        rule=access.MEMBER_SELF,
    )
    async def me(call: Call[None, None]) -> dict[str, Any]:
        return await view.summary(call.who)

    @ctx.http.get(
        "/me/communities",
        summary="The communities (villages) a member may report to",
        response=ItemsOut,
        rule=access.MEMBER_SELF,
    )
    async def communities(call: Call[None, None]) -> dict[str, Any]:
        await view.building.me(call.who)
        return {"items": view.communities()}


def _photos(ctx: PluginContext, photos: MeetingPhotos) -> None:
    @ctx.http.post(
        "/meetings/{meeting_id}/photos",
        summary="Add a photo of a meeting (multipart, one part `file`)",
        response=Created,
        status=201,
        raw_body="multipart/form-data",
        rule=access.ORG_EDIT,
    )
    async def add(call: Call[None, None]) -> dict[str, Any]:
        meeting_id = call.path_int("meeting_id")
        await photos.check(call.who, meeting_id)
        upload = await read_upload(call.request)
        return {"id": await photos.add(call.who, meeting_id, upload)}

    @ctx.http.get(
        "/meetings/{meeting_id}/photos/{photo_id}",
        summary="A photo of a meeting",
        produces="image/*",
        rule=access.ORG_EDIT,
    )
    async def get(call: Call[None, None]) -> web.Response:
        return await photos.get(call.who, call.path_int("meeting_id"), call.path_int("photo_id"))


def _edits(ctx: PluginContext, edits: OrgEdits) -> None:
    @ctx.http.post(
        "/orgs/{org_id}/edit",
        summary="Rename an organisation or move it under another",
        body=OrgEditIn,
        response=Done,
        rule=access.ORG_EDIT,
    )
    async def edit_org(call: Call[OrgEditIn, None]) -> dict[str, Any]:
        await edits.edit_org(call.who, call.path_int("org_id"), call.body)
        return {"ok": True}

    @ctx.http.post(
        "/orgs/{org_id}/delete",
        summary="Remove an organisation that holds nothing",
        response=Done,
        rule=access.ORG_EDIT,
    )
    async def remove_org(call: Call[None, None]) -> dict[str, Any]:
        await edits.remove_org(call.who, call.path_int("org_id"))
        return {"ok": True}

    @ctx.http.post(
        "/members/{member_id}/edit",
        summary="Change a member's status, transfer them, or link their account",
        body=MemberEditIn,
        response=Done,
        rule=access.ORG_EDIT,
    )
    async def edit_member(call: Call[MemberEditIn, None]) -> dict[str, Any]:
        await edits.edit_member(call.who, call.path_int("member_id"), call.body)
        return {"ok": True}
