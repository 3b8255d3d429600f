"""A console page's tab number (`ConsolePage.badge`) and sections other plugins add to a
page (`PageSection`): what the manifest tells each caller, what a declaration may name; a
built-in plugin whose bundle was not built (scripts/setup not run) starts and says so, while a
third-party plugin missing a file stops start-up."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hub.access import COMMAND_ROLES
from hub.app import build_app
from hub.plugins import BasePlugin, PluginContext, PluginError
from hub.ui import ConsolePage, PageSection, PluginUi, UiError
from plugins.dispatch import DispatchPlugin
from tests.hub.conftest import Client, StartHub, bearer, login, make_settings

BUNDLE = "export const Board = {}\nexport const count = () => 3\nexport const Extra = {}\n"

BOARD = ConsolePage(
    id="board",
    title_zh="看板",
    title_en="Board",
    path="board",
    module="board.js",
    export="Board",
    badge="count",
)
EXTRA = PageSection(
    id="extra",
    title_zh="附加",
    title_en="Extra",
    roles=frozenset(COMMAND_ROLES),
    page="sectiontest/board",
    module="board.js",
    export="Extra",
)


class SectionPlugin(BasePlugin):
    name = "sectiontest"
    ui = PluginUi(pages=(BOARD,), page_sections=(EXTRA,))

    def __init__(self, static: Path) -> None:
        self.static = static

    async def setup(self, ctx: PluginContext) -> None:
        pass


@pytest.fixture
async def hub(start_hub: StartHub, tmp_path: Path) -> Client:
    static = tmp_path / "static"
    static.mkdir()
    (static / "board.js").write_text(BUNDLE, encoding="utf-8")
    return (await start_hub(with_plugins={"sectiontest": SectionPlugin(static)})).client


async def plugin_manifest(client: Client, username: str) -> dict[str, Any]:
    response = await client.get(
        "/api/v1/ui/manifest", headers=bearer(await login(client, username))
    )
    assert response.status == 200
    [plugin] = (await response.json())["plugins"]
    found: dict[str, Any] = plugin
    return found


async def test_the_page_names_its_badge_export_and_a_commander_gets_the_section(
    hub: Client,
) -> None:
    plugin = await plugin_manifest(hub, "v01.cmd")
    [page] = plugin["pages"]
    assert (page["badge"], page["export"]) == ("count", "Board")
    [section] = plugin["page_sections"]
    assert section["page"] == "sectiontest/board"
    assert section["export"] == "Extra"
    assert section["module"].startswith("/plugins/sectiontest/static/board.js?v=")


async def test_a_section_for_command_roles_is_not_listed_to_a_grid_worker(hub: Client) -> None:
    plugin = await plugin_manifest(hub, "w01")
    assert [page["id"] for page in plugin["pages"]] == ["board"]
    assert plugin["page_sections"] == []


def section(**changes: Any) -> PageSection:
    fields = {"id": "s", "title_zh": "甲", "title_en": "s", "module": "x.js", "export": "A"}
    return PageSection(**{**fields, "page": "alarms/alarms", **changes})


@pytest.mark.parametrize(
    "make",
    [
        lambda: section(page="alarms"),  # no page id
        lambda: section(page="../alarms/alarms"),
        lambda: section(page="alarms/alarms/x"),
        lambda: section(page="Alarms/alarms"),
        lambda: ConsolePage(
            id="p", title_zh="甲", title_en="p", path="p", module="x.js", export="A", badge="a-b"
        ),
        lambda: PluginUi(page_sections=(section(), section())),
    ],
)
def test_unsafe_sections_and_badges_are_refused_when_declared(make: Any) -> None:
    with pytest.raises(UiError):
        make()


async def test_a_built_in_plugin_without_its_built_bundle_starts_and_says_to_run_setup(
    start_hub: StartHub, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    plugin = DispatchPlugin()
    plugin.static = tmp_path / "not-built"  # a checkout where scripts/setup has not run
    client = (await start_hub(with_plugins={"dispatch": plugin})).client
    assert "'dispatch' has no built console bundle" in caplog.text
    assert "run scripts/setup" in caplog.text
    [page] = (await plugin_manifest(client, "v01.cmd"))["pages"]
    module = await client.get(page["module"])  # the page says its module cannot be loaded
    assert module.status == 404


def test_a_third_party_plugin_missing_a_file_still_stops_start_up(tmp_path: Path) -> None:
    plugin = SectionPlugin(tmp_path / "empty")
    with pytest.raises(PluginError, match=r"board\.js is not a file|static is not a folder"):
        build_app(make_settings(tmp_path), available_plugins={"sectiontest": plugin})
