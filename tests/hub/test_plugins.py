"""Plugins end to end: real entry points found by importlib.metadata, ordered, configured, set up
inside a running hub, serving HTTP under /api/v1/<name>, talking over the bus, torn down.

Each test installs a distribution `gridhub-testplugins` into a temporary directory on sys.path:
a dist-info with METADATA and entry_points.txt, plus generated modules that subclass the
behaviours in tests/hub/plugin_fixtures and give them names and requirements.
"""

from __future__ import annotations

import asyncio
import importlib
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, TypeVar

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

import hub.plugins
from hub.app import build_app
from hub.keys import BUS, PLUGINS
from hub.plugins import Plugin, PluginError, discover, select
from hub.settings import Settings
from tests.hub import plugin_fixtures
from tests.hub.plugin_fixtures import JOURNAL, Background, Configured, GreetingConfig, Listener

FAST_HASHING = {"hash_time_cost": 1, "hash_memory_kib": 1024, "hash_parallelism": 1}
WAIT_S = 10.0
P = TypeVar("P")


@dataclass(frozen=True)
class Spec:
    """One entry point: a generated module subclassing `base`, or `source` written verbatim."""

    name: str
    base: str = "Recorded"
    requires: tuple[str, ...] = ()
    source: str | None = None
    attr: str = "Plugin"


class Site:
    """A sys.path directory holding the one distribution `gridhub-testplugins`."""

    def __init__(self, root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.root = root
        self.tag = uuid.uuid4().hex[:8]
        self.modules: list[str] = []
        self._monkeypatch = monkeypatch

    def install(self, *specs: Spec) -> None:
        lines = ["[gridhub.plugins]"]
        for spec in specs:
            module = f"gridhub_tp_{self.tag}_{spec.name}"
            (self.root / f"{module}.py").write_text(spec.source or _plugin_source(spec))
            self.modules.append(module)
            lines.append(f"{spec.name} = {module}:{spec.attr}")
        info = self.root / "gridhub_testplugins-0.0.dist-info"
        info.mkdir()
        metadata = "Metadata-Version: 2.1\nName: gridhub-testplugins\nVersion: 0.0\n"
        (info / "METADATA").write_text(metadata)
        (info / "entry_points.txt").write_text("\n".join(lines) + "\n")
        self._monkeypatch.syspath_prepend(str(self.root))
        importlib.invalidate_caches()


def _plugin_source(spec: Spec) -> str:
    return (
        f"from tests.hub.plugin_fixtures import {spec.base}\n\n\n"
        f"class Plugin({spec.base}):\n"
        f"    name = {spec.name!r}\n"
        f"    requires = {spec.requires!r}\n"
    )


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    root = tmp_path / "site-packages"
    root.mkdir()
    installed = Site(root, monkeypatch)
    # Only this site's plugins: the project's own (dispatch, alarms, ...) are installed too.
    monkeypatch.setattr(hub.plugins, "entry_points", _test_entry_points)
    JOURNAL.clear()
    yield installed
    JOURNAL.clear()
    for module in installed.modules:
        sys.modules.pop(module, None)


def _test_entry_points(group: str) -> list[metadata.EntryPoint]:
    found = metadata.entry_points(group=group)
    return [ep for ep in found if ep.dist is not None and ep.dist.name == "gridhub-testplugins"]


def settings(tmp_path: Path, **plugins: Any) -> Settings:
    return Settings(data_dir=tmp_path / "data", auth=FAST_HASHING, plugins=plugins)


@asynccontextmanager
async def serving(app: web.Application) -> AsyncIterator[TestClient[Any, Any]]:
    """The app started on loopback; shut down (plugins torn down) when the block ends."""
    client: TestClient[Any, Any] = TestClient(TestServer(app))
    await client.start_server()
    try:
        yield client
    finally:
        await client.close()


async def failed_start(app: web.Application) -> PluginError:
    """Start the app, expecting start-up to fail; clean up what did start."""
    runner = web.AppRunner(app)
    try:
        with pytest.raises(PluginError) as caught:
            await runner.setup()
    finally:
        await runner.cleanup()
    return caught.value


def plugin(app: web.Application, name: str, kind: type[P]) -> P:
    found = next(p for p in app[PLUGINS].plugins if p.name == name)
    assert isinstance(found, kind)
    return found


def events(kind: str) -> list[str]:
    return [name for event, name in JOURNAL if event == kind]


# --- discovery ----------------------------------------------------------------------------------


def test_discover_loads_installed_entry_points(site: Site) -> None:
    site.install(Spec("alpha"), Spec("beta", requires=("alpha",)))
    found = discover()
    assert {"alpha", "beta"} <= set(found)
    assert isinstance(found["alpha"], Plugin)
    assert isinstance(found["beta"], plugin_fixtures.Recorded)
    assert found["beta"].requires == ("alpha",)
    assert type(found["alpha"]).__module__ == f"gridhub_tp_{site.tag}_alpha"


def test_entry_point_that_fails_to_import_stops_discovery(site: Site) -> None:
    broken = "import gridhub_no_such_dependency_for_tests\n"
    site.install(Spec("fine"), Spec("broken", source=broken))
    with pytest.raises(PluginError, match=r"'broken' failed to load.*gridhub_no_such_dependency"):
        discover()


def test_entry_point_that_is_not_a_plugin_is_refused(site: Site) -> None:
    site.install(Spec("helper", source="def helper() -> None:\n    pass\n", attr="helper"))
    with pytest.raises(PluginError, match="'helper' is not a GridHub plugin"):
        discover()


def test_two_plugins_with_one_name_are_refused(site: Site) -> None:
    twin = "from tests.hub.plugin_fixtures import Recorded\n\n\nclass Plugin(Recorded):\n"
    twin += "    name = 'same'\n"
    site.install(Spec("one", source=twin), Spec("two", source=twin))
    with pytest.raises(PluginError, match="two plugins are named 'same'"):
        discover()


# --- selection and order ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("specs", "expected"),
    [
        ((Spec("c", requires=("b",)), Spec("a"), Spec("b", requires=("a",))), ["a", "b", "c"]),
        (
            (Spec("alpha", requires=("beta",)), Spec("beta", requires=("gamma",)), Spec("gamma")),
            ["gamma", "beta", "alpha"],
        ),
    ],
    ids=["c-b-a", "against-alphabet"],
)
async def test_plugins_set_up_in_dependency_order_and_tear_down_in_reverse(
    site: Site, tmp_path: Path, specs: tuple[Spec, ...], expected: list[str]
) -> None:
    site.install(*specs)
    assert [p.name for p in select(discover(), None, ())] == expected
    app = build_app(settings(tmp_path))
    async with serving(app) as client:
        assert events("setup") == expected
        assert events("teardown") == []
        health = await (await client.get("/healthz")).json()
        assert health["plugins"] == expected
    assert events("teardown") == expected[::-1]


async def test_demo_seeds_run_in_set_up_order_on_each_start(site: Site, tmp_path: Path) -> None:
    # `gridhub demo` asks every plugin on every start; each seeds only what it lacks.
    site.install(Spec("late", base="Seeding", requires=("early",)), Spec("early", base="Seeding"))
    plugin_fixtures.Seeding.SEEDED.clear()
    for _ in range(2):
        app = build_app(settings(tmp_path))
        async with serving(app):
            await app[PLUGINS].seed_demo_all()
    seeds = [(event, name) for event, name in JOURNAL if event.startswith("seed")]
    assert seeds == [
        ("seed-demo", "early"),
        ("seed-demo", "late"),
        ("seed-skip", "early"),
        ("seed-skip", "late"),
    ]


async def test_plugins_see_the_deployment_time_zone(site: Site, tmp_path: Path) -> None:
    # Local days, periods and opening hours are the deployment's, not the node's or UTC.
    site.install(Spec("clock"))
    app = build_app(settings(tmp_path).model_copy(update={"time_zone": "Asia/Urumqi"}))
    async with serving(app):
        context = plugin(app, "clock", plugin_fixtures.Recorded).context
        assert context is not None
        assert context.time_zone.key == "Asia/Urumqi"


def test_missing_requirement_names_both_plugins(site: Site, tmp_path: Path) -> None:
    site.install(Spec("needy", requires=("ghost",)))
    with pytest.raises(PluginError, match=r"'needy' requires 'ghost'"):
        build_app(settings(tmp_path))


def test_dependency_cycle_is_named(site: Site, tmp_path: Path) -> None:
    site.install(Spec("x", requires=("y",)), Spec("y", requires=("z",)), Spec("z", requires=("x",)))
    with pytest.raises(PluginError, match=r"dependency cycle: x -> y -> z -> x"):
        build_app(settings(tmp_path))


def test_enabling_an_uninstalled_plugin_fails(site: Site, tmp_path: Path) -> None:
    site.install(Spec("real"))
    with pytest.raises(PluginError, match="not installed: imaginary"):
        build_app(settings(tmp_path, enabled=["real", "imaginary"]))


async def test_enabled_and_disabled_choose_the_plugins(site: Site, tmp_path: Path) -> None:
    site.install(Spec("a"), Spec("b"), Spec("c"))
    app = build_app(settings(tmp_path, enabled=["a", "b", "c"], disabled=["b"]))
    async with serving(app) as client:
        health = await (await client.get("/healthz")).json()
    assert health["plugins"] == ["a", "c"]
    assert events("setup") == ["a", "c"]
    only = build_app(settings(tmp_path, enabled=["c"]))
    assert [p.name for p in only[PLUGINS].plugins] == ["c"]


def test_disabling_a_requirement_fails_loudly(site: Site, tmp_path: Path) -> None:
    site.install(Spec("base"), Spec("addon", requires=("base",)))
    with pytest.raises(PluginError, match=r"'addon' requires 'base', which is not enabled"):
        build_app(settings(tmp_path, disabled=["base"]))


# --- configuration ------------------------------------------------------------------------------


async def test_configuration_is_validated_into_the_config_model(site: Site, tmp_path: Path) -> None:
    site.install(Spec("greeting", base="Configured"))
    config = {"greeting": {"greeting": "hi", "repeat": 2}}
    app = build_app(settings(tmp_path, config=config))
    async with serving(app):
        got = plugin(app, "greeting", Configured).config
    assert got == GreetingConfig(greeting="hi", repeat=2)


@pytest.mark.parametrize(
    ("base", "config", "problem"),
    [
        ("Configured", {"greeting": "hi", "repeat": 0}, "configuration is invalid"),
        ("Configured", {}, "configuration is invalid"),
        ("Recorded", {"anything": 1}, "takes no configuration"),
    ],
    ids=["out-of-range", "missing-field", "unexpected"],
)
async def test_bad_configuration_stops_start_up(
    site: Site, tmp_path: Path, base: str, config: dict[str, Any], problem: str
) -> None:
    site.install(Spec("picky", base=base))
    app = build_app(settings(tmp_path, config={"picky": config}))
    error = await failed_start(app)
    assert "'picky'" in str(error)
    assert problem in str(error)
    assert events("setup") == []


async def test_bad_configuration_tears_down_plugins_already_set_up(
    site: Site, tmp_path: Path
) -> None:
    site.install(Spec("first"), Spec("picky", base="Configured", requires=("first",)))
    app = build_app(settings(tmp_path, config={"picky": {"repeat": 0}}))
    await failed_start(app)
    assert events("setup") == ["first"]
    assert events("teardown") == ["first"]


# --- set-up failures ----------------------------------------------------------------------------


async def test_a_failing_setup_stops_start_up_and_tears_down_earlier_plugins(
    site: Site, tmp_path: Path
) -> None:
    site.install(
        Spec("one"),
        Spec("two", requires=("one",)),
        Spec("boom", base="Exploding", requires=("two",)),
        Spec("after", requires=("boom",)),
    )
    app = build_app(settings(tmp_path))
    error = await failed_start(app)
    assert "plugin 'boom' failed to set up: exploded on purpose" in str(error)
    assert isinstance(error.__cause__, RuntimeError)
    assert events("setup") == ["one", "two", "boom"]
    assert events("teardown") == ["two", "one"]


# --- HTTP ---------------------------------------------------------------------------------------


async def test_plugin_routes_are_served_under_their_prefix(site: Site, tmp_path: Path) -> None:
    site.install(Spec("greeter", base="Greeter"))
    app = build_app(settings(tmp_path))
    async with serving(app) as client:
        hello = await client.get("/api/v1/greeter/hello")
        assert hello.status == 200
        assert await hello.json() == {"hello": "greeter"}
        item = await client.get("/api/v1/greeter/items/a-42")
        assert await item.json() == {"item_id": "a-42"}
        added = await client.post("/api/v1/greeter/items", json={"label": "lamp"})
        assert (added.status, await added.json()) == (201, {"added": "lamp"})
        invalid = await client.post("/api/v1/greeter/items", json={"label": ""})
        assert invalid.status == 422
        assert (await invalid.json())["error"]["code"] == "request.invalid"
        private = await client.get("/api/v1/greeter/private")
        assert private.status == 401


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("GET", "/api/v1/greeter/nowhere", 404, "http.not_found"),
        ("GET", "/api/v1/greeter/items/1/extra", 404, "http.not_found"),
        ("GET", "/api/v1/greeter", 404, "http.not_found"),
        ("POST", "/api/v1/greeter/hello", 405, "http.method_not_allowed"),
        ("DELETE", "/api/v1/greeter/items/7", 405, "http.method_not_allowed"),
    ],
)
async def test_unknown_plugin_paths_get_structured_errors(
    site: Site, tmp_path: Path, method: str, path: str, status: int, code: str
) -> None:
    site.install(Spec("greeter", base="Greeter"))
    async with serving(build_app(settings(tmp_path))) as client:
        response = await client.request(method, path)
        assert response.status == status
        assert response.content_type == "application/json"
        assert (await response.json())["error"]["code"] == code


async def test_plugin_routes_are_in_the_openapi_document(site: Site, tmp_path: Path) -> None:
    site.install(Spec("greeter", base="Greeter"))
    async with serving(build_app(settings(tmp_path))) as client:
        document = await (await client.get("/api/v1/openapi.json")).json()
    paths = document["paths"]
    hello = paths["/api/v1/greeter/hello"]["get"]
    assert hello["summary"] == "Say hello"
    assert hello["tags"] == ["greeter"]
    assert "security" not in hello
    item = paths["/api/v1/greeter/items/{item_id}"]["get"]
    assert [p["name"] for p in item["parameters"] if p["in"] == "path"] == ["item_id"]
    assert "requestBody" in paths["/api/v1/greeter/items"]["post"]
    assert paths["/api/v1/greeter/private"]["get"]["security"] == [{"bearer": []}]


async def test_plugin_route_with_a_regex_parameter(site: Site, tmp_path: Path) -> None:
    site.install(Spec("numbers", base="RegexRoute"))
    async with serving(build_app(settings(tmp_path))) as client:
        ok = await client.get("/api/v1/numbers/numbers/123")
        assert (ok.status, await ok.json()) == (200, {"number": "123"})
        assert (await client.get("/api/v1/numbers/numbers/abc")).status == 404


# --- bus and background tasks -----------------------------------------------------------------


async def test_plugins_talk_over_the_bus(site: Site, tmp_path: Path) -> None:
    site.install(Spec("mouth", base="Announcer", requires=("ears",)), Spec("ears", base="Listener"))
    app = build_app(settings(tmp_path))
    async with serving(app):
        await asyncio.wait_for(app[BUS].flush(), WAIT_S)
        heard = plugin(app, "ears", Listener).heard
        assert [m.text for m in heard] == ["hello from mouth"]
        assert plugin(app, "ears", Listener).context is not None


async def test_background_task_runs_until_shutdown_cancels_it(site: Site, tmp_path: Path) -> None:
    site.install(Spec("worker", base="Background"))
    app = build_app(settings(tmp_path))
    async with serving(app):
        running = plugin(app, "worker", Background).running
        assert running is not None
        await asyncio.wait_for(running.wait(), WAIT_S)
        assert events("cancelled") == []
    assert [e for e in JOURNAL if e[0] != "setup"] == [
        ("running", "worker"),
        ("cancelled", "worker"),
        ("teardown", "worker"),
    ]
