"""The big screen's layouts as the manifest serves them (GET /api/v1/ui/manifest, `screen`).

A deployment names layouts of panels in settings (`[ui.screen_layouts.<name>]`, hub/settings.py):
the console's own panels (BUILT_IN_PANELS, drawn by consoles/web ScreenView) and plugins'
ScreenPanel contributions as "<plugin>/<panel id>". Every caller also gets the layout "all",
every panel they may see, unless the deployment defines an "all" of its own. A person opening
the screen without naming a layout (?layout=<name>) gets the first layout naming one of their
roles, else the deployment's `screen_layout`, else "all".
"""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import BaseModel, Field

from hub.access import Principal
from hub.settings import UiSettings

# the console's own panels, in the order the layout "all" shows them (ids the console knows)
BUILT_IN_PANELS = (
    "kpis",
    "per_day",
    "by_type",
    "ranking",
    "on_time",
    "by_state",
    "live_feed",
    "sos",
)
ALL = "all"


class ScreenLayoutOut(BaseModel):
    name: str
    title_zh: str
    title_en: str
    panels: list[str] = Field(description="built-in ids and <plugin>/<panel> ids, in order")


class ScreenOut(BaseModel):
    layouts: list[ScreenLayoutOut]
    default: str | None = Field(description="the caller's layout when the URL names none")


def unknown_panels(ui: UiSettings, plugin_panels: Iterable[str]) -> list[str]:
    """ "<layout>: <panel>" for each configured panel that no enabled plugin (nor the console)
    has: a start-up error, so that a misspelt panel is not silently missing from the wall."""
    known = {*BUILT_IN_PANELS, *plugin_panels}
    return [
        f"{name}: {panel}"
        for name, layout in ui.screen_layouts.items()
        for panel in layout.panels
        if panel not in known
    ]


def screen_for(ui: UiSettings, visible: list[str], who: Principal) -> ScreenOut:
    """The layouts `who` may use, cut down to the plugin panels they may see (`visible`, in
    the order the plugins declare them)."""
    seen = {*BUILT_IN_PANELS, *visible}
    layouts = [
        ScreenLayoutOut(
            name=name,
            title_zh=layout.title_zh,
            title_en=layout.title_en,
            panels=[p for p in layout.panels if p in seen],
        )
        for name, layout in ui.screen_layouts.items()
    ]
    if ALL not in ui.screen_layouts:
        everything = [*BUILT_IN_PANELS, *visible]
        layouts.append(
            ScreenLayoutOut(name=ALL, title_zh="全部面板", title_en="All panels", panels=everything)
        )
    return ScreenOut(layouts=layouts, default=_default(ui, who))


def _default(ui: UiSettings, who: Principal) -> str:
    for name, layout in ui.screen_layouts.items():
        if who.roles & set(layout.roles):
            return name
    return ui.screen_layout or ALL
