"""Roles of the participation plugin and one rule per action.

Residents act as themselves: a resident is a person holding the core `resident` role on a
grid of their village (the demo's r01..r05); their points account is per village.
"""

from __future__ import annotations

from hub.sdk import Role, RoleSpec, Scope, for_roles

OFFICER = "participation_officer"

OFFICER_ROLE = RoleSpec(
    name=OFFICER,
    title_zh="群众参与专员",
    title_en="Participation officer",
    description_zh="制定积分规则、给予积分、管理积分超市与兑换",
    description_en="Sets points rules, awards points, runs the points shop and its exchanges",
)

# Village officers: the plugin's own role and the core roles that run a village.
OFFICERS = frozenset({OFFICER, Role.COMMANDER, Role.GRID_LEADER})
RESIDENTS = frozenset({Role.RESIDENT})
READERS = OFFICERS | RESIDENTS

ITEM = "participation_item"
EXCHANGE = "participation_exchange"

RULES_READ = for_roles("participation.points.rules.read", READERS, Scope.LISTED)
RULES_WRITE = for_roles("participation.points.rules.write", OFFICERS, Scope.GRID)
AWARD = for_roles("participation.points.award", OFFICERS, Scope.PERSON)
ACCOUNTS_READ = for_roles("participation.points.accounts.read", OFFICERS, Scope.LISTED)
MY_POINTS = for_roles("participation.points.mine", RESIDENTS, Scope.OWN)

SHOP_READ = for_roles("participation.shop.read", READERS, Scope.LISTED)
SHOP_WRITE = for_roles("participation.shop.write", OFFICERS, Scope.GRID)
EXCHANGE_CREATE = for_roles("participation.shop.exchange", RESIDENTS, ITEM)
EXCHANGES_READ = for_roles("participation.exchanges.read", OFFICERS, Scope.LISTED)
HAND_OVER = for_roles("participation.exchanges.hand_over", OFFICERS, EXCHANGE)

ACTIVITY = "participation_activity"

ACTIVITIES_READ = for_roles("participation.activities.read", READERS, Scope.LISTED)
ACTIVITIES_WRITE = for_roles("participation.activities.write", OFFICERS, Scope.GRID)
SIGN_UP = for_roles("participation.activities.sign_up", RESIDENTS, ACTIVITY)
CHECK_IN = for_roles("participation.activities.check_in", RESIDENTS, ACTIVITY)
SIGNUPS_READ = for_roles("participation.activities.signups.read", OFFICERS, ACTIVITY)
COMPLETE = for_roles("participation.activities.complete", OFFICERS, ACTIVITY)
ACTIVITY_CHANGE = for_roles("participation.activities.change", OFFICERS, ACTIVITY)
STATS_READ = for_roles("participation.volunteers.stats", OFFICERS, Scope.LISTED)

TOPIC = "participation_topic"
VOTE = "participation_vote"

TOPICS_READ = for_roles("participation.topics.read", READERS, Scope.LISTED)
PROPOSE = for_roles("participation.topics.propose", READERS, Scope.GRID)
REGISTER = for_roles("participation.topics.register", RESIDENTS, TOPIC)
TOPIC_RUN = for_roles("participation.topics.run", OFFICERS, TOPIC)
BALLOT = for_roles("participation.votes.cast", RESIDENTS, VOTE)
VOTE_CLOSE = for_roles("participation.votes.close", OFFICERS, VOTE)

POST = "participation_post"

FEED_READ = for_roles("participation.feed.read", READERS, Scope.LISTED)
FEED_WRITE = for_roles("participation.feed.write", RESIDENTS, Scope.GRID)
FEED_REPORT = for_roles("participation.feed.report", RESIDENTS, POST)
MODERATE = for_roles("participation.feed.moderate", OFFICERS, POST)

NEED = "participation_need"

NEEDS_READ = for_roles("participation.needs.read", READERS, Scope.LISTED)
NEEDS_WRITE = for_roles("participation.needs.write", RESIDENTS, Scope.GRID)
NEED_TAKE = for_roles("participation.needs.take", RESIDENTS, NEED)
NEED_DONE = for_roles("participation.needs.done", READERS, NEED)

VOLUNTEER = "participation_volunteer"
TEAM = "participation_team"

VOLUNTEER_REGISTER = for_roles("participation.volunteers.register", RESIDENTS, Scope.GRID)
VOLUNTEER_MINE = for_roles("participation.volunteers.mine", RESIDENTS, Scope.OWN)
VOLUNTEERS_READ = for_roles("participation.volunteers.read", OFFICERS, Scope.LISTED)
VOLUNTEER_DECIDE = for_roles("participation.volunteers.decide", OFFICERS, VOLUNTEER)
TEAMS_READ = for_roles("participation.teams.read", OFFICERS, Scope.LISTED)
TEAMS_WRITE = for_roles("participation.teams.write", OFFICERS, Scope.GRID)
TEAM_MEMBERS = for_roles("participation.teams.members", OFFICERS, TEAM)
