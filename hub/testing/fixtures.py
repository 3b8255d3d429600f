"""pytest fixtures of the GridHub testing kit; a plugin's conftest.py loads them with

    pytest_plugins = ["hub.testing.fixtures"]

`start_gridhub(plugins, demo=..., database_url=..., config=..., **settings)` starts a hub
(hub.testing.running_hub) that stops at the end of the test; `demo=True` hubs copy the demo
county from `gridhub_demo_template`, seeded once per run. Needs pytest-asyncio.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator, Iterable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any, Protocol

import pytest
import pytest_asyncio

from hub.plugins import Plugin
from hub.testing.demo import make_demo_template
from hub.testing.hubs import RunningHub, hub_settings, running_hub


class StartGridHub(Protocol):
    async def __call__(
        self,
        plugins: Iterable[str | Plugin] = (),
        *,
        demo: bool = False,
        database_url: str | None = None,
        **options: Any,
    ) -> RunningHub: ...


def pytest_collection_finish(session: pytest.Session) -> None:
    """Out of the collector's view: what every test shares (modules, models, schemas), as
    `gridhub serve` does after start-up. A hub under test and its clients share one event
    loop; a full collection over all of it paused them for seconds on a loaded CI machine
    (GridHub's own suite does the same in tests/conftest.py)."""
    gc.collect()
    gc.freeze()


@pytest.fixture(scope="session")
def gridhub_demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file holding the migrated, seeded demo county, made once per run."""
    settings = hub_settings(tmp_path_factory.mktemp("gridhub-demo"))
    # On a private event loop in a worker thread: safe beside any loop pytest-asyncio runs.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, make_demo_template(settings)).result()


@pytest_asyncio.fixture
async def start_gridhub(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[StartGridHub]:
    """Start hubs (each in a data folder of its own under pytest's tmp path); all stop at the
    end of the test."""
    async with AsyncExitStack() as stack:

        async def start(
            plugins: Iterable[str | Plugin] = (),
            *,
            demo: bool = False,
            database_url: str | None = None,
            **options: Any,
        ) -> RunningHub:
            template = request.getfixturevalue("gridhub_demo_template") if demo else None
            data_dir = tmp_path_factory.mktemp("gridhub")
            hub = running_hub(
                plugins, demo=demo, demo_template=template, database_url=database_url,
                data_dir=data_dir, **options,
            )  # fmt: skip
            return await stack.enter_async_context(hub)

        yield start
