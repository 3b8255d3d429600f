"""Who may do what: the plugin's roles (调解员, 法律顾问), its rules (role × action × scope)
and the case predicates the handlers apply once the case is known.

* Intake: mediators, command roles and grid leaders over the dispute's grid.
* Reading a case: its mediators, mediation people and staff leaders over its grid, and the
  committee's level (mediators, command roles) over the level now handling it.
* Working a case: mediators and command roles over the level handling it (or above).
* The ledger and KPIs: mediators, legal advisers and command roles over the grid asked for.
"""

from __future__ import annotations

from hub.sdk import (
    COMMAND_ROLES,
    Forbidden,
    GridIndex,
    Principal,
    Role,
    RoleSpec,
    Scope,
    for_roles,
    in_scope,
    public,
    signed_in,
)
from plugins.mediation.models import Case

MEDIATOR = "mediation_mediator"
LEGAL_ADVISER = "mediation_legal_adviser"

MEDIATOR_ROLE = RoleSpec(
    name=MEDIATOR,
    title_zh="调解员",
    title_en="Mediator",
    description_zh="人民调解委员会调解员：受理、调解、记录和回访所辖网格的矛盾纠纷",
    description_en="People's mediation committee member: takes, mediates and follows up disputes",
)
LEGAL_ADVISER_ROLE = RoleSpec(
    name=LEGAL_ADVISER,
    title_zh="法律顾问",
    title_en="Legal adviser",
    description_zh="一村一法律顾问：查看所辖村的调解案件和台账，提供法律意见",
    description_en="The village's legal adviser: reads its cases and ledger and gives legal advice",
)

WORKERS = frozenset({MEDIATOR, *COMMAND_ROLES})  # work a case at its level
INTAKE_ROLES = frozenset({*WORKERS, Role.GRID_LEADER})
READERS = frozenset({*INTAKE_ROLES, LEGAL_ADVISER})
LEDGER_ROLES = frozenset({*WORKERS, LEGAL_ADVISER})

LEGAL_READERS = frozenset({LEGAL_ADVISER, *WORKERS})  # the questions of their grids

CASE = "mediation_case"  # scope: `sees` / `works` below
QUESTION = "mediation_question"  # scope: the question's village in the caller's grids
TRACKING_CODE = "tracking_code"  # scope: the code a resident was given is the credential

INTAKE = for_roles("mediation.case.intake", INTAKE_ROLES, Scope.GRID)
LIST = for_roles("mediation.case.list", READERS, Scope.LISTED)
READ = for_roles("mediation.case.read", READERS, CASE)  # detail, agreement PDF
ACT = for_roles("mediation.case.act", WORKERS, CASE)  # workflow steps, sessions
REVEAL = for_roles("mediation.party.reveal", WORKERS, CASE)  # a party's phone, audited
LEDGER = for_roles("mediation.ledger", LEDGER_ROLES, Scope.GRID)
EXPERT = "mediation_expert"  # scope: the expert's town or county in the caller's grids
EXPERTS = for_roles("mediation.expert.list", READERS, Scope.LISTED)  # pools above and below
EXPERT_KEEP = for_roles("mediation.expert.keep", WORKERS, EXPERT)  # town or county staff
ARTICLE_ROLES = frozenset({*WORKERS, LEGAL_ADVISER})  # 普法: mediators, advisers, command roles
ARTICLE = "mediation_article"  # scope: the article's grid in the caller's grids
ARTICLES = for_roles("mediation.article.list", ARTICLE_ROLES, Scope.LISTED)
ARTICLE_WRITE = for_roles("mediation.article.write", ARTICLE_ROLES, ARTICLE)
ARTICLE_FEED = signed_in("mediation.article.feed", Scope.LISTED)  # the field app: my grids
PUBLIC_READ = public("mediation.public.read")  # published articles of a village
QUESTIONS = for_roles("mediation.question.list", LEGAL_READERS, Scope.LISTED)
ANSWER = for_roles("mediation.question.answer", frozenset({LEGAL_ADVISER}), QUESTION)
PUBLIC_ASK = public("mediation.public.ask")  # villages, asking (limited per address)
PUBLIC_TRACK = public("mediation.public.track", TRACKING_CODE)  # progress, rating


def sees(who: Principal, index: GridIndex, case: Case) -> bool:
    return (
        who.person_id in case.mediator_ids
        or in_scope(who, index, case.grid_id, READERS)
        or in_scope(who, index, case.level_grid_id, WORKERS)
    )


def works(who: Principal, index: GridIndex, case: Case) -> bool:
    """Mediators and command roles of the committee handling the case, or above it."""
    return in_scope(who, index, case.level_grid_id, WORKERS)


def require_work(who: Principal, index: GridIndex, case: Case) -> None:
    if not works(who, index, case):
        raise Forbidden(
            "mediation.not_handler",
            f"only the mediation committee handling case {case.number} may do this",
        )


def may_read_question(who: Principal, index: GridIndex, grid_id: int) -> bool:
    return in_scope(who, index, grid_id, LEGAL_READERS)


def require_adviser(who: Principal, index: GridIndex, grid_id: int) -> None:
    """The village's legal adviser (一村一法律顾问) answers: one holding the role over it."""
    if not (who.is_admin or in_scope(who, index, grid_id, {LEGAL_ADVISER})):
        raise Forbidden("mediation.not_adviser", "only the village's legal adviser may answer")
