"""TimerService: firing on time, exactly once across nodes, retries, restarts, lease takeover."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from hub.timers import DueTimer, TimerService, TimerStore, TimerView
from tests.hub.timer_backends import BACKENDS, StoreFactory, open_stores

MakeService = Callable[..., TimerService]


@pytest.fixture(params=BACKENDS)
async def stores(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[StoreFactory]:
    async with open_stores(request.param, request, tmp_path) as factory:
        yield factory


@pytest.fixture
async def services(stores: StoreFactory) -> AsyncIterator[MakeService]:
    """Makes a service ("node") with a store of its own on the shared backend; stopped after."""
    made: list[TimerService] = []

    def make(node: str = "n1", store: TimerStore | None = None, **options: Any) -> TimerService:
        options.setdefault("poll_s", 0.05)
        options.setdefault("backoff_s", 0.02)
        service = TimerService(store or stores(), node, **options)
        made.append(service)
        return service

    yield make
    for service in made:
        await service.stop()


class Fired:
    """A handler that records each call and lets a test wait for a number of them."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, float, dict[str, Any], DueTimer]] = []
        self.changed = asyncio.Event()

    async def __call__(self, payload: dict[str, Any], timer: DueTimer) -> None:
        self.calls.append((timer.claimed_by or "", timer.key, time.time(), payload, timer))
        self.changed.set()

    async def wait_for(self, count: int, within: float = 10.0) -> None:
        async with asyncio.timeout(within):
            while len(self.calls) < count:
                self.changed.clear()
                await self.changed.wait()


async def completed(view: TimerView, within: float = 5.0) -> None:
    """Poll (bounded) until the view has no timers left."""
    deadline = time.monotonic() + within
    while await view.pending():
        if time.monotonic() > deadline:
            raise AssertionError("timers were not completed in time")
        await asyncio.sleep(0.01)


async def test_a_timer_fires_on_time_with_its_payload(services: MakeService) -> None:
    service, fired = services(), Fired()
    service.register("sla", "deadline", fired)
    await service.start()
    fire_at = time.time() + 0.3
    await service.schedule("sla", "deadline", "case-1", fire_at, {"case": 1})
    await fired.wait_for(1)
    [(_, key, at, payload, timer)] = fired.calls
    assert (key, payload, timer.owner, timer.kind, timer.attempts) == (
        "case-1",
        {"case": 1},
        "sla",
        "deadline",
        0,
    )
    assert at >= fire_at  # never early; how late is measured in loadtests (docs/benchmarks.md)
    await asyncio.sleep(0.1)
    assert len(fired.calls) == 1
    assert await service.store.pending("sla") == []


async def test_a_local_schedule_wakes_a_long_poll_early(services: MakeService) -> None:
    service, fired = services(poll_s=30.0), Fired()
    service.register("sla", "deadline", fired)
    await service.start()
    await asyncio.sleep(0.05)  # the loop is now asleep for up to 30 s
    fire_at = time.time() + 0.2
    await service.schedule("sla", "deadline", "k", fire_at)
    await fired.wait_for(1, within=2)  # not after the 30-s poll: the schedule woke the loop
    assert fired.calls[0][2] >= fire_at


async def test_each_timer_fires_exactly_once_across_two_nodes(services: MakeService) -> None:
    nodes, fired = [services("a"), services("b")], Fired()
    for node in nodes:
        node.register("sla", "deadline", fired)
        await node.start()
    base = time.time() + 0.3
    for i in range(100):
        await nodes[i % 2].schedule("sla", "deadline", f"k{i}", base + i / 200, {"i": i})
    await fired.wait_for(100)
    await asyncio.sleep(0.3)  # nothing fires twice later either
    counts = Counter(key for _, key, *_ in fired.calls)
    assert counts == Counter({f"k{i}": 1 for i in range(100)})
    assert {node for node, *_ in fired.calls} <= {"a", "b"}
    assert await nodes[0].store.pending("sla") == []


async def test_a_failing_handler_is_retried_then_dead_lettered(
    services: MakeService, caplog: pytest.LogCaptureFixture
) -> None:
    service, fired = services(max_attempts=3), Fired()

    async def broken(payload: dict[str, Any], timer: DueTimer) -> None:
        await fired(payload, timer)
        raise RuntimeError("boom")

    service.register("sla", "deadline", broken)
    await service.start()
    await service.schedule("sla", "deadline", "k", time.time(), {"v": 1})
    await fired.wait_for(3, within=5)
    await asyncio.sleep(0.3)  # time for the dead-letter bookkeeping (and no 4th attempt)
    assert [timer.attempts for *_, timer in fired.calls] == [0, 1, 2]
    assert service.stats.dead_lettered == 1
    assert await service.store.pending("sla") == []
    assert "dead-lettered" in caplog.text


async def test_a_handler_that_fails_once_succeeds_on_retry(services: MakeService) -> None:
    service, fired = services(), Fired()

    async def flaky(payload: dict[str, Any], timer: DueTimer) -> None:
        if timer.attempts == 0:
            raise RuntimeError("transient")
        await fired(payload, timer)

    service.register("sla", "deadline", flaky)
    await service.start()
    await service.schedule("sla", "deadline", "k", time.time(), {"v": 1})
    await fired.wait_for(1)
    assert fired.calls[0][4].attempts == 1
    assert fired.calls[0][3] == {"v": 1}
    assert service.stats.dead_lettered == 0


async def test_a_timer_survives_a_restart(services: MakeService) -> None:
    first = services("n1")
    first.register("sla", "deadline", Fired())
    await first.start()
    await first.schedule("sla", "deadline", "k", time.time() + 0.4, {"v": 1})
    await first.stop()
    second, fired = services("n1"), Fired()  # a new process: new store, same database
    second.register("sla", "deadline", fired)
    await second.start()
    await fired.wait_for(1)
    assert fired.calls[0][3] == {"v": 1}


async def test_a_cancelled_timer_does_not_fire(services: MakeService) -> None:
    service, fired = services(), Fired()
    service.register("sla", "deadline", fired)
    # Cancelled before the service claims anything: 'gone' is due first, so had it survived
    # it would be the first (or only) call.
    await service.schedule("sla", "deadline", "gone", time.time() + 0.2)
    await service.schedule("sla", "deadline", "kept", time.time() + 0.3)
    assert await service.cancel("sla", "gone") is True
    assert await service.cancel("sla", "never-scheduled") is False
    await service.start()
    await fired.wait_for(1)
    assert [key for _, key, *_ in fired.calls] == ["kept"]


async def test_a_timer_cancelled_while_it_fires_says_so_and_is_not_retried(
    services: MakeService,
) -> None:
    service, sentinel = services(), Fired()
    started, release, runs = asyncio.Event(), asyncio.Event(), Counter[str]()

    async def failing_after_the_cancel(payload: dict[str, Any], timer: DueTimer) -> None:
        runs[timer.key] += 1
        started.set()
        await release.wait()
        raise RuntimeError("would be retried, had it not been cancelled")

    service.register("sla", "deadline", failing_after_the_cancel)
    service.register("sla", "sentinel", sentinel)
    await service.start()
    await service.schedule("sla", "deadline", "k", time.time())
    await asyncio.wait_for(started.wait(), 10)
    assert await service.cancel("sla", "k") is False  # it is firing: the caller is told
    release.set()
    deadline = time.monotonic() + 5
    while service.stats.failed < 1:  # bounded poll: the failure has no event of its own
        assert time.monotonic() < deadline, "the handler's failure was not recorded"
        await asyncio.sleep(0.01)
    # A retry would be due backoff_s (0.02 s) after the failure, before this sentinel.
    await service.schedule("sla", "sentinel", "s", time.time() + 0.2)
    await sentinel.wait_for(1)
    assert runs == Counter({"k": 1})
    await completed(service.view("sla"))  # nothing of k left to retry or take over


async def test_a_dead_nodes_timers_are_taken_over_after_its_lease(
    services: MakeService, stores: StoreFactory
) -> None:
    dead = stores()
    await dead.schedule("sla", "deadline", "k", time.time(), {"v": 1})
    claimed_at = time.time()
    [held] = await dead.claim_due("dead", claimed_at, 0.5, 10)  # and then it died
    survivor, fired = services("alive"), Fired()
    survivor.register("sla", "deadline", fired)
    await survivor.start()
    await fired.wait_for(1, within=5)
    [(_, _, at, payload, timer)] = fired.calls
    assert at >= claimed_at + 0.5  # not before the dead node's lease ran out
    assert (timer.id, timer.claimed_by, payload) == (held.id, "alive", {"v": 1})
    assert await dead.complete(held.id, "dead") is False


async def test_a_handler_outliving_its_lease_is_cancelled_and_retried(
    services: MakeService,
) -> None:
    service, fired = services(lease_s=0.2), Fired()

    async def slow_once(payload: dict[str, Any], timer: DueTimer) -> None:
        if timer.attempts == 0:
            await asyncio.sleep(5)
        await fired(payload, timer)

    service.register("sla", "deadline", slow_once)
    await service.start()
    await service.schedule("sla", "deadline", "k", time.time())
    await fired.wait_for(1, within=3)
    assert fired.calls[0][4].attempts == 1


async def test_due_timers_among_many_active_ones_fire_once_and_never_early(
    services: MakeService,
) -> None:
    # How late they fire under load is a benchmark's question (loadtests/escalation), not a
    # test's: on a busy machine the schedules alone can take longer than any fixed bound.
    service, fired = services(poll_s=0.2), Fired()
    service.register("sla", "deadline", fired)
    for i in range(1000):  # active timers that are not due
        await service.store.schedule("sla", "later", f"far{i}", time.time() + 3600 + i, {})
    await service.start()
    base = time.time() + 1.0
    due = {f"k{i}": base + i / 100 for i in range(200)}  # 100 a second for two seconds
    await asyncio.gather(*(service.schedule("sla", "deadline", k, at) for k, at in due.items()))
    await fired.wait_for(200, within=10)
    assert sorted(key for _, key, *_ in fired.calls) == sorted(due)
    assert all(at >= due[key] for _, key, at, *_ in fired.calls)  # and no far one fired


async def test_concurrent_schedules_share_writes_and_all_fire(services: MakeService) -> None:
    service, fired = services(), Fired()
    service.register("sla", "deadline", fired)
    await service.start()
    due = time.time() + 0.3
    await asyncio.gather(
        *(service.schedule("sla", "deadline", f"k{i}", due, {"i": i}) for i in range(300))
    )
    assert len(await service.store.pending("sla")) == 300  # durable once schedule returned
    await fired.wait_for(300)
    assert sorted(p["i"] for *_, p, _ in fired.calls) == list(range(300))


async def test_stop_lets_a_running_handler_finish_and_completes_it(
    services: MakeService,
) -> None:
    service, fired, started = services(), Fired(), asyncio.Event()

    async def slowish(payload: dict[str, Any], timer: DueTimer) -> None:
        started.set()
        await asyncio.sleep(0.2)
        await fired(payload, timer)

    service.register("sla", "deadline", slowish)
    await service.start()
    await service.schedule("sla", "deadline", "k", time.time())
    await asyncio.wait_for(started.wait(), 5)
    await service.stop()
    assert len(fired.calls) == 1
    assert await service.store.pending("sla") == []  # not left to fire again after its lease


async def test_a_plugin_view_is_scoped_to_its_owner(services: MakeService) -> None:
    service = services()
    view = TimerView(service, "escalation")
    fired = Fired()

    @view.handler("step")
    async def step(payload: dict[str, Any], timer: DueTimer) -> None:
        await fired(payload, timer)

    await service.start()
    await view.schedule("step", "incident-7", time.time() + 0.1, {"level": 2})
    await service.schedule("other", "step", "incident-7", time.time() + 3600)
    assert [t.key for t in await view.pending()] == ["incident-7"]
    await fired.wait_for(1)
    assert fired.calls[0][4].owner == "escalation"
    await completed(view)  # fired timers are deleted in a batch just after their handler
    assert await view.cancel("incident-7") is False
    assert await service.cancel("other", "incident-7") is True
    with pytest.raises(ValueError, match="already registered"):
        view.handler("step")(step)
