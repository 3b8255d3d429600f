"""A test plugin with console contributions and a prebuilt bundle written into a temp folder:
its page module imports `vue`, `element-plus` and `@gridhub/host` bare, as a pip plugin's
Vite library build does, so the page only works through the host's import map."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hub import policy
from hub.access import COMMAND_ROLES, STAFF_ROLES
from hub.plugins import BasePlugin, PluginContext
from hub.ui import ConsolePage, MapLayer, PluginUi, ResidentSection, ScreenPanel
from hub.web import Call

NAME = "uitest"
PLACES_READ = policy.for_roles("uitest.places", STAFF_ROLES, policy.Scope.NONE)

PAGE_JS = """\
import { defineComponent, h, ref } from 'vue'
import { useRoute } from 'vue-router'
import { useI18n } from 'vue-i18n'
import { ElButton } from 'element-plus'
import { session, text } from '@gridhub/host'

export const CounterPage = defineComponent({
  name: 'UitestCounter',
  setup() {
    const count = ref(0)
    const route = useRoute()
    const { t } = useI18n()
    return () => h('div', { 'data-testid': 'uitest-page' }, [
      h('span', { 'data-testid': 'uitest-route' }, route.path),
      h('span', { 'data-testid': 'uitest-i18n' }, t('common.refresh')),
      h('span', { 'data-testid': 'uitest-count' }, `${text('计数', 'Count')} ${count.value}`),
      h(ElButton, { type: 'primary', 'data-testid': 'uitest-add', onClick: () => count.value++ },
        () => text('加一', 'Add one')),
      h('span', { 'data-testid': 'uitest-user' }, session.me.value?.username ?? ''),
    ])
  },
})

export const SecretPage = defineComponent({
  setup: () => () => h('p', { 'data-testid': 'uitest-secret' }, 'secret'),
})

export const BrokenPage = defineComponent({
  setup() {
    throw new Error('this page is broken on purpose')
  },
})
"""
PANEL_JS = """\
import { defineComponent, h } from 'vue'
import { version } from 'echarts'
import { text } from '@gridhub/host'

export const PlacesPanel = defineComponent({
  setup: () => () =>
    h('div', { 'data-testid': 'uitest-panel', 'data-echarts': version },
      text('地点面板', 'Places panel')),
})
"""
STYLE_CSS = "[data-testid='uitest-page'] { outline: 1px solid rgb(0, 128, 0); }\n"
PLACES: dict[str, Any] = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "properties": {"name": "<b>老槐树</b>"},
            "geometry": {"type": "Point", "coordinates": [116.39, 39.91]},
        }
    ],
}


def write_bundle(static: Path) -> Path:
    """The plugin's prebuilt files, as a Vite library build would leave them."""
    static.mkdir(parents=True, exist_ok=True)
    (static / "console.js").write_text(PAGE_JS, encoding="utf-8")
    (static / "panels").mkdir(exist_ok=True)
    (static / "panels" / "screen.js").write_text(PANEL_JS, encoding="utf-8")
    (static / "style.css").write_text(STYLE_CSS, encoding="utf-8")
    (static / "notes.txt").write_text("not served: unknown type", encoding="utf-8")
    return static


UI = PluginUi(
    pages=(
        ConsolePage(
            id="counter",
            title_zh="计数器",
            title_en="Counter",
            module="console.js",
            export="CounterPage",
            path="counter",
            order=10,
        ),
        ConsolePage(
            id="secret",
            title_zh="指挥机密",
            title_en="Command secret",
            roles=frozenset(COMMAND_ROLES),
            module="console.js",
            export="SecretPage",
            path="secret/inner",
            order=20,
        ),
        ConsolePage(
            id="broken",
            title_zh="坏页面",
            title_en="Broken",
            module="console.js",
            export="BrokenPage",
            path="broken",
            order=30,
        ),
    ),
    map_layers=(
        MapLayer(
            id="places",
            title_zh="地点",
            title_en="Places",
            source=f"/api/v1/{NAME}/places.geojson",
            style={"color": "#00ff88", "radius": 9, "fillOpacity": 0.6},
        ),
    ),
    screen_panels=(
        ScreenPanel(
            id="places",
            title_zh="地点面板",
            title_en="Places panel",
            module="panels/screen.js",
            export="PlacesPanel",
        ),
    ),
    resident_sections=(
        ResidentSection(
            id="notice",
            title_zh="通知",
            title_en="Notice",
            module="console.js",
            export="SecretPage",
        ),
    ),
    styles=("style.css",),
)


class UiTestPlugin(BasePlugin):
    name = NAME
    ui = UI

    def __init__(self, static: Path) -> None:
        self.static = static

    async def setup(self, ctx: PluginContext) -> None:
        @ctx.http.get("/places.geojson", summary="Test places", rule=PLACES_READ)
        async def places(call: Call[None, None]) -> dict[str, Any]:
            return PLACES


def ui_plugin(folder: Path) -> UiTestPlugin:
    return UiTestPlugin(write_bundle(folder / "static"))
