"""The SMS notifier kind against a local HTTP SMS gateway on loopback, and the notifier kinds'
entry-point group."""

from __future__ import annotations

import json
from importlib.metadata import entry_points
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from hub.settings import Settings, masked
from plugins.escalation.config import EscalationConfig
from plugins.escalation.notifiers import NotifierError, verify
from plugins.escalation.sms import SmsNotifier, SmsNotifierConfig

SECRET = "gateway-shared-secret"
A, B = "13800001111", "13900002222"
STEP = {"chain_id": 7, "step": 2, "trigger": "sos", "subject": "sos:3"}
STEP_NAME = {"level_grid_name": '东关"村', **STEP}


class Gateway:
    """An SMS gateway: records each accepted message; numbers in `failing` get 503."""

    def __init__(self) -> None:
        self.accepted: list[dict[str, Any]] = []
        self.failing: set[str] = set()
        self.tries: dict[str, int] = {}

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        stamp = request.headers.get("X-Stamp", "")
        if not verify(SECRET, stamp, body, request.headers.get("X-Sign", ""), 300):
            return web.Response(status=401)
        sms = json.loads(body)
        self.tries[sms["to"]] = self.tries.get(sms["to"], 0) + 1
        if sms["to"] in self.failing:
            return web.Response(status=503)
        self.accepted.append(sms | {"token": request.headers["Authorization"]})
        return web.json_response({"code": 0})


@pytest.fixture
async def gateway_url(aiohttp_server: Any) -> tuple[Gateway, str]:
    gateway = Gateway()
    app = web.Application()
    app.router.add_post("/sms/send", gateway.handle)
    server: TestServer = await aiohttp_server(app)
    return gateway, str(server.make_url("/sms/send"))


def config(url: str, **options: Any) -> SmsNotifierConfig:
    table = {
        "type": "sms",
        "url": url,
        "headers": {"Authorization": "Bearer t0ken"},
        "body": '{"to": "$phone", "msg": "$text", "id": "$delivery"}',
        "recipients": [A, B],
        "signature": {"secret": SECRET, "header": "X-Sign", "timestamp_header": "X-Stamp"},
        "backoff_s": 0.01,
    }
    settings = EscalationConfig.model_validate(
        {"notifiers": {"log": {"type": "log"}, "duty-sms": table | options}}
    )
    made = settings.notifiers["duty-sms"]
    assert isinstance(made, SmsNotifierConfig)
    return made


def test_notifier_kinds_come_from_the_entry_point_group() -> None:
    names = {point.name for point in entry_points(group="gridhub.notifiers")}
    assert {"webhook", "file", "log", "sms"} <= names
    with pytest.raises(ValueError, match="unknown type 'pager'"):
        EscalationConfig.model_validate({"notifiers": {"p": {"type": "pager"}}})
    with pytest.raises(ValueError, match="unknown placeholders"):
        config("http://127.0.0.1/x", body='{"to": "$phone", "pwd": "$password"}')
    with pytest.raises(ValueError, match="recipients"):
        config("http://127.0.0.1/x", recipients=["not-a-phone"])


async def test_each_recipient_gets_a_signed_message_filled_from_the_template(
    gateway_url: tuple[Gateway, str],
) -> None:
    gateway, url = gateway_url
    notifier = SmsNotifier(config(url))
    try:
        await notifier.send("notify:7:2:duty-sms", STEP_NAME)
    finally:
        await notifier.close()
    assert sorted(sms["to"] for sms in gateway.accepted) == [A, B]
    first = gateway.accepted[0]
    assert first["msg"] == '[GridHub] 东关"村: sos sos:3'  # the quote is JSON-escaped
    assert first["id"] == "notify:7:2:duty-sms"
    assert first["token"] == "Bearer t0ken"


async def test_over_the_rate_limit_a_message_is_deferred_not_lost(
    gateway_url: tuple[Gateway, str],
) -> None:
    gateway, url = gateway_url
    now = [1000.0]
    notifier = SmsNotifier(config(url, max_per_recipient=2, per_s=60), clock=lambda: now[0])
    try:
        await notifier.send("d1", STEP)
        await notifier.send("d2", STEP)
        with pytest.raises(NotifierError, match=r"138\*\*\*\*1111: rate limited") as refused:
            await notifier.send("d3", STEP)
        assert A not in str(refused.value)  # numbers are masked in errors and logs
        assert len(gateway.accepted) == 4
        now[0] += 61  # the window has passed: the timer service's retry goes through
        await notifier.send("d3", STEP)
    finally:
        await notifier.close()
    assert sorted((sms["id"], sms["to"]) for sms in gateway.accepted) == sorted(
        (d, p) for d in ("d1", "d2", "d3") for p in (A, B)
    )


async def test_a_failing_gateway_is_retried_then_reported_and_the_retry_reaches_only_the_rest(
    gateway_url: tuple[Gateway, str],
) -> None:
    gateway, url = gateway_url
    gateway.failing = {B}
    notifier = SmsNotifier(config(url, attempts=3))
    try:
        with pytest.raises(NotifierError, match=r"139\*\*\*\*2222: HTTP 503"):
            await notifier.send("d1", STEP)
        assert gateway.tries == {A: 1, B: 3}
        gateway.failing = set()
        await notifier.send("d1", STEP)  # the delivery retried later, same id
    finally:
        await notifier.close()
    assert sorted(sms["to"] for sms in gateway.accepted) == [A, B]  # A not sent twice
    assert gateway.tries == {A: 1, B: 4}


async def test_a_bad_signature_is_refused_by_the_gateway_and_not_retried(
    gateway_url: tuple[Gateway, str],
) -> None:
    gateway, url = gateway_url
    wrong = {"secret": "not-the-gateway-secret", "header": "X-Sign", "timestamp_header": "X-Stamp"}
    notifier = SmsNotifier(config(url, signature=wrong, recipients=[A]))
    try:
        with pytest.raises(NotifierError, match="refused HTTP 401"):
            await notifier.send("d1", STEP)
    finally:
        await notifier.close()
    assert gateway.accepted == []
    assert gateway.tries == {}


def test_a_get_gateway_takes_form_encoded_fields_in_its_url() -> None:
    with pytest.raises(ValueError, match="GET"):
        config("http://127.0.0.1/x", method="GET")
    made = config("http://127.0.0.1/x?to=$phone&m=$text", method="GET", body="", encoding="form")
    assert made.method == "GET"


def test_the_gateway_credentials_are_masked_in_config_show() -> None:
    table = {
        "type": "sms",
        "url": "https://sms.example/send",
        "recipients": [A],
        "headers": {"Authorization": "Bearer t0ken"},
        "signature": {"secret": SECRET},
    }
    plugins = {"config": {"escalation": {"notifiers": {"duty-sms": table}}}}
    shown = str(masked(Settings(plugins=plugins)))
    assert "t0ken" not in shown
    assert SECRET not in shown
    assert "sms.example" in shown
