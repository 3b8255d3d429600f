"""`gridhub restore`: bring a backup (hub/backup.py) into an empty deployment.

Everything is checked before anything is written: the manifest against its checksum, every
file against its size and SHA-256, the backup's database kind against the deployment's, and
that the deployment is empty (no tables in its database, no files in its uploads and
recordings folders). `force` restores over a deployment that is not empty: the SQLite file is
replaced, PostgreSQL objects of the dump are dropped and recreated (`pg_restore --clean`),
and the data folders are emptied first. Stop every hub node before restoring.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Literal

from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import inspect

from hub.backup import (
    CHECKSUM,
    FORMAT,
    MANIFEST,
    PG_FILE,
    SQLITE_FILE,
    BackupError,
    data_directories,
    database_kind,
    libpq,
    pg_tool,
    run_tool,
    sha256_file,
    sqlite_path,
)
from hub.settings import Settings
from storage.sql import create_engine


@dataclass(frozen=True, slots=True)
class Restored:
    database: str
    files: int
    schema_revisions: list[str]


class FileEntry(BaseModel):
    path: str = Field(min_length=1, max_length=4096)
    size: int = Field(ge=0)
    sha256: str = Field(pattern="^[0-9a-f]{64}$")


class Manifest(BaseModel):
    """manifest.json as hub/backup.py writes it; anything else is refused."""

    format: int
    gridhub_version: str = Field(max_length=100)
    created_at: str = Field(max_length=64)
    database: Literal["sqlite", "postgresql"]
    schema_revisions: list[str] = Field(max_length=1000)
    files: list[FileEntry] = Field(max_length=10_000_000)


def read_manifest(folder: Path) -> Manifest:
    """The manifest, once its checksum matches."""
    manifest_file, checksum_file = folder / MANIFEST, folder / CHECKSUM
    if not manifest_file.is_file() or not checksum_file.is_file():
        raise BackupError("restore.not_a_backup", f"{folder} 不是备份", f"{folder} is no backup")
    expected = checksum_file.read_text(encoding="utf-8").split()[0]
    text = manifest_file.read_bytes()
    if hashlib.sha256(text).hexdigest() != expected:
        raise BackupError("restore.checksum", "清单校验和不符", "the manifest's checksum differs")
    try:
        manifest = Manifest.model_validate(json.loads(text))
    except (ValueError, ValidationError) as exc:
        raise BackupError("restore.manifest", "清单格式不对", "the manifest is malformed") from exc
    if manifest.format != FORMAT:
        raise BackupError("restore.format", "备份格式不支持", "unsupported backup format")
    return manifest


def verify_files(folder: Path, manifest: Manifest) -> None:
    """Every file of the manifest is there, inside the backup, with its size and hash."""
    for entry in manifest.files:
        parts = PurePosixPath(entry.path).parts
        if entry.path.startswith("/") or ".." in parts or "\\" in entry.path:
            raise BackupError("restore.path", "备份中有越界路径", "a path leaves the backup")
        path = folder / entry.path
        if not path.is_file() or path.is_symlink():
            raise BackupError("restore.missing", f"缺少文件 {entry.path}", "a file is missing")
        if path.stat().st_size != entry.size or sha256_file(path) != entry.sha256:
            raise BackupError(
                "restore.checksum", f"文件已损坏 {entry.path}", f"{entry.path} is damaged"
            )


async def verify(folder: Path) -> Manifest:
    manifest = await asyncio.to_thread(read_manifest, folder)
    await asyncio.to_thread(verify_files, folder, manifest)
    return manifest


async def restore(settings: Settings, folder: Path, *, force: bool = False) -> Restored:
    """Verify the backup at `folder`, check the deployment is empty, then restore."""
    manifest = await verify(folder)
    url = settings.effective_database_url
    kind = database_kind(url)
    if manifest.database != kind:
        raise BackupError(
            "restore.kind",
            f"备份是 {manifest.database} 数据库，目标是 {kind}",
            f"the backup holds {manifest.database}, the deployment uses {kind}",
        )
    targets = data_directories(settings)
    if not force:
        await _ensure_empty(url, targets)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    if kind == "sqlite":
        await asyncio.to_thread(_put_sqlite, folder / SQLITE_FILE, sqlite_path(url))
    else:
        await _pg_restore(settings, url, folder / PG_FILE, force)
    copied = await asyncio.to_thread(_put_files, folder, manifest, targets, force)
    return Restored(kind, copied, list(manifest.schema_revisions))


async def _ensure_empty(url: str, targets: dict[str, Path]) -> None:
    tables = await table_names(url)
    if tables:
        raise BackupError(
            "restore.not_empty",
            f"目标数据库不是空的（{len(tables)} 张表）；确需覆盖请加 --force",
            f"the database is not empty ({len(tables)} tables); --force overwrites it",
        )
    for name, path in targets.items():
        if path.is_dir() and any(path.iterdir()):
            raise BackupError(
                "restore.not_empty",
                f"{name} 目录不是空的: {path}；确需覆盖请加 --force",
                f"the {name} folder {path} is not empty; --force overwrites it",
            )


async def table_names(url: str) -> list[str]:
    if database_kind(url) == "sqlite" and not sqlite_path(url).exists():
        return []
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(lambda c: list(inspect(c).get_table_names()))
    finally:
        await engine.dispose()


def _put_sqlite(source: Path, target: Path) -> None:
    """Copy beside the target, then rename over it: a reader sees the old file or the new."""
    target.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("-wal", "-shm", "-journal"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    scratch = target.with_name(target.name + ".restoring")
    shutil.copyfile(source, scratch)
    os.replace(scratch, target)


async def _pg_restore(settings: Settings, url: str, dump: Path, force: bool) -> None:
    dsn, env = libpq(url)
    argv = [pg_tool(settings, "pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error"]
    if force:
        argv += ["--clean", "--if-exists"]
    await run_tool([*argv, f"--dbname={dsn}", str(dump)], env, "restore.pg_restore")


def _put_files(folder: Path, manifest: Manifest, targets: dict[str, Path], force: bool) -> int:
    if force:
        for path in targets.values():
            shutil.rmtree(path, ignore_errors=True)
    copied = 0
    for entry in manifest.files:
        top, _, rest = entry.path.partition("/")
        if top not in targets or not rest:
            continue
        target = (targets[top] / rest).resolve()
        if not target.is_relative_to(targets[top].resolve()):
            raise BackupError("restore.path", "备份中有越界路径", "a path leaves its folder")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(folder / entry.path, target)
        copied += 1
    return copied
