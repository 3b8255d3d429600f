"""The hub the access matrix runs against: every built-in package mounted, the demo county, a few
objects in 东庄村 (village 1) to aim at, and a signed-in person for each role.

One hub and one seeded SQLite database per test module (see test_access_matrix.py).
"""

from __future__ import annotations

import hashlib
import re
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import inspect, select, text

from hub import policy
from hub.access import Principal
from hub.app import WEBSOCKET_PATHS, build_app
from hub.keys import CHANNELS, ENGINE, GRIDS, IDENTITY, REALTIME, SESSIONS
from hub.web import ENDPOINTS, Endpoint
from media.camera.models import Camera
from media.recording.api import RECORDINGS
from media.recording.store import NewRecording
from plugins.alarms.config import IncidentPolicy
from plugins.alarms.ingest import device_info
from plugins.alarms.plugin import AlarmsPlugin
from plugins.alarms.state import Actor, Raise, raise_alarm
from plugins.dispatch import DispatchPlugin
from plugins.escalation import EscalationPlugin
from storage.models import Device, Person
from storage.sql import utcnow
from tests.hub.conftest import Client, bearer, login, make_settings

VILLAGE = "370783-001-001"  # 东庄村: v01.cmd, v01.lead, w01..w05, r01
BASIC = "370783-001-001-01"
DEVICE = "dev-temp-01"  # a greenhouse thermometer in 东庄村
# One demo person per role (hub/demo_data.py); None: not signed in.
ROLE_PEOPLE: dict[str, str | None] = {
    "anonymous": None,
    "resident": "r01",
    "grid_worker": "w01",
    "grid_leader": "v01.lead",
    "dispatcher": "county.dispatch",
    "commander": "v01.cmd",
    "admin": "admin",
}
PARAM = re.compile(r"{(\w+)(?::(?:[^{}]|{[^{}]*})+)?}")


def template(path: str) -> re.Pattern[str]:
    """A route's path template as a regex matching its concrete paths."""
    parts, last = [], 0
    for match in PARAM.finditer(path):
        parts += [re.escape(path[last : match.start()]), "[^/]+"]
        last = match.end()
    return re.compile("".join([*parts, re.escape(path[last:])]))


@dataclass
class Matrix:
    client: Client
    app: web.Application
    ids: dict[str, int] = field(default_factory=dict)
    values: dict[str, str] = field(default_factory=dict)  # path parameter -> value
    tokens: dict[str, str] = field(default_factory=dict)  # username -> access token
    principals: dict[str, Principal] = field(default_factory=dict)

    async def token(self, username: str) -> str:
        if username not in self.tokens:
            self.tokens[username] = await login(self.client, username)
            who = await self.app[IDENTITY].authenticate(self.tokens[username])
            self.principals[username] = who
        return self.tokens[username]

    def path(self, endpoint: Endpoint) -> str:
        """The endpoint's path with every parameter filled with a real object's id."""
        return PARAM.sub(lambda m: self.values[m.group(1)], endpoint.path)

    async def http(
        self, method: str, path: str, username: str | None, body: Any = None
    ) -> tuple[int, str]:
        """(status, error code or "") of one request."""
        headers = bearer(await self.token(username)) if username else {}
        payload = {} if body is None and method != "GET" else body
        response = await self.client.request(method, path, json=payload, headers=headers)
        try:
            data = await response.json(content_type=None)
        except ValueError:
            data = None
        error = data.get("error") if isinstance(data, dict) else None
        return response.status, error["code"] if isinstance(error, dict) else ""


def entries(app: web.Application) -> list[policy.Entry]:
    """Every way into the hub with its rule: routes, socket events, claimed WebSocket paths."""
    found = [policy.Entry("http", f"{e.method} {e.path}", e.rule) for e in app[ENDPOINTS]]
    found += [policy.Entry("socket", n, s.rule) for n, s in app[REALTIME].events.items()]
    paths = app[WEBSOCKET_PATHS].rules().items()
    return found + [policy.Entry("websocket", p, rule) for p, rule in paths]


async def db_digest(app: web.Application) -> dict[str, str]:
    """A hash of every table's rows: two equal digests mean nothing was written."""
    digest: dict[str, str] = {}
    async with app[ENGINE].connect() as conn:
        names = await conn.run_sync(lambda sync: inspect(sync).get_table_names())
        for name in sorted(names):
            rows = (await conn.execute(text(f'SELECT * FROM "{name}"'))).all()
            digest[name] = hashlib.sha256(repr(sorted(map(repr, rows))).encode()).hexdigest()
    return digest


@asynccontextmanager
async def started(data_dir: Path, template: Path) -> AsyncIterator[Matrix]:
    shutil.copyfile(template, data_dir / "gridhub.db")
    settings = make_settings(data_dir, f"sqlite+aiosqlite:///{data_dir / 'gridhub.db'}")
    plugins = {"alarms": AlarmsPlugin(), "dispatch": DispatchPlugin()}
    app = build_app(settings, available_plugins={**plugins, "escalation": EscalationPlugin()})
    client: Client = TestClient(TestServer(app))
    await client.start_server()
    try:
        matrix = Matrix(client, app)
        await _seed(matrix)
        yield matrix
    finally:
        await client.close()


async def _seed(m: Matrix) -> None:
    index = m.app[GRIDS].index
    m.ids["village"], m.ids["basic"] = index.by_code(VILLAGE).id, index.by_code(BASIC).id
    async with m.app[SESSIONS]() as session:
        for name in ("w01", "r01", "v01.lead", "w06"):
            m.ids[name] = int(
                await session.scalar(select(Person.id).where(Person.username == name))
            )
    for username in ROLE_PEOPLE.values():
        if username is not None:
            await m.token(username)
    m.ids["incident"] = await _incident(m)
    m.ids["alarm"] = await _alarm(m)
    channel = await m.app[CHANNELS].ensure_grid_channel(m.ids["village"], "东庄村")
    m.ids["channel"] = channel.id
    m.ids["camera"] = await _camera(m)
    recording = await _recording(m)
    m.values = {
        "incident_id": str(m.ids["incident"]), "action": "comment", "media_id": "1",
        "alarm_id": str(m.ids["alarm"]), "grid_id": str(m.ids["village"]),
        "person_id": str(m.ids["w01"]), "channel_id": str(m.ids["channel"]),
        "camera_id": str(m.ids["camera"]), "recording_id": recording, "code": DEVICE,
        "sos_id": "1", "rule_id": "1", "file_id": "0" * 32, "viewer_id": "1-x", "fmt": "json",
        "service_code": "env_sanitation", "service_request_id": "x",
    }  # fmt: skip


async def _incident(m: Matrix) -> int:
    body = {"title": "垃圾堆放", "category": "env_sanitation", "grid": BASIC,
            "description": "联系人 13800000000", "reporter_name": "王建国"}  # fmt: skip
    headers = bearer(await m.token("v01.cmd"))
    response = await m.client.post("/api/v1/dispatch/incidents", json=body, headers=headers)
    assert response.status == 201, await response.text()
    return int((await response.json())["id"])


async def _alarm(m: Matrix) -> int:
    """A MINOR alarm of the thermometer (no incident, no device connection to settle)."""
    async with m.app[SESSIONS].begin() as session:
        device = await session.scalar(select(Device).where(Device.code == DEVICE))
        assert device is not None
        what = Raise("overheat", "MINOR", 46.0, "温度过高", utcnow())
        info = device_info(device)
        change = await raise_alarm(session, info, what, Actor("test"), {}, IncidentPolicy())
        await session.flush()
        return int(change.alarm.id)


async def _camera(m: Matrix) -> int:
    async with m.app[SESSIONS].begin() as session:
        row = Camera(name="东庄村口", source_kind="file", source="/nonexistent.webm",
                     grid_id=m.ids["village"])  # fmt: skip
        session.add(row)
        await session.flush()
        return int(row.id)


async def _recording(m: Matrix) -> str:
    people = (m.ids["w01"], m.ids["v01.lead"])
    new = NewRecording("call", "rec:call:999999", "audio", "ogg", "opus", "audio/ogg", people,
                       started_by=m.ids["w01"], grid_id=m.ids["basic"])  # fmt: skip
    row = await m.app[RECORDINGS].store.create(new, ".ogg")
    return str(row.id)
