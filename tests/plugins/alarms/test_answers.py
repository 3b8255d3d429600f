"""Every alarms route answers what its response model (and so the OpenAPI document) says."""

from __future__ import annotations

import time
from typing import Any

from plugins.alarms.client import DeviceClient
from tests.hub.answers import Answers
from tests.hub.conftest import login
from tests.plugins.alarms.conftest import AlarmHub

TEMP = "dev-temp-01"  # 东庄村 grid 02: v01.cmd's village
PREFIX = "/api/v1/alarms"


async def answer(hub: AlarmHub, answers: Answers, method: str, path: str, token: str,
                 **kwargs: Any) -> Any:  # fmt: skip
    response = await hub.api(method, path, token, **kwargs)
    assert response.status < 300, (method, path, await response.text())
    body = await response.json()
    answers.check(method, PREFIX + path, body)
    return body


async def test_every_alarms_route_answers_its_model(
    hub: AlarmHub, devices: list[DeviceClient]
) -> None:
    answers = Answers(hub.app)
    device = hub.device(TEMP)
    devices.append(device)
    await device.connect()
    await device.telemetry(temperature=21.5)
    await device.telemetry(ts=time.time() - 10 * 86400, temperature=22.0)  # skewed: replaced
    await device.heartbeat("fw-1.2")
    await device.alarm("frost", "WARNING")
    await device.clear("frost", "warmer now")
    await device.wait_acked(await device.alarm("smoke", "CRITICAL", value=61.5, message="烟雾"))
    admin = await login(hub.client, "admin")
    commander = await login(hub.client, "v01.cmd")

    listed = await answer(hub, answers, "GET", "?limit=5", commander)
    alarm = next(a for a in listed if a["type"] == "smoke")
    one = f"/{alarm['id']}"
    await answer(hub, answers, "POST", one + "/ack", commander, json={"comment": "已派人"})
    await answer(hub, answers, "POST", one + "/comment", commander, json={"text": "到场"})
    picks = await answer(hub, answers, "GET", one + "/assignees", commander)
    person = picks["assignees"][0]["person_id"]
    await answer(hub, answers, "POST", one + "/assign", commander, json={"person_id": person})
    await answer(hub, answers, "POST", one + "/clear", commander, json={"comment": "误报"})
    detail = await answer(hub, answers, "GET", one, commander)
    assert [h["action"] for h in detail["history"]][-1] == "cleared"

    frames = await answer(hub, answers, "GET", f"/devices/{TEMP}/frames", commander)
    assert {f["kind"] for f in frames} == {"telemetry", "heartbeat", "alarm", "clear"}
    assert any(f.get("skewed") for f in frames)
    assert any(f.get("firmware") for f in frames)

    await answer(hub, answers, "GET", "/rules", commander)
    rule = {"name": "仓库高温", "device_type": "temperature", "metric": "temperature", "op": "gt",
            "threshold": 60, "alarm_type": "overheat"}  # fmt: skip
    await answer(hub, answers, "POST", "/rules", admin, json=rule)

    for path, media_type in ((one + "/cap", "application/cap+xml"),
                             ("/feed.atom", "application/atom+xml")):  # fmt: skip
        response = await hub.api("GET", path, commander)
        assert response.status == 200
        assert response.content_type == media_type
        assert answers.endpoint("GET", PREFIX + path).produces == media_type
    assert answers.unchecked(PREFIX) == []
