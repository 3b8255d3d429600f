"""Who may do what: the plugin's roles and one rule (role × action × scope) per action.

Disclosure: a village drafts (its clerk, or staff commanding the village), the town reviews (a
reviewer or commander whose grant is on a grid strictly above the village: nobody approves
their own village's items), residents read what is published. Party building: secretaries and
commanders over an organisation's grid manage it; a member acts on their own record.
"""

from __future__ import annotations

from hub.sdk import (
    COMMAND_ROLES,
    Forbidden,
    GridIndex,
    Principal,
    RoleSpec,
    Scope,
    for_roles,
    in_scope,
    public,
    signed_in,
)

CLERK = "party_clerk"
REVIEWER = "party_reviewer"
SECRETARY = "party_secretary"

CLERK_ROLE = RoleSpec(
    name=CLERK,
    title_zh="三务公开员",
    title_en="Disclosure clerk",
    description_zh="起草、提交本村党务村务财务公开事项，答复群众提问",
    description_en="Drafts and submits the village's disclosures and answers residents",
)
REVIEWER_ROLE = RoleSpec(
    name=REVIEWER,
    title_zh="三务公开审核员",
    title_en="Disclosure reviewer",
    description_zh="审核辖区各村提交的公开事项，通过后发布",
    description_en="Reviews the villages' disclosures below them and publishes them",
)
SECRETARY_ROLE = RoleSpec(
    name=SECRETARY,
    title_zh="党组织书记",
    title_en="Party secretary",
    description_zh="管理所辖党组织、党员、组织生活会议与积分",
    description_en="Manages the party organisations, members, meetings and points below them",
)
LEADER = "party_leader"
# 领导包靠: a leading cadre assigned to grids (the grant's grid), reached by escalation's
# `notify_roles` steps when an incident there goes overdue (docs/party.md).
LEADER_ROLE = RoleSpec(
    name=LEADER,
    title_zh="包靠领导",
    title_en="Grid leader in charge (领导包靠)",
    description_zh="包靠所分配网格，辖区事件超时时由升级链通知",
    description_en="Answers for the grids assigned; notified by escalation when work there is late",
)
ROLES = (CLERK_ROLE, REVIEWER_ROLE, SECRETARY_ROLE, LEADER_ROLE)

DRAFTERS = frozenset({CLERK, *COMMAND_ROLES})
REVIEWERS = frozenset({REVIEWER, *COMMAND_ROLES})
DISCLOSURE_STAFF = DRAFTERS | REVIEWERS
PARTY_STAFF = frozenset({SECRETARY, *COMMAND_ROLES})

VILLAGE = "village"  # scope: the item's village lies in the caller's drafting grids
TOWN = "town"  # scope: a reviewing grant on a grid strictly above the item's village
MEMBER = "member"  # scope: the caller's own member record
ORG = "org"  # scope: the organisation's grid lies in the caller's party grids
PROMO = "promo"  # scope: every grid a promotion item targets lies in the caller's party grids

DRAFT = for_roles("party.disclosure.draft", DRAFTERS, VILLAGE)
REVIEW = for_roles("party.disclosure.review", REVIEWERS, TOWN)
ANSWER = for_roles("party.disclosure.answer", DISCLOSURE_STAFF, VILLAGE)
READ = for_roles("party.disclosure.read", DISCLOSURE_STAFF, Scope.LISTED)
PUBLIC_READ = public("party.public.read")
PUBLIC_ASK = public("party.public.ask")  # rate-limited per client

ORG_READ = for_roles("party.org.read", PARTY_STAFF, Scope.LISTED)
ORG_EDIT = for_roles("party.org.edit", PARTY_STAFF, ORG)
MEMBER_SELF = signed_in("party.member.self", MEMBER)  # sign in, report home, take tasks
TASK_EDIT = for_roles("party.task.edit", PARTY_STAFF, Scope.GRID)
# 党建宣传: staff over every grid an item targets edit it; anyone reads published items
PROMO_EDIT = for_roles("party.promo.edit", PARTY_STAFF, PROMO)
PROMO_READ = for_roles("party.promo.read", PARTY_STAFF, Scope.LISTED)
# 领导包案: staff over an incident's grid put a 包靠领导 of their grids on it
CASE = "case"  # scope: the incident's grid (as dispatch last described it) in the caller's grids
CASE_EDIT = for_roles("party.case.edit", PARTY_STAFF, CASE)
# a leader's (or secretary's) own alerts: those that reached them, and those over their grids
ALERTS_SELF = signed_in("party.alerts.self", Scope.OWN)


def drafts_for(who: Principal, index: GridIndex, village_id: int) -> bool:
    return in_scope(who, index, village_id, DRAFTERS)


def require_drafter(who: Principal, index: GridIndex, village_id: int) -> None:
    if not drafts_for(who, index, village_id):
        raise Forbidden("scope.forbidden", "this village is not one you draft disclosures for")


def reviews_for(who: Principal, index: GridIndex, village_id: int) -> bool:
    """A reviewing grant on a strict ancestor of the village (admins review everything)."""
    if who.is_admin:
        return True
    above = {node.id for node in index.ancestors(village_id)}
    return any(grid in above for grid in who.grid_ids(REVIEWERS))


def require_reviewer(who: Principal, index: GridIndex, village_id: int) -> None:
    if not reviews_for(who, index, village_id):
        raise Forbidden(
            "party.not_reviewer", "only the town (a reviewer above the village) may review"
        )


def require_party_staff(who: Principal, index: GridIndex, grid_id: int) -> None:
    if not in_scope(who, index, grid_id, PARTY_STAFF):
        raise Forbidden("scope.forbidden", "this organisation is outside your grids")
