"""Nodes started together on a fresh PostgreSQL database: every start-up write happens once.

Each node seeds what it finds missing at start-up (the dispatch catalogue, the default alarm
rules, the first admin, the token signing key). Started together, every node found them
missing; one wrote them and the others died on the key (UniqueViolationError on
pk_dispatch_departments) or, for rows without a natural key, wrote them again.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from plugins.alarms.models import AlarmRule
from plugins.alarms.plugin import AlarmsPlugin
from plugins.alarms.rules import DEFAULT_RULES
from plugins.alarms.rules import seed_defaults as seed_rules
from plugins.dispatch import DispatchPlugin
from plugins.dispatch.catalogue import DEFAULT_CATEGORIES, DEFAULT_DEPARTMENTS, Catalogue
from plugins.dispatch.models import Category, Department
from plugins.mediation.bridge import DISPUTE as MEDIATION_DISPUTE
from plugins.services.categories import OFFERED as SERVICE_CATEGORIES
from storage import migrate
from storage.models import Person
from storage.sql import create_engine, session_factory
from tests import services
from tests.cluster.nodes import Cluster, Node, deployment

pytestmark = pytest.mark.postgres
NODES = ("a", "b", "c")
ANNOUNCED = "GridHub is listening on"
ADMIN = re.compile(r"Created the first admin: username (\S+)  password (\S+)")
WAIT_S = 60.0
Model = type[Category] | type[Department] | type[AlarmRule] | type[Person]


@pytest.fixture
async def fresh_cluster(postgres_server: str, tmp_path: Path) -> AsyncIterator[Cluster]:
    """An empty database (no demo county) and Redis; every installed plugin enabled."""
    env = {"GRIDHUB_AUTH__ACCESS_TTL_S": "3600"}
    with deployment(postgres_server, tmp_path, "gridhub_first_", env, demo=False) as cluster:
        yield cluster


async def test_three_nodes_started_together_come_up_and_seed_once(
    fresh_cluster: Cluster,
) -> None:
    nodes = await fresh_cluster.start_together(*NODES)
    logs = [await announced(node) for node in nodes]  # after start-up's last write
    admins = [m for m in (ADMIN.search(log) for log in logs) if m is not None]
    assert len(admins) == 1, logs  # one node created the first admin and printed it

    engine = create_engine(fresh_cluster.database_url)
    try:
        rows = await counts(session_factory(engine))
        codes = await category_codes(session_factory(engine))
    finally:
        await engine.dispose()
    assert rows == {
        Department: len(DEFAULT_DEPARTMENTS),
        AlarmRule: len(DEFAULT_RULES),
        Person: 1,
    }
    # Dispatch's own categories once each; beside them only those other plugins offer over the
    # bus (CategoryOffered), which may still be on their way when start-up is announced.
    seeded = {c.code for c in DEFAULT_CATEGORIES}
    assert seeded <= codes
    assert codes - seeded <= offered_codes()
    # One signing key (generated at first start, none is configured): a token from one node
    # is good on the others.
    username, password = admins[0].groups()
    token = await login(nodes[0], username, password)
    for node in nodes:
        assert await whoami(node, token) == username
        assert node.process.poll() is None, node.log.read_text()[-3000:]


async def test_seeds_racing_from_three_engines_write_once(
    postgres_server: str,
) -> None:
    """The same race in one process, three engines standing for three nodes."""
    with services.fresh_database(postgres_server, "gridhub_seeds_") as url:
        engines = [create_engine(url) for _ in NODES]
        try:
            dirs = [p.migrations for p in (DispatchPlugin(), AlarmsPlugin()) if p.migrations]
            await migrate.upgrade(engines[0], dirs)
            makers = [session_factory(engine) for engine in engines]
            await each_once(makers, seed_catalogue)
            await each_once(makers, seed_alarm_rules)
            rows = await counts(makers[0])
            codes = await category_codes(makers[0])
        finally:
            await asyncio.gather(*(engine.dispose() for engine in engines))
    assert rows[Department] == len(DEFAULT_DEPARTMENTS)
    assert codes == {c.code for c in DEFAULT_CATEGORIES}
    assert rows[AlarmRule] == len(DEFAULT_RULES)


async def seed_catalogue(sessions: async_sessionmaker[AsyncSession]) -> bool:
    return await Catalogue(sessions, lambda: migrate.first_start(sessions)).seed_defaults()


async def seed_alarm_rules(sessions: async_sessionmaker[AsyncSession]) -> bool:
    return await seed_rules(sessions, lambda: migrate.first_start(sessions))


async def each_once(
    makers: list[async_sessionmaker[AsyncSession]],
    seed: Callable[[async_sessionmaker[AsyncSession]], Awaitable[bool]],
) -> None:
    """Run `seed` on every engine at once: none fails, exactly one writes."""
    outcomes = await asyncio.gather(*(seed(m) for m in makers), return_exceptions=True)
    assert sorted(map(str, outcomes)) == ["False", "False", "True"], outcomes


async def category_codes(sessions: async_sessionmaker[AsyncSession]) -> set[str]:
    async with sessions() as session:
        return set(await session.scalars(select(Category.code)))


def offered_codes() -> set[str]:
    """The category codes the installed plugins offer to dispatch at start-up."""
    return {offer.code for offer in (*SERVICE_CATEGORIES, MEDIATION_DISPUTE)}


async def counts(sessions: async_sessionmaker[AsyncSession]) -> dict[Model, int]:
    models: tuple[Model, ...] = (Department, AlarmRule, Person)
    async with sessions() as session:
        return {
            model: int(await session.scalar(select(func.count()).select_from(model)) or 0)
            for model in models
        }


async def announced(node: Node) -> str:
    """The node's log once start-up has finished (it prints ANNOUNCED last); fails if the
    node died first. Polls the file: a child's output offers nothing to await."""
    deadline = time.monotonic() + WAIT_S
    while ANNOUNCED not in (log := node.log.read_text()):
        assert node.process.poll() is None, f"node {node.name} died:\n{log[-3000:]}"
        assert time.monotonic() < deadline, f"node {node.name} never finished:\n{log[-3000:]}"
        await asyncio.sleep(0.1)
    return log


async def login(node: Node, username: str, password: str) -> str:
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            node.url + "/api/v1/auth/login", json={"username": username, "password": password}
        ) as response,
    ):
        body = await response.json()
        assert response.status == 200, body
        return str(body["access_token"])


async def whoami(node: Node, token: str) -> str:
    async with (
        aiohttp.ClientSession() as http,
        http.get(
            node.url + "/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}
        ) as response,
    ):
        body = await response.json()
        assert response.status == 200, body
        return str(body["username"])
