"""The incident lifecycle as data: states, actions, who may take them, and timed stages.

reported -> registered (立案) | not_accepted -> dispatched -> signed (签收) -> en_route ->
on_scene -> handled -> verified (核查; a failed check goes back to signed) -> closed (结案),
with return (退回), escalate (上报), park (挂账), reopen, rate (回访), supervise (督办) and
comment around it. Pure: no I/O, so the table can be read and tested on its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class State(StrEnum):
    REPORTED = "reported"
    REGISTERED = "registered"
    NOT_ACCEPTED = "not_accepted"
    DISPATCHED = "dispatched"
    SIGNED = "signed"
    EN_ROUTE = "en_route"
    ON_SCENE = "on_scene"
    HANDLED = "handled"
    VERIFIED = "verified"
    CLOSED = "closed"
    PARKED = "parked"


class Actor(StrEnum):
    """Which relation to the incident an action needs."""

    COMMAND = "command"  # commander/dispatcher over the handling level
    ASSIGNEE = "assignee"  # the lead assignee (or, for co-handling, any assignee)
    VERIFIER = "verifier"  # grid leader or command roles over the grid, not the handler
    INVOLVED = "involved"  # anyone in scope or assigned
    REPORTER = "reporter"  # the reporting person, or command roles recording a callback


class Action(StrEnum):
    REGISTER = "register"
    REJECT = "reject"
    DISPATCH = "dispatch"
    SIGN = "sign"
    RETURN = "return"
    EN_ROUTE = "en_route"
    ON_SCENE = "on_scene"
    HANDLE = "handle"
    VERIFY = "verify"
    CLOSE = "close"
    RATE = "rate"
    ESCALATE = "escalate"
    PARK = "park"
    UNPARK = "unpark"
    REOPEN = "reopen"
    SUPERVISE = "supervise"
    COMMENT = "comment"


OPEN = frozenset(State) - {State.CLOSED, State.NOT_ACCEPTED}
WORKING = frozenset({State.SIGNED, State.EN_ROUTE, State.ON_SCENE})


@dataclass(frozen=True, slots=True)
class Rule:
    sources: frozenset[State]
    target: State | None  # None: the state does not change
    actor: Actor
    needs_note: bool = False


RULES: dict[Action, Rule] = {
    Action.REGISTER: Rule(frozenset({State.REPORTED}), State.REGISTERED, Actor.COMMAND),
    Action.REJECT: Rule(frozenset({State.REPORTED}), State.NOT_ACCEPTED, Actor.COMMAND, True),
    Action.DISPATCH: Rule(frozenset({State.REGISTERED}), State.DISPATCHED, Actor.COMMAND),
    # A co-handler (协办) signs for their own part at any time; the lead's signature moves it.
    Action.SIGN: Rule(frozenset({State.DISPATCHED, *WORKING}), State.SIGNED, Actor.ASSIGNEE),
    Action.RETURN: Rule(
        frozenset({State.DISPATCHED, *WORKING}), State.REGISTERED, Actor.ASSIGNEE, True
    ),
    Action.EN_ROUTE: Rule(frozenset({State.SIGNED}), State.EN_ROUTE, Actor.ASSIGNEE),
    Action.ON_SCENE: Rule(
        frozenset({State.SIGNED, State.EN_ROUTE}), State.ON_SCENE, Actor.ASSIGNEE
    ),
    Action.HANDLE: Rule(WORKING, State.HANDLED, Actor.ASSIGNEE, True),
    # A failed check sends the incident back to the handlers: see `verify_target`.
    Action.VERIFY: Rule(frozenset({State.HANDLED}), State.VERIFIED, Actor.VERIFIER),
    Action.CLOSE: Rule(frozenset({State.VERIFIED}), State.CLOSED, Actor.COMMAND),
    Action.RATE: Rule(frozenset({State.CLOSED}), None, Actor.REPORTER),
    Action.ESCALATE: Rule(
        frozenset({State.REPORTED, State.REGISTERED, State.DISPATCHED, *WORKING}),
        State.REGISTERED,
        Actor.COMMAND,
        True,
    ),
    Action.PARK: Rule(
        frozenset({State.REGISTERED, State.DISPATCHED, *WORKING}), State.PARKED, Actor.COMMAND, True
    ),
    Action.UNPARK: Rule(frozenset({State.PARKED}), State.REGISTERED, Actor.COMMAND),
    Action.REOPEN: Rule(
        frozenset({State.CLOSED, State.NOT_ACCEPTED}), State.REGISTERED, Actor.COMMAND, True
    ),
    Action.SUPERVISE: Rule(OPEN, None, Actor.COMMAND, True),
    Action.COMMENT: Rule(frozenset(State), None, Actor.INVOLVED, True),
}


def verify_target(passed: bool) -> State:
    return State.VERIFIED if passed else State.SIGNED


def allowed_actions(state: State) -> list[Action]:
    """Actions whose source states include `state`, in lifecycle order."""
    return [action for action, rule in RULES.items() if state in rule.sources]


class Stage(StrEnum):
    """Timed stages: each has an SLA deadline per priority."""

    INTAKE = "intake"  # reported -> registered / not accepted
    DISPATCH = "dispatch"  # registered -> dispatched
    SIGN = "sign"  # dispatched -> signed
    HANDLE = "handle"  # signed -> handled
    VERIFY = "verify"  # handled -> verified
    CLOSE = "close"  # verified -> closed


STAGE_OF: dict[State, Stage] = {
    State.REPORTED: Stage.INTAKE,
    State.REGISTERED: Stage.DISPATCH,
    State.DISPATCHED: Stage.SIGN,
    State.SIGNED: Stage.HANDLE,
    State.EN_ROUTE: Stage.HANDLE,
    State.ON_SCENE: Stage.HANDLE,
    State.HANDLED: Stage.VERIFY,
    State.VERIFIED: Stage.CLOSE,
}


def stage_of(state: State) -> Stage | None:
    """The timed stage an incident in `state` is in; None when nothing is due (closed, parked)."""
    return STAGE_OF.get(state)


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


# Seconds per stage and priority when neither the category nor the configuration says otherwise.
DEFAULT_SLA: dict[str, dict[str, int]] = {
    Stage.INTAKE: {"urgent": 600, "high": 1800, "normal": 7200, "low": 86400},
    Stage.DISPATCH: {"urgent": 600, "high": 1800, "normal": 7200, "low": 86400},
    Stage.SIGN: {"urgent": 900, "high": 3600, "normal": 14400, "low": 86400},
    Stage.HANDLE: {"urgent": 7200, "high": 86400, "normal": 259200, "low": 604800},
    Stage.VERIFY: {"urgent": 3600, "high": 86400, "normal": 172800, "low": 604800},
    Stage.CLOSE: {"urgent": 3600, "high": 86400, "normal": 86400, "low": 259200},
}
