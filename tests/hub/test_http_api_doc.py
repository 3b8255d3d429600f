"""docs/http-api.md covers the live route table: every route of a hub with every built-in package
is in the route index and has a worked example (a request line whose path fits the route)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from hub.app import build_app
from hub.plugins import Plugin, discover
from hub.web import ENDPOINTS, Endpoint
from tests.hub.conftest import make_settings

DOC = Path(__file__).resolve().parents[2] / "docs" / "http-api.md"
PARAM = re.compile(r"{(\w+)(?::((?:[^{}]|{[^{}]*})+))?}")
FENCE = re.compile(r"^```[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)


def built_in_plugins() -> dict[str, Plugin]:
    """GridHub's own plugins: a third-party one installed beside them (the example package
    gridhub-hello) documents its routes itself."""
    return {n: p for n, p in discover().items() if type(p).__module__.startswith("plugins.")}


@pytest.fixture
async def endpoints(tmp_path: Path) -> AsyncIterator[list[Endpoint]]:
    """The route table of a started hub (plugins add their routes while they start)."""
    app = build_app(make_settings(tmp_path), available_plugins=built_in_plugins())
    runner = web.AppRunner(app)
    await runner.setup()
    try:
        table: list[Endpoint] = app[ENDPOINTS]
        yield list(table)
    finally:
        await runner.cleanup()


def documented_path(path: str) -> str:
    """A route's path as the doc writes it: `{name}` without regex; `.{json,xml}` formats."""
    path = path.replace("{fmt:json|xml}", "{json,xml}")
    return PARAM.sub(lambda m: "{" + m.group(1) + "}", path)


def concrete(endpoint: Endpoint) -> re.Pattern[str]:
    """The request line of an example of this route: method, a path the route matches."""
    parts, last = [], 0
    for match in PARAM.finditer(endpoint.path):
        parts += [re.escape(endpoint.path[last : match.start()]), match.group(2) or "[^/?\\s]+"]
        last = match.end()
    path = "".join([*parts, re.escape(endpoint.path[last:])])
    return re.compile(rf"{endpoint.method} {path}(\?\S*)?(\s|$)")


def example_requests(text: str) -> list[str]:
    return [block.splitlines()[0] for block in FENCE.findall(text) if block.strip()]


async def test_every_route_is_indexed_and_has_an_example(endpoints: list[Endpoint]) -> None:
    text = DOC.read_text(encoding="utf-8")
    requests = example_requests(text)
    assert len(endpoints) > 80  # the core and every built-in package were mounted
    unindexed = [
        f"{e.method} {e.path}"
        for e in endpoints
        if f"| `{e.method} {documented_path(e.path)}` | `{e.rule.action}` |" not in text
    ]
    without_example = [
        f"{e.method} {e.path}"
        for e in endpoints
        if not any(concrete(e).match(line) for line in requests)
    ]
    assert unindexed == [], "add these routes to the route index of docs/http-api.md"
    assert without_example == [], "give these routes an example in docs/http-api.md"
