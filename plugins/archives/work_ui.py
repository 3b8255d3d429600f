"""What the field work adds to the pages: the field app's 走访 tab (ui/src/VisitsTab.vue) and the
console's 走访督办 page (ui/src/WorkPage.vue: overdue visits, change review, campaign progress),
built into static/archives.js. The plugin's PluginUi (__init__.py) takes these items."""

from __future__ import annotations

from hub.sdk import ConsolePage, FieldTab
from plugins.archives.work_access import FIELD_ROLES

FIELD_TABS = (
    FieldTab(
        id="visits",
        title_zh="走访",
        title_en="Visits",
        roles=FIELD_ROLES,
        order=30,
        module="archives.js",
        export="VisitsTab",
    ),
)
# the console's 走访督办 page (ConsolePage "work", export WorkPage) joins here once its bundle
# part is built and tested
WORK_PAGES: tuple[ConsolePage, ...] = ()
STYLES = ("archives.css",)
