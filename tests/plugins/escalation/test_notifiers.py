"""Notifiers against real receivers: a local aiohttp server (signed webhook, retries) and files."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from plugins.escalation.config import (
    EscalationConfig,
    FileNotifierConfig,
    WebhookNotifierConfig,
)
from plugins.escalation.notifiers import (
    DELIVERY_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    FileNotifier,
    NotifierError,
    WebhookNotifier,
    verify,
)
from tests.hub.sockets import Peer
from tests.plugins.escalation.conftest import (
    BASIC,
    StartHub,
    alarm,
    audit,
    grid_id,
    publish,
    until,
)

SECRET = "s3cret-s3cret-s3cret"


class Receiver:
    """A webhook endpoint that answers `fail_first` requests with `status`, then 200."""

    def __init__(self, fail_first: int = 0, status: int = 503) -> None:
        self.fail_first, self.status = fail_first, status
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.arrived = asyncio.Event()

    async def handle(self, request: web.Request) -> web.Response:
        self.requests.append((dict(request.headers), await request.read()))
        if len(self.requests) <= self.fail_first:
            return web.Response(status=self.status)
        self.arrived.set()
        return web.Response(status=204)


Serve = Callable[[Receiver], Any]


@pytest.fixture
def serve(aiohttp_server: Any) -> Serve:
    async def start(receiver: Receiver) -> str:
        app = web.Application()
        app.router.add_post("/hook", receiver.handle)
        server: TestServer = await aiohttp_server(app)
        return str(server.make_url("/hook"))

    return start


def webhook(url: str, **options: Any) -> WebhookNotifierConfig:
    return WebhookNotifierConfig(type="webhook", url=url, secret=SECRET, **options)


async def test_a_webhook_is_signed_and_retried_until_delivered(serve: Serve) -> None:
    receiver = Receiver(fail_first=2)
    notifier = WebhookNotifier(webhook(await serve(receiver), backoff_s=0.05))
    try:
        await notifier.send("notify:1:0:hook", {"chain_id": 1, "text": "水位告警"})
    finally:
        await notifier.close()
    assert len(receiver.requests) == 3
    for headers, body in receiver.requests:
        assert headers[DELIVERY_HEADER] == "notify:1:0:hook"
        assert verify(SECRET, headers[TIMESTAMP_HEADER], body, headers[SIGNATURE_HEADER], 60)
        assert not verify(
            "another-secret-xx", headers[TIMESTAMP_HEADER], body, headers[SIGNATURE_HEADER], 60
        )
        assert not verify(
            SECRET, headers[TIMESTAMP_HEADER], body + b" ", headers[SIGNATURE_HEADER], 60
        )
    assert json.loads(receiver.requests[-1][1]) == {"chain_id": 1, "text": "水位告警"}


async def test_a_webhook_gives_up_after_its_attempts_or_on_a_refusal(serve: Serve) -> None:
    failing = Receiver(fail_first=10)
    notifier = WebhookNotifier(webhook(await serve(failing), attempts=3, backoff_s=0.01))
    with pytest.raises(NotifierError, match="HTTP 503"):
        await notifier.send("d1", {})
    await notifier.close()
    assert len(failing.requests) == 3

    refusing = Receiver(fail_first=10, status=400)
    notifier = WebhookNotifier(webhook(await serve(refusing), attempts=3, backoff_s=0.01))
    with pytest.raises(NotifierError, match="HTTP 400"):
        await notifier.send("d2", {})
    await notifier.close()
    assert len(refusing.requests) == 1  # a 4xx is not worth retrying


async def test_a_file_notifier_appends_json_lines(tmp_path: Path) -> None:
    path = tmp_path / "notices.jsonl"
    notifier = FileNotifier(FileNotifierConfig(type="file", path=str(path)))
    await notifier.send("a", {"n": 1})
    await notifier.send("b", {"n": 2})
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert lines == [{"delivery": "a", "n": 1}, {"delivery": "b", "n": 2}]
    broken = FileNotifier(FileNotifierConfig(type="file", path=str(tmp_path / "no" / "x")))
    with pytest.raises(NotifierError):
        await broken.send("c", {})


async def test_a_chain_step_delivers_through_its_webhook(
    start_escalation: StartHub, serve: Serve, peers: list[Peer]
) -> None:
    receiver = Receiver(fail_first=1)
    config = {
        "notifiers": {
            "hook": {
                "type": "webhook",
                "url": await serve(receiver),
                "secret": SECRET,
                "backoff_s": 0.05,
            }
        },
        "policies": [
            {
                "name": "hooked",
                "trigger": "alarm",
                "steps": [
                    {
                        "level": "village",
                        "after_s": 0,
                        "actions": ["notifier"],
                        "notifiers": ["hook"],
                    },
                ],
            }
        ],
    }
    client = (await start_escalation(config)).client
    await publish(client, alarm(44, grid_id(client, BASIC)))
    await asyncio.wait_for(receiver.arrived.wait(), 10)
    headers, body = receiver.requests[-1]
    assert verify(SECRET, headers[TIMESTAMP_HEADER], body, headers[SIGNATURE_HEADER], 60)
    message = json.loads(body)
    assert (message["subject"], message["level"], message["step"]) == ("alarm:44", "village", 0)

    async def audited() -> bool:
        return len(await audit(client, "escalation.notify.sent")) == 1

    await until(audited)


def test_a_config_naming_an_unknown_notifier_is_refused() -> None:
    bad = {
        "policies": [
            {
                "name": "p",
                "trigger": "sos",
                "steps": [
                    {"level": "town", "after_s": 0, "actions": ["notifier"], "notifiers": ["sms"]}
                ],
            }
        ]
    }
    with pytest.raises(ValueError, match="unknown notifiers"):
        EscalationConfig.model_validate(bad)
    unordered = {
        "policies": [
            {
                "name": "p",
                "trigger": "sos",
                "steps": [{"level": "town", "after_s": 5}, {"level": "county", "after_s": 1}],
            }
        ]
    }
    with pytest.raises(ValueError, match="in order"):
        EscalationConfig.model_validate(unordered)
    assert EscalationConfig().policy_for("alarm", "CRITICAL", "smoke") is not None
    assert EscalationConfig().policy_for("alarm", "MINOR", "smoke") is None
