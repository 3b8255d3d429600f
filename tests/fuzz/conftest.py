"""One demo-county hub with every plugin, served on loopback for the whole fuzz run.

The fuzz tests share it (starting a hub per test would cost more than the fuzzing): the HTTP
fuzzer signs in as an admin and as a resident and also calls anonymously; the socket fuzzer
connects as both. Its log is watched from start to end (`FuzzHub.logs`).
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from hub.app import build_app
from hub.demo_data import DEMO_PASSWORD
from hub.keys import BUS, TIMERS
from plugins.alarms.plugin import AlarmsPlugin
from plugins.dispatch import DispatchPlugin
from plugins.escalation import EscalationPlugin
from tests.fuzz.live import Digest, LogWatch, ServedHub
from tests.hub.conftest import (  # noqa: F401  (demo_template is a fixture)
    demo_template,
    make_settings,
)

# Who the fuzzers act as: a demo username, or None for no Authorization header at all.
CALLERS: dict[str, str | None] = {"admin": "admin", "resident": "r01", "anonymous": None}
# Tables a refused request may change on purpose (see docs/security.md, "Hostile input").
WRITTEN_ON_REFUSAL = {
    "audit_log": "refusals that matter are audited",
    "auth_throttle": "failed sign-ins are counted",
    "rate_windows": "public forms' rate limits (hub.ratelimit) count every attempt",
}
# Only requests write to the fuzz hub's database, so that a refused one can be shown to have
# changed nothing: the timer service is stopped once the hub is up (timers are still scheduled,
# none fires), and the alarms plugin's periodic jobs come a day apart.
QUIET_ALARMS = {"offline_check_s": 86400, "last_seen_flush_s": 86400, "recover_every_s": 86400}
SEED = int(os.environ.get("GRIDHUB_FUZZ_SEED", "20240611"))
SCALE = float(os.environ.get("GRIDHUB_FUZZ_SCALE", "1"))


def examples(base: int) -> int:
    """A bounded example count, raised for a longer local run with GRIDHUB_FUZZ_SCALE."""
    return max(1, round(base * SCALE))


@dataclass
class Caller:
    name: str
    token: str | None
    person_id: int | None

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}


@dataclass
class FuzzHub:
    served: ServedHub
    database: Path
    logs: LogWatch
    digest: Digest
    callers: dict[str, Caller]

    @property
    def url(self) -> str:
        return self.served.url

    def settle(self) -> dict[str, str]:
        """Wait until the hub's bus handlers have done their work (a write answered a moment
        ago may still have effects queued), then fingerprint the database."""
        self.served.thread.run(self.served.app[BUS].flush())
        return self.digest.take()

    def healthy(self) -> bool:
        response = requests.get(f"{self.url}/healthz", timeout=10)
        return response.status_code == 200 and response.json()["status"] == "ok"


def _sign_in(url: str, name: str, username: str | None) -> Caller:
    if username is None:
        return Caller(name, None, None)
    credentials = {"username": username, "password": DEMO_PASSWORD}
    tokens = requests.post(f"{url}/api/v1/auth/login", json=credentials, timeout=30)
    assert tokens.status_code == 200, tokens.text
    token = tokens.json()["access_token"]
    me = requests.get(f"{url}/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200, me.text
    return Caller(name, token, me.json()["person_id"])


@pytest.fixture(scope="session")
def fuzz_hub(
    demo_template: Path,  # noqa: F811
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[FuzzHub]:
    data_dir = tmp_path_factory.mktemp("fuzz")
    database = data_dir / "gridhub.db"
    shutil.copyfile(demo_template, database)
    # The callers sign in once for the whole session, which lasts longer than the default
    # 15-minute access token on a busy machine (the fuzz modules then answered 401, not 422).
    settings = make_settings(
        data_dir,
        f"sqlite+aiosqlite:///{database}",
        auth={"access_ttl_s": 86_400},
        plugins={"config": {"alarms": QUIET_ALARMS}},
    )
    plugins = {
        "dispatch": DispatchPlugin(),
        "alarms": AlarmsPlugin(),
        "escalation": EscalationPlugin(),
    }
    logs = LogWatch()
    root = logging.getLogger()
    root.addHandler(logs)
    served = ServedHub(build_app(settings, available_plugins=plugins))
    served.thread.run(served.app[TIMERS].stop())  # see QUIET_ALARMS
    digest = Digest(database, WRITTEN_ON_REFUSAL)
    try:
        callers = {name: _sign_in(served.url, name, user) for name, user in CALLERS.items()}
        yield FuzzHub(served, database, logs, digest, callers)
    finally:
        digest.close()
        served.stop()
        root.removeHandler(logs)
