"""`gridhub doctor` against real components started on loopback: PostgreSQL, Redis, an external
media worker process and coturn. A healthy cluster deployment passes every check; a broken one
(schema not migrated, a skewed clock, a worker refusing the secret, TURN not answering, a full
disk, Redis or the database missing) fails each in plain words and exits non-zero."""

from __future__ import annotations

import asyncio
import json
import secrets
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from hub import plugins
from hub.cli import main
from hub.doctor import Finding, Limits, diagnose
from hub.runtime import open_core
from hub.settings import Settings
from hub.testing.hubs import hub_settings, running_hub
from tests import services
from tests.signaling.coturn import coturn

SECRET = secrets.token_urlsafe(16)
ROOMY = Limits(timeout_s=5.0, max_skew_s=2.0, min_free_bytes=1)


@pytest.fixture
def pg_url(postgres_server: str) -> Iterator[str]:
    with services.fresh_database(postgres_server, "gridhub_dr_") as url:
        yield url


@asynccontextmanager
async def media_worker(secret: str) -> AsyncIterator[str]:
    """`python -m media.worker` on a free loopback port; its control URL."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "media.worker", "--port", "0",
        env={"GRIDHUB_MEDIA_SECRET": secret, "PATH": "/usr/bin:/bin"},
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        ready = json.loads(await asyncio.wait_for(process.stdout.readline(), 30))
        yield f"ws://127.0.0.1:{ready['port']}/control"
    finally:
        process.terminate()
        await process.wait()


def deployment(
    data_dir: Path, db: str, redis_url: str, worker: str, turn: str, **more: Any
) -> Settings:
    media = {"embedded_workers": 0, "external_workers": [worker], "secret": SECRET}
    calls = {"ice_servers": [turn], "turn_secret": SECRET}
    return hub_settings(data_dir, db, redis_url=redis_url, media=media, calls=calls, **more)


async def migrated(settings: Settings) -> None:
    chosen = plugins.select(plugins.discover(), settings.plugins.enabled, [])
    async with open_core(settings, [p.migrations for p in chosen if p.migrations is not None]):
        pass


def levels(findings: list[Finding]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for finding in findings:
        out.setdefault(finding.check, set()).add(finding.level)
    return out


@pytest.mark.postgres
async def test_a_healthy_cluster_deployment_passes_every_check(
    pg_url: str, redis_url: str, tmp_path: Path
) -> None:
    async with media_worker(SECRET) as worker, coturn(tmp_path, SECRET) as turn:
        settings = deployment(tmp_path, pg_url, redis_url, worker, turn.url)
        await migrated(settings)
        findings = await diagnose(settings, ROOMY)
    assert [f for f in findings if f.level != "ok"] == []
    assert set(levels(findings)) == {"database", "migrations", "redis", "clock", "media", "disk",
                                     "turn"}  # fmt: skip
    assert len([f for f in findings if f.check == "clock"]) == 2  # against PostgreSQL and Redis


@pytest.mark.postgres
async def test_a_broken_deployment_says_what_is_wrong(
    pg_url: str, redis_url: str, tmp_path: Path
) -> None:
    closed = f"turn:127.0.0.1:{services.free_port()}?transport=udp"
    async with media_worker("another secret") as worker:
        settings = deployment(tmp_path, pg_url, redis_url, worker, closed)
        full = Limits(timeout_s=1.0, max_skew_s=2.0, min_free_bytes=1 << 62)
        findings = await diagnose(settings, full, clock=lambda: time.time() + 90)
    assert levels(findings) == {
        "database": {"ok"},
        "migrations": {"fail"},
        "redis": {"ok"},
        "clock": {"fail"},
        "media": {"fail"},
        "disk": {"fail"},
        "turn": {"fail"},
    }
    said = "\n".join(f.line() for f in findings)
    for words in ("gridhub migrate", "NTP", "拒绝密钥", "无应答", "GiB"):
        assert words in said, said


def test_the_command_exits_non_zero_on_a_failure(tmp_path: Path) -> None:
    runner = CliRunner()
    env = {"GRIDHUB_DATA_DIR": str(tmp_path), "GRIDHUB_MEDIA__EMBEDDED_WORKERS": "1"}
    missing = runner.invoke(main, ["doctor", "--min-free-gb", "0"], env=env)
    assert missing.exit_code == 1
    assert "数据库文件不存在" in missing.output
    assert not (tmp_path / "gridhub.db").exists()  # the doctor made no database

    assert runner.invoke(main, ["migrate"], env=env).exit_code == 0
    healthy = runner.invoke(main, ["doctor", "--min-free-gb", "0", "--json"], env=env)
    assert healthy.exit_code == 0, healthy.output
    assert {f["level"] for f in json.loads(healthy.output)} == {"ok", "warn"}  # no TURN: warn

    env["GRIDHUB_REDIS_URL"] = f"redis://127.0.0.1:{services.free_port()}/0"
    down = runner.invoke(main, ["doctor", "--min-free-gb", "0", "--timeout", "1"], env=env)
    assert down.exit_code == 1
    assert "Redis 连不上" in down.output


async def test_other_nodes_health_and_clocks(tmp_path: Path) -> None:
    """`--node URL`: a running hub node is healthy and on time; with this machine's clock a
    minute off it is the clock that fails; a node not listening is unreachable."""
    settings = hub_settings(tmp_path / "here", None)
    await migrated(settings)
    gone = f"http://127.0.0.1:{services.free_port()}"
    async with running_hub() as node:
        on_time = await diagnose(settings, ROOMY, nodes=[node.url])
        late = await diagnose(settings, ROOMY, clock=lambda: time.time() + 60, nodes=[node.url])
        missing = await diagnose(settings, ROOMY, nodes=[gone])
    assert [f.level for f in on_time if f.check == "nodes"] == ["ok"]
    assert [f.level for f in late if f.check == "clock"] == ["fail"]
    assert [f.level for f in missing if f.check == "nodes"] == ["fail"]
    assert "连不上" in next(f.zh for f in missing if f.check == "nodes")
