"""Apply Alembic migrations (core plus each plugin's own) on an async engine."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.script.revision import ResolutionError
from sqlalchemy import Connection, column, delete, insert, table, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

MIGRATIONS = Path(__file__).parent / "migrations"
MIGRATION_LOCK = 0x67726964  # "grid"
VERSIONS = table("alembic_version", column("version_num"))
log = logging.getLogger("gridhub.migrate")


def alembic_config(extra_locations: Sequence[Path] = ()) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    locations = [MIGRATIONS / "versions", *extra_locations]
    cfg.set_main_option("version_locations", " ".join(str(p) for p in locations))
    cfg.set_main_option("path_separator", "space")
    return cfg


async def upgrade(
    engine: AsyncEngine, extra_locations: Sequence[Path] = (), known: Sequence[Path] = ()
) -> None:
    """Bring the core and the branches in `extra_locations` to their newest revisions.

    `known` are further migration folders (say, of plugins installed but not enabled now):
    they are not applied, but the database may carry their revisions from an earlier run, and
    Alembic must be able to find every revision the database names.
    """
    targets = sorted(script_heads(extra_locations))
    cfg = alembic_config(_unique([*extra_locations, *known]))
    async with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # Nodes of a cluster start together: one migrates, the others wait, then find
            # nothing left to do.
            await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        for target in targets:
            await conn.run_sync(_run, cfg, "upgrade", target)


@asynccontextmanager
async def first_start(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[None]:
    """Take turns with other nodes for a start-up write: a seed, the first admin, a key.

    Nodes started together on a fresh database each find the seed missing, and each would
    write it: all but one then fail on its key (a node dies at start-up) or, where rows have
    no natural key, write it twice. On PostgreSQL the block holds the migration lock (in a
    transaction of its own, released when the block ends, or by the server if the node dies)
    so the next node's check finds the first node's committed rows. SQLite serves a single
    node, whose start-up runs these writes one after another anyway. Not re-entrant: never
    nest one block in another, or run migrations inside one.
    """
    async with sessions.begin() as session:
        if session.get_bind().dialect.name == "postgresql":
            await session.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK}
            )
        yield


def _unique(paths: Sequence[Path]) -> list[Path]:
    return list(dict.fromkeys(Path(p).resolve() for p in paths))


async def downgrade(engine: AsyncEngine, target: str = "base") -> None:
    cfg = alembic_config()
    async with engine.begin() as conn:
        await conn.run_sync(_run, cfg, "downgrade", target)


async def current_heads(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as conn:
        return await conn.run_sync(_heads)


def script_heads(extra_locations: Sequence[Path] = ()) -> set[str]:
    return set(ScriptDirectory.from_config(alembic_config(extra_locations)).get_heads())


def _heads(conn: Connection) -> set[str]:
    return set(MigrationContext.configure(conn).get_current_heads())


def _run(conn: Connection, cfg: Config, verb: str, target: str) -> None:
    cfg.attributes["connection"] = conn
    if verb == "upgrade":
        with _orphans_set_aside(conn, cfg):
            command.upgrade(cfg, target)
    else:
        command.downgrade(cfg, target)


@contextmanager
def _orphans_set_aside(conn: Connection, cfg: Config) -> Iterator[None]:
    """Let the other branches upgrade past heads of a plugin no longer installed.

    Alembic stops at a version it cannot find, so an uninstalled plugin's head is taken out of
    the version table for the upgrade and put back after it, in the same transaction: its
    tables stay as they are, and reinstalling the plugin carries on from there.
    """
    script = ScriptDirectory.from_config(cfg)
    orphans = sorted(head for head in _heads(conn) if not _resolvable(script, head))
    if orphans:
        log.warning("migrations of uninstalled plugins left as they are: %s", ", ".join(orphans))
        conn.execute(delete(VERSIONS).where(VERSIONS.c.version_num.in_(orphans)))
    yield
    if orphans:
        conn.execute(insert(VERSIONS), [{"version_num": head} for head in orphans])


def _resolvable(script: ScriptDirectory, revision: str) -> bool:
    try:
        script.revision_map.get_revision(revision)
    except ResolutionError:
        return False
    return True
