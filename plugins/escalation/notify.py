"""The notifier interface: how any package adds a way for escalation steps to reach people.

A notifier *kind* is a `NotifierKind` published in the ``gridhub.notifiers`` entry-point group;
the entry point's name is the ``type`` an operator writes in the configuration::

    [project.entry-points."gridhub.notifiers"]
    pager = "my_package.pager:PAGER"   # PAGER = NotifierKind(PagerConfig, make_pager)

`config` is a pydantic model derived from `NotifierSettings` (its ``type`` field a literal of
the kind's name) that validates the notifier's table at start-up; `build(config, log)` makes
the `Notifier`. A notifier's `send` delivers one step event (a JSON-able mapping) and raises
`NotifierError` when it could not; the hub's timer service then retries the delivery later with
the same `delivery_id`, so a notifier that reaches several recipients should remember which
ones a delivery already reached.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict

GROUP = "gridhub.notifiers"


class NotifierError(RuntimeError):
    """The message could not be delivered (after the notifier's own retries)."""


class Notifier(Protocol):
    async def send(self, delivery_id: str, message: Mapping[str, Any]) -> None: ...

    async def close(self) -> None: ...


class NotifierSettings(BaseModel):
    """The base of every kind's configuration table."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    type: str


@dataclass(frozen=True)
class NotifierKind:
    config: type[NotifierSettings]
    build: Callable[[Any, logging.Logger], Notifier]


@functools.cache
def kinds() -> Mapping[str, NotifierKind]:
    """The installed kinds by name (loaded once from the entry points)."""
    found: dict[str, NotifierKind] = {}
    for point in entry_points(group=GROUP):
        kind = point.load()
        if not isinstance(kind, NotifierKind):
            raise TypeError(f"entry point {GROUP}:{point.name} is not a NotifierKind")
        found[point.name] = kind
    return found


def settings(name: str, raw: Any) -> NotifierSettings:
    """One notifier's table validated by its kind's model (ValueError for an unknown kind)."""
    if isinstance(raw, NotifierSettings):
        return raw
    kind_name = raw.get("type") if isinstance(raw, Mapping) else None
    kind = kinds().get(str(kind_name))
    if kind is None:
        installed = sorted(kinds())
        raise ValueError(f"notifier {name}: unknown type {kind_name!r}; installed: {installed}")
    return kind.config.model_validate(raw)


def build(configs: Mapping[str, NotifierSettings], log: logging.Logger) -> dict[str, Notifier]:
    return {name: kinds()[config.type].build(config, log) for name, config in configs.items()}
