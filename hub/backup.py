"""`gridhub backup`: a consistent copy of a deployment (docs/operations.md, Backup and restore).

A backup is a folder `gridhub-backup-<UTC time>` in `backup.directory`:

* `database.sqlite` — SQLite through its online backup API (a consistent snapshot while the
  hub keeps writing), or `database.pgdump` — PostgreSQL through `pg_dump --format=custom`
  (one repeatable-read transaction, so also consistent);
* `uploads/…` and `recordings/…` — the files the hub keeps in its data directories, copied
  after the database, so every file a row of the snapshot names is there (a file written
  later is copied too and is simply not referred to yet);
* `manifest.json` — format, GridHub version, schema revisions, time, database kind, and every
  file with its size and SHA-256; `manifest.json.sha256` — the manifest's own checksum in
  `sha256sum` format (`sha256sum -c manifest.json.sha256` checks it by hand).

The folder is written under a `.partial-` name and renamed when complete, so rotation and
restore never see half a backup.

The copying and hashing, and SQLite's backup API (`sqlite3.Connection.backup`, which has no
async form), are blocking calls: each runs in a worker thread (asyncio.to_thread), so the
CLI's loop — and the hub, when a test runs one beside it — is never blocked by them.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import shutil
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from sqlalchemy.engine import URL, make_url

from hub.settings import Settings
from storage import migrate
from storage.sql import create_engine

FORMAT = 1
PREFIX = "gridhub-backup-"
PARTIAL = ".partial-"
MANIFEST = "manifest.json"
CHECKSUM = "manifest.json.sha256"
SQLITE_FILE = "database.sqlite"
PG_FILE = "database.pgdump"
CHUNK = 1 << 20
STAMP = "%Y%m%dT%H%M%S%fZ"


class BackupError(Exception):
    """A backup or restore that cannot go on; `message` is zh-CN with the English after it."""

    def __init__(self, code: str, zh: str, en: str) -> None:
        super().__init__(f"{code}: {zh} / {en}")
        self.code = code
        self.message = f"{zh} / {en}"


@dataclass(frozen=True, slots=True)
class Made:
    path: Path
    files: int
    size: int
    removed: list[Path]


def data_directories(settings: Settings) -> dict[str, Path]:
    """The folders of files the hub keeps: uploads (hub/files.py) and the recordings (the
    `media.recording.directory` setting, read from the settings as plain data: hub knows the
    media component only through its settings table)."""
    media: dict[str, Any] = settings.model_dump().get("media") or {}
    folder = Path(str((media.get("recording") or {}).get("directory") or "recordings"))
    recordings = folder if folder.is_absolute() else settings.data_dir / folder
    return {"uploads": settings.data_dir / "uploads", "recordings": recordings}


def backup_root(settings: Settings) -> Path:
    folder = settings.backup.directory
    return folder if folder.is_absolute() else settings.data_dir / folder


def database_kind(url: str) -> str:
    backend = make_url(url).get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise BackupError("backup.database", "不支持的数据库", f"unsupported database {backend}")
    return backend


def gridhub_version() -> str:
    try:
        return version("gridhub")
    except PackageNotFoundError:
        return "unknown"


async def make_backup(settings: Settings, now: datetime | None = None) -> Made:
    """Back the deployment up into a new folder under `backup.directory`, then rotate."""
    moment = now or datetime.now(UTC)
    root = backup_root(settings)
    root.mkdir(parents=True, exist_ok=True)
    name = PREFIX + moment.strftime(STAMP)
    partial = root / (PARTIAL + name)
    partial.mkdir()
    try:
        manifest = await _fill(settings, partial, moment)
        await asyncio.to_thread(write_manifest, partial, manifest)
        partial.rename(root / name)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    removed = await asyncio.to_thread(rotate, settings, root, moment, root / name)
    total = sum(int(f["size"]) for f in manifest["files"])
    return Made(root / name, len(manifest["files"]), total, removed)


async def _fill(settings: Settings, folder: Path, moment: datetime) -> dict[str, Any]:
    url = settings.effective_database_url
    kind = database_kind(url)
    if kind == "sqlite" and not sqlite_path(url).is_file():  # connecting would make an empty one
        raise BackupError("backup.database", "找不到数据库文件", f"no database at {url}")
    revisions = await schema_revisions(url)
    if kind == "sqlite":
        await asyncio.to_thread(sqlite_snapshot, sqlite_path(url), folder / SQLITE_FILE)
    else:
        await pg_dump(settings, url, folder / PG_FILE)
    files = [await asyncio.to_thread(file_entry, folder, folder / _db_file(kind))]
    for name, source in data_directories(settings).items():
        files += await asyncio.to_thread(copy_tree, source, folder, name)
    return {
        "format": FORMAT,
        "gridhub_version": gridhub_version(),
        "created_at": moment.isoformat(),
        "database": kind,
        "schema_revisions": sorted(revisions),
        "files": files,
    }


def _db_file(kind: str) -> str:
    return SQLITE_FILE if kind == "sqlite" else PG_FILE


async def schema_revisions(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return await migrate.current_heads(engine)
    finally:
        await engine.dispose()


def sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("backup.database", "SQLite 数据库不是文件", "SQLite is not in a file")
    return Path(database)


def sqlite_snapshot(source: Path, target: Path) -> None:
    """SQLite's online backup: pages copied under the database's own locking, restarting if
    a writer changes a page already copied, so the copy is one consistent state."""
    if not source.is_file():
        raise BackupError("backup.database", f"找不到数据库 {source}", f"no database at {source}")
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    try:
        with dst:
            src.backup(dst)
    finally:
        src.close()
        dst.close()


# --- PostgreSQL ---------------------------------------------------------------------------


def pg_tool(settings: Settings, name: str) -> str:
    """pg_dump/pg_restore: the configured folder, PATH, or the newest Debian PostgreSQL's."""
    if settings.backup.pg_bin_dir is not None:
        return str(settings.backup.pg_bin_dir / name)
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), key=_major)
    if not candidates:
        raise BackupError("backup.pg_tool", f"找不到 {name}", f"{name} not found")
    return str(candidates[-1])


def _major(path: Path) -> int:
    name = path.parent.parent.name
    return int(name) if name.isdigit() else 0


def libpq(url: str) -> tuple[str, dict[str, str]]:
    """A plain postgresql:// URL without its password, and the environment carrying it
    (a password on the command line would show in `ps`)."""
    parsed: URL = make_url(url).set(drivername="postgresql")
    env = dict(os.environ)
    if parsed.password is not None:
        env["PGPASSWORD"] = str(parsed.password)
    return parsed.set(password=None).render_as_string(hide_password=False), env


async def run_tool(argv: list[str], env: dict[str, str], code: str) -> None:
    process = await asyncio.create_subprocess_exec(
        *argv, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    _, err = await process.communicate()
    if process.returncode != 0:
        detail = err.decode(errors="replace").strip()[-800:]
        raise BackupError(code, f"{Path(argv[0]).name} 失败: {detail}", f"{argv[0]} failed")


async def pg_dump(settings: Settings, url: str, target: Path) -> None:
    dsn, env = libpq(url)
    argv = [pg_tool(settings, "pg_dump"), "--format=custom", f"--file={target}", f"--dbname={dsn}"]
    await run_tool(argv, env, "backup.pg_dump")


# --- files, manifest, rotation --------------------------------------------------------------


def walk(folder: Path) -> Iterator[Path]:
    """Regular files under `folder`, in a stable order (symbolic links are not followed)."""
    for top, dirs, names in os.walk(folder):
        dirs.sort()
        for name in sorted(names):
            path = Path(top) / name
            if path.is_file() and not path.is_symlink():
                yield path


def copy_tree(source: Path, folder: Path, name: str) -> list[dict[str, Any]]:
    """Copy `source` into `folder/name`, hashing as it goes; a file gone meanwhile (a
    recording the retention sweep removed) is left out."""
    entries: list[dict[str, Any]] = []
    if not source.is_dir():
        return entries
    for path in walk(source):
        relative = Path(name) / path.relative_to(source)
        try:
            entries.append(copy_file(path, folder, relative))
        except FileNotFoundError:
            continue
    return entries


def copy_file(path: Path, folder: Path, relative: Path) -> dict[str, Any]:
    target = folder / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as read, target.open("wb") as write:
        while chunk := read.read(CHUNK):
            digest.update(chunk)
            write.write(chunk)
            size += len(chunk)
    return {"path": relative.as_posix(), "size": size, "sha256": digest.hexdigest()}


def file_entry(folder: Path, path: Path) -> dict[str, Any]:
    return {
        "path": path.relative_to(folder).as_posix(),
        "size": path.stat().st_size,
        "sha256": sha256_file(path),
    }


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as read:
        while chunk := read.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def write_manifest(folder: Path, manifest: dict[str, Any]) -> None:
    text = json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
    (folder / MANIFEST).write_text(text, encoding="utf-8")
    digest = hashlib.sha256(text.encode()).hexdigest()
    (folder / CHECKSUM).write_text(f"{digest}  {MANIFEST}\n", encoding="utf-8")
    for path in (folder / MANIFEST, folder / CHECKSUM):
        _fsync(path)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def backups_in(root: Path) -> list[tuple[datetime, Path]]:
    """Complete backups under `root`, oldest first, with their times (from their names)."""
    found: list[tuple[datetime, Path]] = []
    for path in root.glob(PREFIX + "*") if root.is_dir() else ():
        try:
            stamp = datetime.strptime(path.name[len(PREFIX) :], STAMP).replace(tzinfo=UTC)
        except ValueError:
            continue
        if (path / MANIFEST).is_file():
            found.append((stamp, path))
    return sorted(found)


def rotate(settings: Settings, root: Path, now: datetime, keep_this: Path) -> list[Path]:
    """Remove the backups not among the `keep` newest or older than `keep_days`."""
    rules = settings.backup
    newest_first = list(reversed(backups_in(root)))
    removed: list[Path] = []
    for index, (stamp, path) in enumerate(newest_first):
        too_many = rules.keep is not None and index >= rules.keep
        too_old = rules.keep_days is not None and now - stamp > timedelta(days=rules.keep_days)
        if path != keep_this and (too_many or too_old):
            shutil.rmtree(path)
            removed.append(path)
    _clear_stale_partials(root)
    return removed


def _clear_stale_partials(root: Path) -> None:
    """Half-written backups of a run that died (older than a day, so not a running one's)."""
    limit = datetime.now(UTC).timestamp() - 86_400
    for path in root.glob(PARTIAL + "*"):
        if path.stat().st_mtime < limit:
            shutil.rmtree(path, ignore_errors=True)
