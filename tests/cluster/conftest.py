"""A fresh three-service deployment per test: PostgreSQL database, private Redis, hub nodes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests import services
from tests.cluster.nodes import Cluster


@pytest.fixture
async def cluster(postgres_server: str, tmp_path: Path) -> AsyncIterator[Cluster]:
    (tmp_path / "redis").mkdir()
    with (
        services.fresh_database(postgres_server, "gridhub_cluster_") as database_url,
        services.redis_server(tmp_path / "redis") as redis_url,
    ):
        deployment = Cluster(
            database_url,
            redis_url,
            tmp_path / "hub",
            extra_env={
                "GRIDHUB_REALTIME__NODE_TTL_S": "2",
                "GRIDHUB_REALTIME__SWEEP_INTERVAL_S": "0.3",
                "GRIDHUB_AUTH__ACCESS_TTL_S": "3600",
            },
        )
        deployment.workdir.mkdir()
        deployment.gridhub("seed-demo")
        try:
            yield deployment
        finally:
            deployment.stop_all()
