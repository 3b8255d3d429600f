"""The heap every test shares is out of the garbage collector's view (tests/conftest.py), and a
stopped hub is freed: a full collection, which pauses the event loop a hub under test shares with
its clients, walks only what the running tests made."""

from __future__ import annotations

import gc
import weakref

from hub.testing import running_hub


def test_what_was_alive_after_collection_is_frozen() -> None:
    assert gc.get_freeze_count() > 50_000  # modules, models, schemas: most of the heap


async def test_a_stopped_hub_is_freed() -> None:
    async with running_hub() as hub:
        # A request: aiohttp caches its route's middleware chain, application included.
        await (await hub.admin()).json("GET", "/api/v1/grids")
        app = weakref.ref(hub.app)
    del hub
    gc.collect()
    assert app() is None
