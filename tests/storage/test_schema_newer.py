"""Code older than its database refuses to migrate it and changes nothing.

A newer release's migration is written for the test (one more revision on a branch), the
database is migrated with it, and then this release's migrations run on it: they must stop
with SchemaTooNew, not take the branch for empty and build it again. A revision of a plugin
that is not installed here is still set aside as before (tests/plugin_package).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncEngine

from storage import migrate
from storage.sql import create_engine

HELLO = Path(__file__).parents[1] / "plugin_package" / "gridhub-hello" / "gridhub_hello"
HELLO_MIGRATIONS = HELLO / "migrations"

NEXT = '''"""The next release's revision (made by the test)."""

import sqlalchemy as sa
from alembic import op

revision = "{revision}"
down_revision = "{parent}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("{table}", sa.Column("id", sa.Integer(), primary_key=True))


def downgrade() -> None:
    op.drop_table("{table}")
'''


def next_release(folder: Path, revision: str, parent: str) -> Path:
    """A migration folder holding one revision after `parent` (so on `parent`'s branch)."""
    folder.mkdir(parents=True)
    table = f"t_{revision}"
    text = NEXT.format(revision=revision, parent=parent, table=table)
    (folder / f"{revision}.py").write_text(text)
    return folder


async def state(engine: AsyncEngine) -> tuple[set[str], set[str]]:
    async with engine.connect() as conn:
        tables = set(await conn.run_sync(lambda sync: inspect(sync).get_table_names()))
    return await migrate.current_heads(engine), tables


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    made = create_engine(database_url)
    yield made
    await made.dispose()


async def test_a_newer_core_revision_is_refused_and_nothing_changes(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    (core_head,) = migrate.script_heads()
    newer = next_release(tmp_path / "next", "9001_next_core", core_head)
    await migrate.upgrade(engine, [newer])  # the newer release migrated the database
    before = await state(engine)
    with pytest.raises(migrate.SchemaTooNew) as refused:
        await migrate.upgrade(engine)  # this release starts on it
    assert refused.value.newer == {"9001_next_core": "core"}
    assert "newer than this GridHub" in str(refused.value)
    assert await state(engine) == before
    await migrate.upgrade(engine, [newer])  # the newer release still runs on it
    assert await state(engine) == before


async def test_a_newer_revision_of_a_plugin_it_runs_is_refused(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    newer = next_release(tmp_path / "next", "h9001_next_hello", "h0001_hello")
    await migrate.upgrade(engine, [HELLO_MIGRATIONS, newer])
    before = await state(engine)
    with pytest.raises(migrate.SchemaTooNew) as refused:
        await migrate.upgrade(engine, [HELLO_MIGRATIONS])
    assert refused.value.newer == {"h9001_next_hello": "hello"}
    assert await state(engine) == before


async def test_a_newer_revision_of_a_plugin_not_run_here_is_set_aside(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    """A hub without the plugin leaves its tables and revision alone, whatever its version."""
    newer = next_release(tmp_path / "next", "h9001_next_hello", "h0001_hello")
    await migrate.upgrade(engine, [HELLO_MIGRATIONS, newer])
    before = await state(engine)
    await migrate.upgrade(engine)
    assert await state(engine) == before
