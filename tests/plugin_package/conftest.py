"""Fixtures for the example plugin package gridhub-hello (tests/plugin_package/gridhub-hello).

The plugin is used as the hub meets any third-party plugin: installed into the venv by
scripts/setup (not editable), found through its `gridhub.plugins` entry point. Its hubs come
from the testing kit a plugin's own repository would use (hub.testing and its fixtures; a
plugin repository loads them with `pytest_plugins = ["hub.testing.fixtures"]` in its root
conftest.py, here they are imported because this conftest is not the root one).
"""

from __future__ import annotations

from importlib import metadata
from pathlib import Path

import pytest

from hub.plugins import Plugin
from hub.testing import RunningHub, installed_plugins
from hub.testing.fixtures import (  # noqa: F401  (fixtures)
    StartGridHub,
    gridhub_demo_template,
    start_gridhub,
)
from tests.consoles.browser import require_dist
from tests.consoles.conftest import browsers  # noqa: F401  (a fixture: Chromium on console_hub)

PACKAGE = Path(__file__).parent / "gridhub-hello"
DISTRIBUTION = "gridhub-hello"
KEEPER = "hello_keeper"
COMMANDER = "county.cmd"  # the demo county's commander (grid 370783)
COUNTY, VILLAGE = "370783", "370783-001-001"


def every_installed_plugin() -> dict[str, Plugin]:
    """Every plugin installed in this environment, hello among them (or the test says why)."""
    try:
        metadata.distribution(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        pytest.fail(f"{DISTRIBUTION} is not installed: run scripts/setup", pytrace=False)
    return installed_plugins()


@pytest.fixture
def hello() -> Plugin:
    return every_installed_plugin()["hello"]


@pytest.fixture
async def hello_hub(start_gridhub: StartGridHub) -> RunningHub:  # noqa: F811
    """A demo-county hub with the hello plugin only, on SQLite."""
    every_installed_plugin()
    return await start_gridhub(["hello"], demo=True)


@pytest.fixture
async def console_hub(start_gridhub: StartGridHub) -> RunningHub:  # noqa: F811
    """A demo-county hub with every installed plugin (as a deployment would run) serving the
    built consoles; the `browsers` fixture opens Chromium on its `url`."""
    require_dist()
    return await start_gridhub(every_installed_plugin().values(), demo=True)
