"""Root fixtures: PostgreSQL and Redis for the run, and a per-test database URL.

Services are started on demand by tests/services.py; a service that cannot be started fails the
tests that need it (scripts/setup installs them). Set GRIDHUB_TEST_POSTGRES_URL to borrow a
server, or GRIDHUB_TEST_POSTGRES_PRIVATE=1 to force a private cluster.
"""

from __future__ import annotations

import gc
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from hub.testing.hubs import forget_stopped_apps
from tests import services
from tests.netns import loopback_namespace


def pytest_configure(config: pytest.Config) -> None:
    """The suite starts a few hundred Python subprocesses (hub nodes, `gridhub` commands, load
    tools). With PYTHONDONTWRITEBYTECODE set (the machines here set it) each compiled every
    module of this repository and every migration file anew: about a fifth of a hub node's
    start-up CPU. They share one bytecode cache outside the tree instead (the first compiles,
    the others read it; a changed source is recompiled by its mtime as always)."""
    if os.environ.get("PYTHONDONTWRITEBYTECODE") and not os.environ.get("PYTHONPYCACHEPREFIX"):
        del os.environ["PYTHONDONTWRITEBYTECODE"]
        cache = Path(tempfile.gettempdir()) / f"gridhub-test-pycache-{os.getuid()}"
        os.environ["PYTHONPYCACHEPREFIX"] = str(cache)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Take what every test shares (modules, models, compiled schemas: most of the heap) out of
    the collector's view, as `gridhub serve` does after start-up. A full collection walks the
    whole heap on the event loop's thread, which the hub and its clients share in a test: with
    all that in view it took over 2 s on a loaded 2-core machine, and one landing in the
    burst of garbage after a hub start held a socket call past its 5 s (CI: escalation
    test_answers, the first sos.raise). Frozen objects are only those alive now."""
    gc.collect()
    gc.freeze()


@pytest.fixture(autouse=True)
def _release_stopped_hubs() -> Iterator[None]:
    """Hubs started with aiohttp's test client too (hub.testing.hubs.forget_stopped_apps)."""
    yield
    forget_stopped_apps()


@contextmanager
def _clear_failure() -> Iterator[None]:
    """Report a service that cannot be started as a plain failure message, not a traceback."""
    try:
        yield
    except services.ServiceError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """Admin URL (postgresql://) of a server this run may create and drop databases on."""
    with _clear_failure(), services.postgres_server() as url:
        yield url


@pytest.fixture(scope="session")
def postgres_url(postgres_server: str) -> Iterator[str]:
    """postgresql+asyncpg URL of a fresh database for the whole run, dropped at the end."""
    with _clear_failure(), services.fresh_database(postgres_server, "gridhub_test_") as url:
        yield url


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """redis:// URL of a private, non-persistent redis-server for the whole run."""
    with _clear_failure(), services.redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """SQLAlchemy async URL of an empty database of its own: a SQLite file, or a fresh PG db."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 't.db'}"
        return
    server: str = request.getfixturevalue("postgres_server")
    with _clear_failure(), services.fresh_database(server, "gridhub_t_") as url:
        yield url


@pytest.fixture
def loopback_netns() -> Iterator[str]:
    """A network namespace with only `lo` up, for WebRTC tests (see tests/netns.py)."""
    with loopback_namespace("gridhub-rtc") as name:
        yield name
