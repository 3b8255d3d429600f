"""The big screen's layouts in the manifest (GET /api/v1/ui/manifest, `screen`): every panel
by default, a deployment's named layouts cut down to the panels each caller may see, the
layout a person gets by role or by the deployment's default, and settings that name a panel
nobody has refused at start-up."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from hub.access import COMMAND_ROLES
from hub.app import build_app
from hub.plugins import PluginError
from hub.screen_layouts import BUILT_IN_PANELS
from hub.settings import UiSettings
from hub.ui import ScreenPanel
from tests.hub.conftest import Client, StartHub, make_settings
from tests.hub.test_ui_manifest import manifest
from tests.hub.ui_plugin import NAME, UI, UiTestPlugin, write_bundle

PLACES, COMMAND = f"{NAME}/places", f"{NAME}/command"
COMMAND_PANEL = ScreenPanel(
    id="command",
    title_zh="指挥面板",
    title_en="Command panel",
    roles=frozenset(COMMAND_ROLES),
    module="panels/screen.js",
    export="PlacesPanel",
    order=200,
)
LAYOUTS: dict[str, Any] = {
    "screen_layouts": {
        "governance": {
            "title_zh": "综合治理",
            "title_en": "Comprehensive governance",
            "panels": ["kpis", COMMAND, "sos", "by_type"],
            "roles": ["commander"],
        },
        "grassroots": {
            "title_zh": "基层治理",
            "title_en": "Grassroots governance",
            "panels": [PLACES, "live_feed", COMMAND],
        },
    },
    "screen_layout": "grassroots",
}


def plugin(folder: Path) -> UiTestPlugin:
    made = UiTestPlugin(write_bundle(folder / "static"))
    made.ui = replace(UI, screen_panels=(*UI.screen_panels, COMMAND_PANEL))
    return made


async def start(start_hub: StartHub, tmp_path: Path, ui: dict[str, Any] | None = None) -> Client:
    options = {"ui": ui} if ui is not None else {}
    hub = await start_hub(with_plugins={NAME: plugin(tmp_path)}, **options)
    return hub.client


def layouts(body: dict[str, Any]) -> dict[str, list[str]]:
    return {layout["name"]: layout["panels"] for layout in body["screen"]["layouts"]}


async def test_by_default_one_layout_shows_every_panel_the_caller_may_see(
    start_hub: StartHub, tmp_path: Path
) -> None:
    client = await start(start_hub, tmp_path)
    commander = await manifest(client, "v01.cmd")
    assert layouts(commander) == {"all": [*BUILT_IN_PANELS, PLACES, COMMAND]}
    assert commander["screen"]["default"] == "all"
    assert commander["screen"]["layouts"][0]["title_zh"] == "全部面板"
    worker = await manifest(client, "w01")  # not a command role: not the command panel
    assert layouts(worker) == {"all": [*BUILT_IN_PANELS, PLACES]}
    for nobody in ("r01", None):  # a resident, and a page without a sign-in
        assert (await manifest(client, nobody))["screen"] == {"layouts": [], "default": None}


async def test_named_layouts_keep_their_order_and_are_chosen_by_role(
    start_hub: StartHub, tmp_path: Path
) -> None:
    client = await start(start_hub, tmp_path, LAYOUTS)
    commander = await manifest(client, "v01.cmd")
    assert layouts(commander) == {
        "governance": ["kpis", COMMAND, "sos", "by_type"],
        "grassroots": [PLACES, "live_feed", COMMAND],
        "all": [*BUILT_IN_PANELS, PLACES, COMMAND],
    }
    assert commander["screen"]["default"] == "governance"  # the layout naming the role
    worker = await manifest(client, "w01")
    assert layouts(worker)["governance"] == ["kpis", "sos", "by_type"]
    assert layouts(worker)["grassroots"] == [PLACES, "live_feed"]
    assert worker["screen"]["default"] == "grassroots"  # the deployment's default
    titles = {x["name"]: x["title_en"] for x in worker["screen"]["layouts"]}
    assert titles["grassroots"] == "Grassroots governance"


async def test_a_layout_naming_a_panel_nobody_has_stops_start_up(tmp_path: Path) -> None:
    ui = {"screen_layouts": {"party": {"title_zh": "党建", "title_en": "Party",
                                       "panels": ["kpis", "party/party"]}}}  # fmt: skip
    settings = make_settings(tmp_path, ui=ui)
    with pytest.raises(PluginError, match=r"party: party/party"):
        build_app(settings, available_plugins={NAME: plugin(tmp_path)})


@pytest.mark.parametrize(
    ("ui", "problem"),
    [
        ({"screen_layouts": {"x": {"title_zh": "甲", "title_en": "X", "panels": ["KPIs"]}}},
         "not a panel id"),
        ({"screen_layouts": {"x": {"title_zh": "甲", "title_en": "X",
                                   "panels": ["sos", "sos"]}}}, "listed twice"),
        ({"screen_layouts": {"x": {"title_zh": "甲", "title_en": "X", "panels": []}}},
         "at least 1"),
        ({"screen_layouts": {"Bad Name": {"title_zh": "甲", "title_en": "X", "panels": ["sos"]}}},
         "layout name"),
        ({"screen_layout": "nosuch"}, "is not a layout"),
        ({"screen_layouts": {"x": {"title_zh": "甲", "title_en": "X", "panels": ["sos"],
                                   "colour": "red"}}}, "Extra inputs"),
    ],
)  # fmt: skip
def test_settings_refuse_malformed_layouts(ui: dict[str, Any], problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        UiSettings.model_validate(ui)
