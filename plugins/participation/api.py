"""HTTP routes of points, the points shop and exchanges (officers and signed-in residents)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from hub.sdk import Call, PluginContext
from plugins.participation import access
from plugins.participation.activity_changes import ActivityChanges
from plugins.participation.deliberation import (
    BallotIn,
    ConclusionIn,
    Deliberation,
    TopicIn,
    TopicMeetingIn,
    VoteIn,
)
from plugins.participation.feed import (
    Feed,
    IncidentIn,
    ModerationIn,
    PostCommentIn,
    PostIn,
    ReportIn,
)
from plugins.participation.needs import NeedDoneIn, NeedIn, Needs
from plugins.participation.points import (
    AwardIn,
    ExchangeIn,
    PointRuleIn,
    Points,
    ShopItemIn,
    VillageQuery,
)
from plugins.participation.registry import (
    Registry,
    TeamIn,
    VolunteerDecisionIn,
    VolunteerIn,
    VolunteerQuery,
)
from plugins.participation.volunteers import (
    ActivityCancelIn,
    ActivityCheckInIn,
    ActivityIn,
    Volunteers,
)


def install_points(ctx: PluginContext, points: Points) -> None:
    http = ctx.http

    @http.get(
        "/points/rules",
        summary="Points rules of your villages",
        query=VillageQuery,
        rule=access.RULES_READ,
    )
    async def rules(call: Call[None, VillageQuery]) -> dict[str, Any]:
        return {"rules": await points.rules(call.who, call.query.grid_id)}

    @http.post(
        "/points/rules",
        summary="Add a points rule",
        body=PointRuleIn,
        status=201,
        rule=access.RULES_WRITE,
    )
    async def add_rule(call: Call[PointRuleIn, None]) -> dict[str, Any]:
        return await points.save_rule(call.who, call.body, None)

    @http.put(
        "/points/rules/{rule_id}",
        summary="Change a points rule",
        body=PointRuleIn,
        rule=access.RULES_WRITE,
    )
    async def change_rule(call: Call[PointRuleIn, None]) -> dict[str, Any]:
        return await points.save_rule(call.who, call.body, call.path_int("rule_id"))

    @http.post(
        "/points/awards",
        summary="Award a resident points by a rule",
        body=AwardIn,
        status=201,
        rule=access.AWARD,
    )
    async def award(call: Call[AwardIn, None]) -> dict[str, Any]:
        return await points.award(call.who, call.body)

    @http.get(
        "/points/accounts",
        summary="Residents' balances in your villages",
        query=VillageQuery,
        rule=access.ACCOUNTS_READ,
    )
    async def accounts(call: Call[None, VillageQuery]) -> dict[str, Any]:
        return {"accounts": await points.accounts(call.who, call.query.grid_id)}

    @http.get("/points/mine", summary="My points, ledger and exchanges", rule=access.MY_POINTS)
    async def mine(call: Call[None, None]) -> dict[str, Any]:
        return await points.mine(call.who)

    _install_shop(ctx, points)


def _install_shop(ctx: PluginContext, points: Points) -> None:
    http = ctx.http

    @http.get(
        "/shop/items",
        summary="The points shop of your villages",
        query=VillageQuery,
        rule=access.SHOP_READ,
    )
    async def items(call: Call[None, VillageQuery]) -> dict[str, Any]:
        return {"items": await points.items(call.who, call.query.grid_id)}

    @http.post(
        "/shop/items",
        summary="Add an item to a village's shop",
        body=ShopItemIn,
        status=201,
        rule=access.SHOP_WRITE,
    )
    async def add_item(call: Call[ShopItemIn, None]) -> dict[str, Any]:
        return await points.save_item(call.who, call.body, None)

    @http.put(
        "/shop/items/{item_id}",
        summary="Change a shop item (stock, cost)",
        body=ShopItemIn,
        rule=access.SHOP_WRITE,
    )
    async def change_item(call: Call[ShopItemIn, None]) -> dict[str, Any]:
        return await points.save_item(call.who, call.body, call.path_int("item_id"))

    @http.post(
        "/shop/exchanges",
        summary="Exchange my points for an item",
        body=ExchangeIn,
        status=201,
        rule=access.EXCHANGE_CREATE,
    )
    async def exchange(call: Call[ExchangeIn, None]) -> dict[str, Any]:
        return await points.exchange(call.who, call.body)

    @http.get(
        "/shop/exchanges",
        summary="Exchanges in your villages",
        query=VillageQuery,
        rule=access.EXCHANGES_READ,
    )
    async def exchanges(call: Call[None, VillageQuery]) -> dict[str, Any]:
        return {"exchanges": await points.exchanges(call.who, call.query.grid_id)}

    @http.post(
        "/shop/exchanges/{exchange_id}/hand-over",
        summary="Hand the goods over",
        rule=access.HAND_OVER,
    )
    async def hand_over(call: Call[None, None]) -> dict[str, Any]:
        return await points.hand_over(call.who, call.path_int("exchange_id"))


def install_volunteers(ctx: PluginContext, volunteers: Volunteers) -> None:
    http = ctx.http

    @http.get(
        "/activities",
        summary="Volunteer activities of your villages",
        query=VillageQuery,
        rule=access.ACTIVITIES_READ,
    )
    async def listed(call: Call[None, VillageQuery]) -> dict[str, Any]:
        return {"activities": await volunteers.listed(call.who, call.query.grid_id)}

    @http.post(
        "/activities",
        summary="Publish a volunteer activity",
        body=ActivityIn,
        status=201,
        rule=access.ACTIVITIES_WRITE,
    )
    async def add(call: Call[ActivityIn, None]) -> dict[str, Any]:
        return await volunteers.save(call.who, call.body)

    changes = ActivityChanges(volunteers)

    @http.put(
        "/activities/{activity_id}",
        summary="Edit an open activity (participants told)",
        body=ActivityIn,
        rule=access.ACTIVITY_CHANGE,
    )
    async def edit(call: Call[ActivityIn, None]) -> dict[str, Any]:
        return await changes.edit(call.who, call.path_int("activity_id"), call.body)

    @http.post(
        "/activities/{activity_id}/cancel",
        summary="Cancel an open activity (participants told)",
        body=ActivityCancelIn,
        rule=access.ACTIVITY_CHANGE,
    )
    async def cancel(call: Call[ActivityCancelIn, None]) -> dict[str, Any]:
        return await changes.cancel(call.who, call.path_int("activity_id"), call.body)

    @http.post(
        "/activities/{activity_id}/signups", summary="Sign me up", status=201, rule=access.SIGN_UP
    )
    async def sign_up(call: Call[None, None]) -> dict[str, Any]:
        return await volunteers.sign_up(call.who, call.path_int("activity_id"))

    @http.delete(
        "/activities/{activity_id}/signups/mine",
        summary="Withdraw my sign-up",
        status=204,
        rule=access.SIGN_UP,
    )
    async def withdraw(call: Call[None, None]) -> None:
        await volunteers.withdraw(call.who, call.path_int("activity_id"))

    @http.post(
        "/activities/{activity_id}/check-in",
        summary="Check in on site",
        body=ActivityCheckInIn,
        rule=access.CHECK_IN,
    )
    async def check_in(call: Call[ActivityCheckInIn, None]) -> dict[str, Any]:
        return await volunteers.check_in(call.who, call.path_int("activity_id"), call.body)

    @http.get(
        "/activities/{activity_id}/signups",
        summary="Who signed up and checked in",
        rule=access.SIGNUPS_READ,
    )
    async def signups(call: Call[None, None]) -> dict[str, Any]:
        return {"signups": await volunteers.signups(call.who, call.path_int("activity_id"))}

    @http.post(
        "/activities/{activity_id}/complete",
        summary="Close it; record hours, points",
        rule=access.COMPLETE,
    )
    async def complete(call: Call[None, None]) -> dict[str, Any]:
        return await volunteers.complete(call.who, call.path_int("activity_id"))

    @http.get(
        "/volunteers/stats",
        summary="Service hours by category",
        query=VillageQuery,
        rule=access.STATS_READ,
    )
    async def stats(call: Call[None, VillageQuery]) -> dict[str, Any]:
        return {"categories": await volunteers.stats(call.who, call.query.grid_id)}


def install_deliberation(ctx: PluginContext, talks: Deliberation) -> None:
    http = ctx.http

    @http.get(
        "/topics",
        summary="Topics of your villages (conclusions published)",
        query=VillageQuery,
        rule=access.TOPICS_READ,
    )
    async def listed(call: Call[None, VillageQuery]) -> dict[str, Any]:
        return {"topics": await talks.listed(call.who, call.query.grid_id)}

    @http.post(
        "/topics",
        summary="Propose a topic (a resident or the village)",
        body=TopicIn,
        status=201,
        rule=access.PROPOSE,
    )
    async def propose(call: Call[TopicIn, None]) -> dict[str, Any]:
        return await talks.propose(call.who, call.body)

    @http.post(
        "/topics/{topic_id}/participants",
        summary="Register me to take part",
        status=201,
        rule=access.REGISTER,
    )
    async def register(call: Call[None, None]) -> dict[str, Any]:
        return await talks.register(call.who, call.path_int("topic_id"))

    @http.put(
        "/topics/{topic_id}/meeting",
        summary="The meeting and its minutes",
        body=TopicMeetingIn,
        rule=access.TOPIC_RUN,
    )
    async def meeting(call: Call[TopicMeetingIn, None]) -> dict[str, Any]:
        return await talks.meeting(call.who, call.path_int("topic_id"), call.body)

    @http.get(
        "/topics/{topic_id}/meeting",
        summary="The meeting, its minutes and its recordings",
        rule=access.TOPIC_RUN,
    )
    async def meeting_of(call: Call[None, None]) -> dict[str, Any]:
        return await talks.meeting_of(call.who, call.path_int("topic_id"))

    @http.post(
        "/topics/{topic_id}/votes",
        summary="Put a question to the vote",
        body=VoteIn,
        status=201,
        rule=access.TOPIC_RUN,
    )
    async def open_vote(call: Call[VoteIn, None]) -> dict[str, Any]:
        return await talks.open_vote(call.who, call.path_int("topic_id"), call.body)

    @http.post(
        "/votes/{vote_id}/ballots",
        summary="Cast my ballot (once)",
        body=BallotIn,
        status=201,
        rule=access.BALLOT,
    )
    async def cast(call: Call[BallotIn, None]) -> dict[str, Any]:
        return await talks.cast(call.who, call.path_int("vote_id"), call.body)

    @http.post(
        "/votes/{vote_id}/close", summary="Close a vote and count it", rule=access.VOTE_CLOSE
    )
    async def close(call: Call[None, None]) -> dict[str, Any]:
        return await talks.close_vote(call.who, call.path_int("vote_id"))

    @http.post(
        "/topics/{topic_id}/conclusion",
        summary="Publish the conclusion (maybe a task)",
        body=ConclusionIn,
        rule=access.TOPIC_RUN,
    )
    async def conclude(call: Call[ConclusionIn, None]) -> dict[str, Any]:
        return await talks.conclude(call.who, call.path_int("topic_id"), call.body)


def install_feed(ctx: PluginContext, feed: Feed) -> None:
    http = ctx.http

    @http.get(
        "/feed/posts",
        summary="Neighbourhood posts of your villages",
        query=VillageQuery,
        rule=access.FEED_READ,
    )
    async def listed(call: Call[None, VillageQuery]) -> dict[str, Any]:
        return {"posts": await feed.listed(call.who, call.query.grid_id)}

    @http.post(
        "/feed/posts",
        summary="Post to my village's feed (photos as base64)",
        body=PostIn,
        status=201,
        rule=access.FEED_WRITE,
    )
    async def publish(call: Call[PostIn, None]) -> dict[str, Any]:
        return await feed.publish(call.who, call.body)

    @http.get("/feed/photos/{photo_id}", summary="A post's photo", rule=access.FEED_READ)
    async def photo(call: Call[None, None]) -> web.Response:
        return await feed.photo(call.who, call.path_int("photo_id"))

    @http.post(
        "/feed/posts/{post_id}/comments",
        summary="Comment on a post",
        body=PostCommentIn,
        status=201,
        rule=access.FEED_REPORT,
    )
    async def comment(call: Call[PostCommentIn, None]) -> dict[str, Any]:
        return await feed.comment(call.who, call.path_int("post_id"), call.body)

    @http.post(
        "/feed/posts/{post_id}/reports",
        summary="Report a post (once)",
        body=ReportIn,
        status=201,
        rule=access.FEED_REPORT,
    )
    async def report(call: Call[ReportIn, None]) -> dict[str, Any]:
        return await feed.report(call.who, call.path_int("post_id"), call.body)

    @http.post(
        "/feed/posts/{post_id}/moderation",
        summary="Hide or restore a post",
        body=ModerationIn,
        rule=access.MODERATE,
    )
    async def moderate(call: Call[ModerationIn, None]) -> dict[str, Any]:
        return await feed.moderate(call.who, call.path_int("post_id"), call.body)

    @http.post(
        "/feed/posts/{post_id}/comments/{comment_id}/moderation",
        summary="Hide or restore a comment",
        body=ModerationIn,
        rule=access.MODERATE,
    )
    async def moderate_comment(call: Call[ModerationIn, None]) -> dict[str, Any]:
        post_id, comment_id = call.path_int("post_id"), call.path_int("comment_id")
        return await feed.moderate(call.who, post_id, call.body, comment_id)

    @http.post(
        "/feed/posts/{post_id}/incident",
        summary="Turn a reported post into an incident",
        body=IncidentIn,
        status=202,
        rule=access.MODERATE,
    )
    async def to_incident(call: Call[IncidentIn, None]) -> dict[str, Any]:
        return await feed.to_incident(call.who, call.path_int("post_id"), call.body)


def install_needs(ctx: PluginContext, needs: Needs) -> None:
    http = ctx.http

    @http.get(
        "/needs",
        summary="The needs list of your villages (群众点单)",
        query=VillageQuery,
        rule=access.NEEDS_READ,
    )
    async def listed(call: Call[None, VillageQuery]) -> dict[str, Any]:
        return {"needs": await needs.listed(call.who, call.query.grid_id)}

    @http.post("/needs", summary="Publish a need", body=NeedIn, status=201, rule=access.NEEDS_WRITE)
    async def publish(call: Call[NeedIn, None]) -> dict[str, Any]:
        return await needs.publish(call.who, call.body)

    @http.post(
        "/needs/{need_id}/take", summary="Take a need up (one volunteer)", rule=access.NEED_TAKE
    )
    async def take(call: Call[None, None]) -> dict[str, Any]:
        return await needs.take(call.who, call.path_int("need_id"))

    @http.post(
        "/needs/{need_id}/done",
        summary="Confirm a taken need done (hours, points)",
        body=NeedDoneIn,
        rule=access.NEED_DONE,
    )
    async def done(call: Call[NeedDoneIn, None]) -> dict[str, Any]:
        return await needs.done(call.who, call.path_int("need_id"), call.body)


def install_registry(ctx: PluginContext, registry: Registry) -> None:
    http = ctx.http

    @http.post(
        "/volunteers",
        summary="Register me as a volunteer of my village",
        body=VolunteerIn,
        status=201,
        rule=access.VOLUNTEER_REGISTER,
    )
    async def register(call: Call[VolunteerIn, None]) -> dict[str, Any]:
        return await registry.register(call.who, call.body)

    @http.get(
        "/volunteers/mine",
        summary="My registrations, teams and hours",
        rule=access.VOLUNTEER_MINE,
    )
    async def mine(call: Call[None, None]) -> dict[str, Any]:
        return await registry.mine(call.who)

    @http.get(
        "/volunteers",
        summary="Volunteers of your villages, with hours",
        query=VolunteerQuery,
        rule=access.VOLUNTEERS_READ,
    )
    async def listed(call: Call[None, VolunteerQuery]) -> dict[str, Any]:
        return {"volunteers": await registry.listed(call.who, call.query)}

    @http.post(
        "/volunteers/{volunteer_id}/decision",
        summary="Approve or reject a registration",
        body=VolunteerDecisionIn,
        rule=access.VOLUNTEER_DECIDE,
    )
    async def decide(call: Call[VolunteerDecisionIn, None]) -> dict[str, Any]:
        return await registry.decide(call.who, call.path_int("volunteer_id"), call.body)

    @http.get(
        "/volunteers/{volunteer_id}/hours",
        summary="A volunteer's service hours ledger",
        rule=access.VOLUNTEERS_READ,
    )
    async def ledger(call: Call[None, None]) -> dict[str, Any]:
        return await registry.ledger(call.who, call.path_int("volunteer_id"))

    _install_teams(ctx, registry)


def _install_teams(ctx: PluginContext, registry: Registry) -> None:
    http = ctx.http

    @http.get(
        "/teams",
        summary="Volunteer teams with members and hours",
        query=VillageQuery,
        rule=access.TEAMS_READ,
    )
    async def teams(call: Call[None, VillageQuery]) -> dict[str, Any]:
        return {"teams": await registry.teams(call.who, call.query.grid_id)}

    @http.post("/teams", summary="Form a team", body=TeamIn, status=201, rule=access.TEAMS_WRITE)
    async def add(call: Call[TeamIn, None]) -> dict[str, Any]:
        return await registry.save_team(call.who, call.body, None)

    @http.put(
        "/teams/{team_id}",
        summary="Rename a team, change its leader",
        body=TeamIn,
        rule=access.TEAMS_WRITE,
    )
    async def change(call: Call[TeamIn, None]) -> dict[str, Any]:
        return await registry.save_team(call.who, call.body, call.path_int("team_id"))

    @http.put(
        "/teams/{team_id}/members/{volunteer_id}",
        summary="Add a volunteer to a team",
        rule=access.TEAM_MEMBERS,
    )
    async def join(call: Call[None, None]) -> dict[str, Any]:
        team_id, volunteer_id = call.path_int("team_id"), call.path_int("volunteer_id")
        return await registry.add_member(call.who, team_id, volunteer_id)

    @http.delete(
        "/teams/{team_id}/members/{volunteer_id}",
        summary="Take a volunteer off a team",
        status=204,
        rule=access.TEAM_MEMBERS,
    )
    async def leave(call: Call[None, None]) -> None:
        team_id, volunteer_id = call.path_int("team_id"), call.path_int("volunteer_id")
        await registry.remove_member(call.who, team_id, volunteer_id)
