"""The docs cover the live route table: every route of a hub with every built-in package is in a
route index (a row "| `METHOD /path/{param}` | `action` |") and has a worked example (a fenced
block whose first line is a request line whose path fits the route).

Core routes are documented in docs/http-api.md. A plugin's routes (paths under
/api/v1/<plugin>/) may instead be documented in that plugin's own files, docs/<plugin>.md or
docs/<plugin>-*.md: their index row and their example are looked for in http-api.md and in those
files (the row and the example need not be in the same file)."""

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

DOCS = Path(__file__).resolve().parents[2] / "docs"
DOC = DOCS / "http-api.md"
PLUGIN_PATH = re.compile(r"/api/v1/([\w-]+)/")
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


def plugin_docs(name: str) -> list[Path]:
    """A plugin's own docs files: docs/<name>.md and docs/<name>-*.md."""
    return sorted({*DOCS.glob(f"{name}.md"), *DOCS.glob(f"{name}-*.md")})


def doc_text_for(endpoint: Endpoint, plugins: set[str]) -> str:
    """The text that may document this route: http-api.md, and for a plugin's route its files."""
    match = PLUGIN_PATH.match(endpoint.path)
    files = [DOC]
    if match and match.group(1) in plugins:
        files += plugin_docs(match.group(1))
    return "\n".join(f.read_text(encoding="utf-8") for f in files)


async def test_every_route_is_indexed_and_has_an_example(endpoints: list[Endpoint]) -> None:
    plugins = set(built_in_plugins())
    texts = [doc_text_for(e, plugins) for e in endpoints]
    assert len(endpoints) > 80  # the core and every built-in package were mounted
    unindexed = [
        f"{e.method} {e.path}"
        for e, text in zip(endpoints, texts, strict=True)
        if f"| `{e.method} {documented_path(e.path)}` | `{e.rule.action}` |" not in text
    ]
    without_example = [
        f"{e.method} {e.path}"
        for e, text in zip(endpoints, texts, strict=True)
        if not any(concrete(e).match(line) for line in example_requests(text))
    ]
    assert unindexed == [], "add these routes to a route index (http-api.md or the plugin's docs)"
    assert without_example == [], "give these routes an example (http-api.md or the plugin's docs)"


def test_a_plugins_own_docs_count_only_for_its_routes() -> None:
    """docs/archives-work.md may document /api/v1/archives/… but not /api/v1/party/…"""
    names = {p.name for p in plugin_docs("archives")}
    assert {"archives.md", "archives-work.md"} <= names
    assert not any(n.startswith("party") for n in names)
