"""What the field work adds to the pages: the field app's 走访 tab (ui/src/VisitsTab.vue, built
into static/archives.js). The plugin's PluginUi (__init__.py) takes these items."""

from __future__ import annotations

from hub.sdk import FieldTab
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
STYLES = ("archives.css",)
