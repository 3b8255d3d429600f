"""Notifiers: how an escalation step reaches people outside the hub.

A `Notifier` sends one JSON message and raises `NotifierError` when it could not. Shipped:

* `WebhookNotifier` -- an HTTP POST of the JSON body, signed with HMAC-SHA256 over
  ``"<timestamp>.<body>"`` (headers ``X-GridHub-Timestamp``, ``X-GridHub-Signature:
  sha256=<hex>``, ``X-GridHub-Delivery`` -- the same id on every retry, for de-duplication),
  retried with exponential back-off on connection errors, timeouts, 429 and 5xx.
* `FileNotifier` -- appends one JSON line per message to a file.
* `LogNotifier` -- writes the message to the hub log.

Each is a kind in the ``gridhub.notifiers`` entry-point group (see notify.py); the SMS gateway
notifier lives in sms.py.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import aiohttp

from plugins.escalation.config import (
    FileNotifierConfig,
    LogNotifierConfig,
    WebhookNotifierConfig,
)
from plugins.escalation.notify import Notifier, NotifierError, NotifierKind, build

__all__ = ["FILE", "LOG", "WEBHOOK", "Notifier", "NotifierError", "build", "sign", "verify"]

SIGNATURE_HEADER = "X-GridHub-Signature"
TIMESTAMP_HEADER = "X-GridHub-Timestamp"
DELIVERY_HEADER = "X-GridHub-Delivery"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def verify(secret: str, timestamp: str, body: bytes, signature: str, max_age_s: float) -> bool:
    """For receivers: a valid signature on a message not older than `max_age_s`."""
    try:
        fresh = abs(time.time() - float(timestamp)) <= max_age_s
    except ValueError:
        return False
    return fresh and hmac.compare_digest(sign(secret, timestamp, body), signature)


class WebhookNotifier:
    def __init__(self, config: WebhookNotifierConfig) -> None:
        self._config = config
        self._session: aiohttp.ClientSession | None = None

    async def send(self, delivery_id: str, message: Mapping[str, Any]) -> None:
        body = json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode()
        problem = ""
        for attempt in range(self._config.attempts):
            if attempt:
                await asyncio.sleep(self._config.backoff_s * 2 ** (attempt - 1))
            problem = await self._post(delivery_id, body)
            if not problem:
                return
            if problem.startswith("refused"):
                break
        raise NotifierError(f"webhook {self._config.url}: {problem}")

    async def _post(self, delivery_id: str, body: bytes) -> str:
        """One attempt: '' when delivered, else why not ('refused ...' is not worth retrying)."""
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: sign(self._config.secret, timestamp, body),
            DELIVERY_HEADER: delivery_id,
        }
        timeout = aiohttp.ClientTimeout(total=self._config.timeout_s)
        try:
            async with self._client().post(
                self._config.url, data=body, headers=headers, timeout=timeout
            ) as response:
                status = response.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            return f"{type(exc).__name__}: {exc}"
        if status < 300:
            return ""
        retryable = status == 429 or status >= 500
        return f"{'' if retryable else 'refused '}HTTP {status}"

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()


class FileNotifier:
    def __init__(self, config: FileNotifierConfig) -> None:
        self._path = Path(config.path)

    async def send(self, delivery_id: str, message: Mapping[str, Any]) -> None:
        line = json.dumps({"delivery": delivery_id, **message}, ensure_ascii=False) + "\n"
        try:
            await asyncio.to_thread(self._append, line)
        except OSError as exc:
            raise NotifierError(f"file {self._path}: {exc}") from exc

    def _append(self, line: str) -> None:
        with self._path.open("a", encoding="utf-8") as out:
            out.write(line)

    async def close(self) -> None:
        return None


class LogNotifier:
    def __init__(self, log: logging.Logger) -> None:
        self._log = log

    async def send(self, delivery_id: str, message: Mapping[str, Any]) -> None:
        self._log.warning("escalation notice", extra={"delivery": delivery_id, "notice": message})

    async def close(self) -> None:
        return None


def _webhook(config: WebhookNotifierConfig, log: logging.Logger) -> Notifier:
    return WebhookNotifier(config)


def _file(config: FileNotifierConfig, log: logging.Logger) -> Notifier:
    return FileNotifier(config)


def _log(config: LogNotifierConfig, log: logging.Logger) -> Notifier:
    return LogNotifier(log)


WEBHOOK = NotifierKind(WebhookNotifierConfig, _webhook)
FILE = NotifierKind(FileNotifierConfig, _file)
LOG = NotifierKind(LogNotifierConfig, _log)
