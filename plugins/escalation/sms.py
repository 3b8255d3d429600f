"""SMS through any HTTP SMS gateway, described by a template (the `sms` notifier kind).

Each recipient gets one request per delivery: the URL and body are `string.Template`s with
``$phone``, ``$text``, ``$delivery`` and ``$timestamp``; values are escaped for the body's
`encoding` (JSON string, form/URL, or raw). ``$text`` is the `text` template filled from the
step event (``$level_grid_name``, ``$trigger``, ``$subject``...). With `signature`, the request
carries an HMAC-SHA256 of ``<timestamp>.<body>`` like the webhook's.

A recipient is reached at most `max_per_recipient` times per `per_s` seconds: over it, the
delivery is deferred (the notifier raises, the timer service retries it later), never dropped.
Connection errors, timeouts, 429 and 5xx are retried `attempts` times with back-off. A retried
delivery goes only to the recipients it has not reached yet. Phone numbers in errors are masked.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Mapping
from string import Template
from typing import Annotated, Any, Literal
from urllib.parse import quote

import aiohttp
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from plugins.escalation.notifiers import sign
from plugins.escalation.notify import Notifier, NotifierError, NotifierKind, NotifierSettings

REQUEST_FIELDS = frozenset({"phone", "text", "delivery", "timestamp"})
EVENT_FIELDS = frozenset(
    {"chain_id", "step", "level", "trigger", "subject", "policy", "grid_id", "level_grid_id"}
    | {"level_grid_name", "started_at"}
)
PHONE = r"^\+?[0-9]{5,20}$"
REMEMBERED_DELIVERIES = 1000


def _fields(template: str) -> set[str]:
    parsed = Template(template)
    if not parsed.is_valid():
        raise ValueError(f"not a valid template: {template!r}")
    return set(parsed.get_identifiers())


def _only(template: str, allowed: frozenset[str]) -> str:
    unknown = _fields(template) - allowed
    if unknown:
        raise ValueError(f"unknown placeholders {sorted(unknown)}; allowed: {sorted(allowed)}")
    return template


class SmsSignature(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    secret: str = Field(min_length=16, max_length=256)
    header: str = Field("X-GridHub-Signature", pattern=r"^[A-Za-z0-9-]{1,64}$")
    timestamp_header: str = Field("X-GridHub-Timestamp", pattern=r"^[A-Za-z0-9-]{1,64}$")


class SmsNotifierConfig(NotifierSettings):
    type: Literal["sms"]
    url: str = Field(pattern=r"^https?://", max_length=2000)
    method: Literal["POST", "PUT", "GET"] = "POST"
    headers: dict[str, str] = Field(default_factory=dict, max_length=20)
    body: str = Field("", max_length=4000)
    encoding: Literal["json", "form", "raw"] = "json"
    text: str = Field("[GridHub] $level_grid_name: $trigger $subject", max_length=500)
    max_chars: int = Field(280, ge=20, le=1000)
    recipients: tuple[Annotated[str, Field(pattern=PHONE)], ...] = Field(
        min_length=1, max_length=100
    )
    max_per_recipient: int = Field(10, ge=1, le=1000)
    per_s: float = Field(3600.0, gt=0, le=7 * 86400)
    attempts: int = Field(3, ge=1, le=10)
    backoff_s: float = Field(0.5, gt=0, le=60)
    timeout_s: float = Field(5.0, gt=0, le=60)
    signature: SmsSignature | None = None

    @field_validator("url", "body")
    @classmethod
    def _request_template(cls, value: str) -> str:
        return _only(value, REQUEST_FIELDS)

    @field_validator("text")
    @classmethod
    def _text_template(cls, value: str) -> str:
        return _only(value, EVENT_FIELDS)

    @model_validator(mode="after")
    def _body_fits_method(self) -> SmsNotifierConfig:
        if self.method == "GET" and self.body:
            raise ValueError("a GET gateway takes its fields in the url, not a body")
        return self


def mask(phone: str) -> str:
    return phone[:3] + "*" * max(len(phone) - 7, 0) + phone[-4:] if len(phone) > 7 else "***"


def _escape(value: str, encoding: str) -> str:
    if encoding == "json":
        return json.dumps(value, ensure_ascii=False)[1:-1]
    return quote(value, safe="") if encoding == "form" else value


class RateLimit:
    """At most `limit` sends per recipient in any window of `per_s` seconds."""

    def __init__(self, limit: int, per_s: float, clock: Callable[[], float]) -> None:
        self._limit, self._per_s, self._clock = limit, per_s, clock
        self._sent: dict[str, deque[float]] = {}

    def allows(self, recipient: str) -> bool:
        sent = self._sent.setdefault(recipient, deque())
        while sent and sent[0] <= self._clock() - self._per_s:
            sent.popleft()
        return len(sent) < self._limit

    def record(self, recipient: str) -> None:
        self._sent.setdefault(recipient, deque()).append(self._clock())


class SmsNotifier:
    def __init__(
        self, config: SmsNotifierConfig, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._config = config
        self._limits = RateLimit(config.max_per_recipient, config.per_s, clock)
        self._reached: OrderedDict[str, set[str]] = OrderedDict()
        self._session: aiohttp.ClientSession | None = None

    async def send(self, delivery_id: str, message: Mapping[str, Any]) -> None:
        reached = self._remember(delivery_id)
        text = self._text(message)
        problems = []
        for phone in (p for p in self._config.recipients if p not in reached):
            problem = await self._to(phone, delivery_id, text)
            if problem:
                problems.append(f"{mask(phone)}: {problem}")
            else:
                reached.add(phone)
                self._limits.record(phone)
        if problems:
            raise NotifierError(f"sms {delivery_id}: " + "; ".join(problems))

    def _remember(self, delivery_id: str) -> set[str]:
        reached = self._reached.setdefault(delivery_id, set())
        self._reached.move_to_end(delivery_id)
        while len(self._reached) > REMEMBERED_DELIVERIES:
            self._reached.popitem(last=False)
        return reached

    def _text(self, message: Mapping[str, Any]) -> str:
        values = {name: str(message.get(name, "")) for name in EVENT_FIELDS}
        return Template(self._config.text).substitute(values)[: self._config.max_chars]

    async def _to(self, phone: str, delivery_id: str, text: str) -> str:
        """'' when the gateway took it, else why not (after the retries)."""
        if not self._limits.allows(phone):
            return "rate limited, deferred"
        problem = ""
        for attempt in range(self._config.attempts):
            if attempt:
                await asyncio.sleep(self._config.backoff_s * 2 ** (attempt - 1))
            problem = await self._request(phone, delivery_id, text)
            if not problem or problem.startswith("refused"):
                break
        return problem

    async def _request(self, phone: str, delivery_id: str, text: str) -> str:
        timestamp = str(int(time.time()))
        fields = {"phone": phone, "text": text, "delivery": delivery_id, "timestamp": timestamp}
        url = Template(self._config.url).substitute(
            {k: quote(v, safe="") for k, v in fields.items()}
        )
        body = (
            Template(self._config.body)
            .substitute({k: _escape(v, self._config.encoding) for k, v in fields.items()})
            .encode()
        )
        headers = dict(self._config.headers) | self._signed(timestamp, body)
        timeout = aiohttp.ClientTimeout(total=self._config.timeout_s)
        try:
            async with self._client().request(
                self._config.method, url, data=body or None, headers=headers, timeout=timeout
            ) as response:
                status = response.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            return f"{type(exc).__name__}"
        if status < 300:
            return ""
        return f"{'' if status == 429 or status >= 500 else 'refused '}HTTP {status}"

    def _signed(self, timestamp: str, body: bytes) -> dict[str, str]:
        signature = self._config.signature
        if signature is None:
            return {}
        return {
            signature.timestamp_header: timestamp,
            signature.header: sign(signature.secret, timestamp, body),
        }

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()


def _sms(config: SmsNotifierConfig, log: logging.Logger) -> Notifier:
    return SmsNotifier(config)


SMS = NotifierKind(SmsNotifierConfig, _sms)
