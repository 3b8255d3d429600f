"""`gridhub backup` / `gridhub restore` on a demo county with activity: a running hub (real
socket.io clients, a real device, a real media worker recording a call) is backed up while it
serves, the backup is restored into a fresh data dir and database, and a hub started there
finds every incident, channel message, alarm, upload and recording."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from click.testing import CliRunner

from hub.backup import CHECKSUM, MANIFEST, BackupError, backups_in, make_backup, write_manifest
from hub.cli import main
from hub.keys import SETTINGS
from hub.restore import restore
from hub.runtime import open_core
from hub.testing import RunningHub, SocketClient
from hub.testing.fixtures import (  # noqa: F401  (fixtures)
    StartGridHub,
    gridhub_demo_template,
    start_gridhub,
)
from hub.testing.hubs import hub_settings, running_hub
from loadtests.tone import Tone
from media.wiring import MEDIA
from plugins.alarms.client import DeviceClient
from tests import services
from tests.media.recording_peers import publish

PLUGINS = ("alarms", "dispatch")
VILLAGE = "370783-001-001"
DEVICE = "dev-temp-01"
MEDIA_ON = {"embedded_workers": 1, "restart_backoff_s": 0.2, "recording": {"calls": True}}
READY_S = 30.0
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def two_databases(request: pytest.FixtureRequest) -> Iterator[tuple[str | None, str | None]]:
    """(the running hub's, the restored hub's) database URLs: SQLite files (None) or two fresh
    PostgreSQL databases."""
    if request.param == "sqlite":
        yield None, None
        return
    server: str = request.getfixturevalue("postgres_server")
    with (
        services.fresh_database(server, "gridhub_bk_") as first,
        services.fresh_database(server, "gridhub_rs_") as second,
    ):
        yield first, second


async def chat(hub: RunningHub) -> tuple[int, list[str]]:
    """w01 writes three messages in the village channel; (channel id, the texts)."""
    peer = await hub.socket("w01")
    grid_id = await hub.grid_id(VILLAGE)
    channels = (await peer.ok("channel.list", {}))["channels"]
    channel = next(c for c in channels if c["kind"] == "grid" and c["grid_id"] == grid_id)
    texts = [f"备份前的消息 {i}" for i in range(3)]
    for i, words in enumerate(texts):
        body = {"channel_id": channel["id"], "client_msg_id": f"bk{i}", "kind": "text"}
        await peer.ok("channel.send", {**body, "body": {"text": words}})
    return int(channel["id"]), texts


async def raise_alarm(hub: RunningHub) -> None:
    """A demo device raises a critical alarm (the alarms plugin opens an incident for it)."""
    keys = json.loads((hub.data_dir / "demo-device-keys.json").read_text())
    device = DeviceClient(hub.url, DEVICE, keys[DEVICE])
    try:
        await device.connect()
        await device.alarm("smoke", "CRITICAL", message="烟雾")
    finally:
        await device.close()


async def report(hub: RunningHub) -> dict[str, Any]:
    worker = await hub.socket("w01")
    reply = await worker.ok("dispatch.report", {
        "title": "河道垃圾", "category": "env_sanitation", "description": "桥下堆积",
        "grid": f"{VILLAGE}-01",
    })  # fmt: skip
    incident: dict[str, Any] = reply["incident"]
    return incident


async def upload(hub: RunningHub, channel_id: int) -> str:
    client = await hub.sign_in("w01")
    form = aiohttp.FormData()
    form.add_field("file", PNG, filename="现场.png", content_type="image/png")
    reply = await client.json("POST", f"/api/v1/channels/{channel_id}/files", data=form)
    return str(reply["file_id"])


async def fetched(hub: RunningHub, username: str, path: str) -> bytes:
    response = await (await hub.sign_in(username)).get(path)
    assert response.status == 200, path
    return await response.read()


async def record_call(hub: RunningHub) -> str:
    """w01 calls v01.lead, both publish a tone to the call's recorder, hang up; its id."""
    pool = hub.app[MEDIA]
    async with asyncio.timeout(READY_S):
        await pool.wait_for(lambda: all(s.state == "up" for s in pool.slots.values()))
    ring, pick = await hub.socket("w01"), await hub.socket("v01.lead")
    invite = {"callee_id": await hub.person_id("v01.lead"), "media": "audio",
              "client_call_id": f"bk-{time.time()}"}  # fmt: skip
    call_id = int((await ring.ok("call.invite", invite))["call_id"])
    await pick.ok("call.accept", {"call_id": call_id})
    tones = (Tone(440.0, mark_s=0.5), Tone(1000.0, mark_s=0.5))
    pcs, ids = [], set()
    for username, tone in zip(("w01", "v01.lead"), tones, strict=True):
        pc, up, reply = await _publish(hub, username, call_id, tone)
        pcs.append(pc)
        ids.add(reply["recording_id"])
        await asyncio.wait_for(up.wait(), READY_S)
    await asyncio.wait_for(asyncio.gather(*(t.marked.wait() for t in tones)), READY_S)
    await ring.ok("call.hangup", {"call_id": call_id})
    await asyncio.gather(*(pc.close() for pc in pcs))
    (recording_id,) = ids
    await until_done(hub, str(recording_id))
    return str(recording_id)


async def _publish(hub: RunningHub, username: str, call_id: int, tone: Tone) -> Any:
    client = await hub.sign_in(username)
    reply: dict[str, Any] = {}

    async def answer(offer: Any) -> Any:
        from aiortc import RTCSessionDescription

        body = {"kind": "call", "ref": call_id, "sdp": offer.sdp}
        reply.update(await client.json("POST", "/api/v1/recordings/publish", json=body))
        return RTCSessionDescription(sdp=reply["sdp"], type=reply["type"])

    pc, connected = await publish(answer, tone)
    return pc, connected, reply


async def until_done(hub: RunningHub, recording_id: str) -> None:
    lead = await hub.sign_in("v01.lead")
    path = f"/api/v1/recordings/{recording_id}"
    deadline = time.monotonic() + READY_S
    while (await lead.json("GET", path))["state"] == "recording":  # the worker's file closes
        assert time.monotonic() < deadline, "the recording did not finish in time"
        await asyncio.sleep(0.05)


async def snapshot(hub: RunningHub, channel_id: int) -> dict[str, Any]:
    """What the acceptance asks to find again, as the county's people see it."""
    cmd = await hub.sign_in("v01.cmd")
    incidents = await cmd.json("GET", "/api/v1/dispatch/incidents")
    rows = incidents["items"] if isinstance(incidents, dict) else incidents
    peer: SocketClient = await hub.socket("w01")
    history = await peer.ok("channel.history", {"channel_id": channel_id, "limit": 50})
    alarms = await cmd.json("GET", "/api/v1/alarms")
    recordings = await (await hub.sign_in("v01.lead")).json("GET", "/api/v1/recordings")
    rec_rows = recordings["items"] if isinstance(recordings, dict) else recordings
    return {
        "incidents": sorted((i["number"], i["title"], i["state"]) for i in rows),
        "messages": [(m["offset"], m["body"]) for m in history["messages"]],
        "alarms": sorted((a["id"], a["device_code"], a["type"], a["severity"]) for a in alarms),
        "recordings": sorted((r["recording_id"], r["state"]) for r in rec_rows),
    }


async def test_backup_of_a_running_demo_restores_everything(
    start_gridhub: StartGridHub,  # noqa: F811  (the fixture imported above)
    two_databases: tuple[str | None, str | None],
    tmp_path: Path,
) -> None:
    first_url, second_url = two_databases
    hub = await start_gridhub(PLUGINS, demo=True, database_url=first_url, media=MEDIA_ON)
    channel_id, texts = await chat(hub)
    await raise_alarm(hub)
    reported = await report(hub)
    file_id = await upload(hub, channel_id)
    recording_id = await record_call(hub)
    await hub.settle()
    before = await snapshot(hub, channel_id)
    file_bytes = await fetched(hub, "w01", f"/api/v1/files/{file_id}")
    audio = await fetched(hub, "v01.lead", f"/api/v1/recordings/{recording_id}/media")
    made = await make_backup(hub.app[SETTINGS])
    await chat_more(hub, channel_id)  # the hub keeps serving while and after it is backed up
    await hub.stop()

    assert [b[1] for b in backups_in(made.path.parent)] == [made.path]
    assert (made.path / MANIFEST).is_file()
    assert (made.path / CHECKSUM).is_file()
    manifest = json.loads((made.path / MANIFEST).read_text())
    paths = [f["path"] for f in manifest["files"]]
    assert any(p.startswith("uploads/") for p in paths)
    assert any(p.startswith("recordings/") for p in paths)
    assert manifest["schema_revisions"]

    fresh = tmp_path / "restored"
    target = hub_settings(fresh, second_url or f"sqlite+aiosqlite:///{fresh / 'gridhub.db'}")
    done = await restore(target, made.path)
    assert done.files == len(paths) - 1
    async with running_hub(PLUGINS, database_url=target.effective_database_url,
                           data_dir=fresh) as restored:  # fmt: skip
        after = await snapshot(restored, channel_id)
        assert await fetched(restored, "w01", f"/api/v1/files/{file_id}") == file_bytes
        media = f"/api/v1/recordings/{recording_id}/media"
        assert await fetched(restored, "v01.lead", media) == audio
    assert after == before
    with pytest.raises(BackupError, match=r"restore\.not_empty"):
        await restore(target, made.path)  # the restored deployment is not empty any more
    assert (await restore(target, made.path, force=True)).files == done.files
    assert [body["text"] for _, body in after["messages"][-3:]] == texts
    assert reported["number"] in {n for n, _, _ in after["incidents"]}
    assert after["alarms"]
    assert after["recordings"]
    assert len(after["incidents"]) >= 2


async def chat_more(hub: RunningHub, channel_id: int) -> None:
    peer = await hub.socket("w02")
    body = {"channel_id": channel_id, "client_msg_id": "after", "kind": "text"}
    await peer.ok("channel.send", {**body, "body": {"text": "备份之后"}})


def test_restore_refuses_a_damaged_backup_or_a_deployment_that_is_not_empty(
    tmp_path: Path,
) -> None:
    source = tmp_path / "source"
    env = {"GRIDHUB_DATA_DIR": str(source)}
    runner = CliRunner()
    assert runner.invoke(main, ["migrate"], env=env).exit_code == 0
    (source / "uploads").mkdir()
    (source / "uploads" / "a.bin").write_bytes(b"abc")
    made = runner.invoke(main, ["backup", "--keep", "1"], env=env)
    assert made.exit_code == 0, made.output
    (folder,) = [b[1] for b in backups_in(source / "backups")]

    # A non-empty deployment is refused, and nothing changes in it.
    refused = runner.invoke(main, ["restore", str(folder)], env=env)
    assert refused.exit_code != 0
    assert "restore.not_empty" in refused.output
    assert (source / "uploads" / "a.bin").read_bytes() == b"abc"

    # A damaged file is found before anything is written.
    (folder / "uploads" / "a.bin").write_bytes(b"abd")
    target = {"GRIDHUB_DATA_DIR": str(tmp_path / "target")}
    damaged = runner.invoke(main, ["restore", str(folder)], env=target)
    assert "restore.checksum" in damaged.output
    assert not (tmp_path / "target" / "gridhub.db").exists()
    assert runner.invoke(main, ["restore", "--verify-only", str(folder)]).exit_code != 0

    # Rotation keeps the newest one.
    assert runner.invoke(main, ["backup", "--keep", "1"], env=env).exit_code == 0
    assert [b[1] for b in backups_in(source / "backups")] != [folder]
    assert len(backups_in(source / "backups")) == 1


async def test_rotation_keeps_the_newest_and_drops_the_old(tmp_path: Path) -> None:
    """keep = 3 newest, keep_days = 10: a backup goes when either rule says so; the one just
    made stays even when it is itself older than keep_days (a clock set back)."""
    settings = hub_settings(tmp_path, None, backup={"keep": 3, "keep_days": 10})
    async with open_core(settings):  # the database the runs back up
        pass
    start = datetime(2026, 1, 1, tzinfo=UTC)
    days = [0, 1, 2, 20, 21, 22, 23]
    for day in days:
        made = await make_backup(settings, now=start + timedelta(days=day))
    left = [stamp for stamp, _ in backups_in(made.path.parent)]
    assert left == [start + timedelta(days=d) for d in (21, 22, 23)]
    assert len(made.removed) == 1

    late = hub_settings(tmp_path, None, backup={"keep": None, "keep_days": 10})
    again = await make_backup(late, now=start + timedelta(days=40))
    left = [stamp for stamp, _ in backups_in(again.path.parent)]
    assert left == [start + timedelta(days=40)]  # the others are all more than 10 days old


@pytest.mark.parametrize(
    ("files", "code"),
    [
        ([{"path": "uploads/../../evil", "size": 1, "sha256": "0" * 64}], "restore.path"),
        ([{"path": "/etc/passwd", "size": 1, "sha256": "0" * 64}], "restore.path"),
        ([{"path": "uploads/a", "size": -1, "sha256": "0" * 64}], "restore.manifest"),
        ([{"path": "uploads/a", "size": 1}], "restore.manifest"),
        ([{"path": "uploads/a", "size": 1, "sha256": "0" * 64}], "restore.missing"),
    ],
)
async def test_a_hostile_manifest_is_refused_before_anything_is_written(
    tmp_path: Path, files: list[dict[str, Any]], code: str
) -> None:
    """A manifest with a matching checksum but paths leaving the backup, bad sizes or hashes,
    or files that are not there: refused, the target left untouched."""
    folder = tmp_path / "backup"
    folder.mkdir()
    manifest = {"format": 1, "gridhub_version": "x", "created_at": "now", "database": "sqlite",
                "schema_revisions": [], "files": files}  # fmt: skip
    write_manifest(folder, manifest)
    target = hub_settings(tmp_path / "target", None)
    with pytest.raises(BackupError, match=code.replace(".", r"\.")):
        await restore(target, folder)
    assert not (tmp_path / "target").exists()
