"""The heap every test shares is out of the garbage collector's view (tests/conftest.py), so a
full collection, which pauses the event loop a hub under test shares with its clients, walks only
what the tests made since."""

from __future__ import annotations

import gc


def test_what_was_alive_after_collection_is_frozen() -> None:
    assert gc.get_freeze_count() > 50_000  # modules, models, schemas: most of the heap
