"""What the field work adds to the pages: the field app's 走访 tab (ui/src/VisitsTab.vue) and the
console's 走访督办 page (ui/src/WorkPage.vue: overdue visits, change review, campaign progress),
built into static/archives.js. The plugin's PluginUi (__init__.py) takes these items."""

from __future__ import annotations

from hub.sdk import ConsolePage, FieldTab
from plugins.archives.work_access import CAMPAIGN_OWNERS, FIELD_ROLES, REVIEWERS

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
    FieldTab(
        id="campaigns",
        title_zh="采集",
        title_en="Campaigns",
        roles=FIELD_ROLES,
        order=31,
        module="archives.js",
        export="CampaignsTab",
    ),
)
WORK_PAGES = (
    ConsolePage(
        id="work",
        title_zh="走访督办",
        title_en="Field work",
        roles=frozenset({*REVIEWERS, *CAMPAIGN_OWNERS}),
        order=46,
        path="work",
        module="archives.js",
        export="WorkPage",
    ),
)
STYLES = ("archives.css",)
