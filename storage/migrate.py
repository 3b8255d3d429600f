"""Apply Alembic migrations (core plus each plugin's own) on an async engine.

Beside Alembic's version table the database keeps `gridhub_schema_branches`: which branch
(`core`, or a plugin's) every revision it has been at belongs to. Code older than the database
cannot read a revision it has no file for; from this record it still learns the revision is a
newer one of a branch it runs, and refuses to start (SchemaTooNew) instead of taking the branch
for empty and migrating it again from the start.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.environment import EnvironmentContext
from alembic.runtime.migration import MigrationContext, RevisionStep
from alembic.script import ScriptDirectory
from alembic.script.revision import ResolutionError
from sqlalchemy import (
    Column,
    Connection,
    MetaData,
    String,
    Table,
    column,
    delete,
    insert,
    select,
    table,
    text,
)
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

MIGRATIONS = Path(__file__).parent / "migrations"
MIGRATION_LOCK = 0x67726964  # "grid"
VERSIONS = table("alembic_version", column("version_num"))
BRANCHES = Table(
    "gridhub_schema_branches",
    MetaData(),
    Column("revision", String(64), primary_key=True),
    Column("branch", String(64), nullable=False),
)
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
    # Alembic reads (and compiles) every migration file each time it builds a ScriptDirectory:
    # one per folder set here, not one per branch and step, or a node's start reads them
    # some thirty times over.
    own = ScriptDirectory.from_config(alembic_config(extra_locations))
    cfg = alembic_config(_unique([*extra_locations, *known]))
    cfg.attributes["running"] = _branches(own)
    script = ScriptDirectory.from_config(cfg)
    async with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # Nodes of a cluster start together: one migrates, the others wait, then find
            # nothing left to do.
            await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        for target in sorted(own.get_heads()):
            await conn.run_sync(_upgrade, cfg, script, target)


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


class SchemaTooNew(RuntimeError):
    """The database was migrated by a newer GridHub: this code must not touch it."""

    def __init__(self, newer: dict[str, str]) -> None:
        listed = ", ".join(f"{rev} ({branch})" for rev, branch in sorted(newer.items()))
        super().__init__(
            f"数据库结构比本程序新 / the database schema is newer than this GridHub: {listed}."
            " Run the release that migrated it (or newer), or restore the backup taken before"
            " that upgrade (docs/operations.md, Upgrades and downgrades). Nothing was changed."
        )
        self.newer = newer


def branches_of(extra_locations: Sequence[Path] = ()) -> frozenset[str]:
    """The branch labels of the core and of the migration folders given."""
    return _branches(ScriptDirectory.from_config(alembic_config(extra_locations)))


def _branches(script: ScriptDirectory) -> frozenset[str]:
    return frozenset(label for rev in script.walk_revisions() for label in rev.branch_labels)


def _unique(paths: Sequence[Path]) -> list[Path]:
    return list(dict.fromkeys(Path(p).resolve() for p in paths))


async def downgrade(
    engine: AsyncEngine, target: str = "base", extra_locations: Sequence[Path] = ()
) -> None:
    """Down to `target`: a revision, `base`, or `<branch>@base`. `extra_locations` must hold
    every plugin folder whose revisions the database names."""
    cfg = alembic_config(_unique(extra_locations))
    async with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        await conn.run_sync(_downgrade, cfg, target)


async def current_heads(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as conn:
        return await conn.run_sync(_heads)


def script_heads(extra_locations: Sequence[Path] = ()) -> set[str]:
    return set(ScriptDirectory.from_config(alembic_config(extra_locations)).get_heads())


def _heads(conn: Connection) -> set[str]:
    return set(MigrationContext.configure(conn).get_current_heads())


def _upgrade(conn: Connection, cfg: Config, script: ScriptDirectory, target: str) -> None:
    """`alembic upgrade <target>` (what alembic.command.upgrade does) on a ScriptDirectory
    read once for every target."""
    cfg.attributes["connection"] = conn

    def steps(current: object, _context: MigrationContext) -> list[RevisionStep]:
        return script._upgrade_revs(target, current)  # type: ignore[arg-type]

    with _orphans_set_aside(conn, cfg, script):
        with EnvironmentContext(cfg, script, fn=steps, destination_rev=target):
            script.run_env()
        _record_branches(conn, script)


def _downgrade(conn: Connection, cfg: Config, target: str) -> None:
    cfg.attributes["connection"] = conn
    command.downgrade(cfg, target)


@contextmanager
def _orphans_set_aside(conn: Connection, cfg: Config, script: ScriptDirectory) -> Iterator[None]:
    """Let the other branches upgrade past heads of a plugin no longer installed.

    Alembic stops at a version it cannot find, so an uninstalled plugin's head is taken out of
    the version table for the upgrade and put back after it, in the same transaction: its
    tables stay as they are, and reinstalling the plugin carries on from there.
    """
    orphans = sorted(head for head in _heads(conn) if not _resolvable(script, head))
    _refuse_newer(conn, orphans, cfg.attributes.get("running", frozenset()))
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


def _refuse_newer(conn: Connection, unknown: Sequence[str], running: frozenset[str]) -> None:
    """Unknown revisions recorded as belonging to a branch this code runs are newer ones."""
    if not unknown:
        return
    recorded = _recorded_branches(conn)
    newer = {rev: recorded[rev] for rev in unknown if recorded.get(rev) in running}
    if newer:
        raise SchemaTooNew(newer)


def _recorded_branches(conn: Connection) -> dict[str, str]:
    if not conn.dialect.has_table(conn, BRANCHES.name):
        return {}  # written by a release from before the record was kept
    return {str(rev): str(branch) for rev, branch in conn.execute(select(BRANCHES))}


def _record_branches(conn: Connection, script: ScriptDirectory) -> None:
    """Note the branch of every head the database is at now (kept: revision ids never move)."""
    BRANCHES.create(conn, checkfirst=True)
    recorded = _recorded_branches(conn)
    new = []
    for head in _heads(conn):
        if head in recorded or not _resolvable(script, head):
            continue
        revision = script.revision_map.get_revision(head)
        labels = sorted(revision.branch_labels) if revision is not None else []
        if labels:
            new.append({"revision": head, "branch": labels[0]})
    if new:
        conn.execute(insert(BRANCHES), new)
