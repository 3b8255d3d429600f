"""Presence follows calls: both ends of a talking call show "on_call" to their commanders and
return to the state chosen on the device when it ends."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.signaling.conftest import CallHub
from tests.signaling.test_calls import COMMANDER, LEAD, WORKER, invite, of


def w01_in(state: str) -> Callable[[dict[str, Any]], bool]:
    return lambda d: d["username"] == WORKER and d["state"] == state


async def test_a_worker_in_a_call_is_on_call_then_back_to_the_chosen_state(hub: CallHub) -> None:
    commander = await hub.device(await hub.person(COMMANDER))
    lead, worker = await hub.person(LEAD), await hub.person(WORKER)
    caller, phone = await hub.device(lead), await hub.device(worker)
    assert (await phone.ok("presence.set", {"state": "busy"}))["state"] == "busy"
    await commander.next("presence.changed", w01_in("busy"))
    call_id = (await caller.ok("call.invite", invite(worker)))["call_id"]
    await phone.next("call.ringing", of(call_id))
    await phone.ok("call.accept", {"call_id": call_id})
    await commander.next("presence.changed", w01_in("on_call"))
    who = await commander.ok("presence.who", {})
    states = {p["username"]: p["state"] for p in who["people"]}
    assert (states[WORKER], states[LEAD]) == ("on_call", "on_call")
    # Picking a state mid-call keeps "on_call" and is what shows after the call.
    assert (await phone.ok("presence.set", {"state": "away"}))["state"] == "on_call"
    await caller.ok("call.hangup", {"call_id": call_id})
    await commander.next("presence.changed", w01_in("away"))
    after = await commander.ok("presence.who", {})
    states = {p["username"]: p["state"] for p in after["people"]}
    assert (states[WORKER], states[LEAD]) == ("away", "online")


async def test_a_ringing_call_that_ends_unanswered_leaves_presence_alone(hub: CallHub) -> None:
    commander = await hub.device(await hub.person(COMMANDER))
    lead, worker = await hub.person(LEAD), await hub.person(WORKER)
    caller, phone = await hub.device(lead), await hub.device(worker)
    await commander.next("presence.changed", w01_in("online"))
    call_id = (await caller.ok("call.invite", invite(worker)))["call_id"]
    await phone.next("call.ringing", of(call_id))
    await phone.ok("call.decline", {"call_id": call_id})
    await phone.ok("presence.set", {"state": "busy"})  # an event after the decline, in order
    following = await commander.next("presence.changed", lambda d: d["username"] == WORKER)
    assert following["state"] == "busy"  # not "on_call" in between


async def test_when_the_other_end_disconnects_the_worker_returns_to_online(hub: CallHub) -> None:
    commander = await hub.device(await hub.person(COMMANDER))
    lead, worker = await hub.person(LEAD), await hub.person(WORKER)
    caller, phone = await hub.device(lead), await hub.device(worker)
    call_id = (await caller.ok("call.invite", invite(worker)))["call_id"]
    await phone.next("call.ringing", of(call_id))
    await phone.ok("call.accept", {"call_id": call_id})
    await commander.next("presence.changed", w01_in("on_call"))
    await caller.close()
    await phone.next("call.state", lambda d: d["state"] == "ended")
    await commander.next("presence.changed", w01_in("online"))
