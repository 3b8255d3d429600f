"""What the archive's core adds to the pages: the console's 辖区档案 page (ui/src/ArchivesPage.vue,
built into static/archives.js) and the map's layers of houses, places and key groups. The
plugin's PluginUi (__init__.py) takes these items beside the field work's (work_ui.py)."""

from __future__ import annotations

from hub.sdk import ConsolePage, DrawerCard, MapLayer, ScreenPanel
from plugins.archives.access import READ_ROLES

API = "/api/v1/archives"

CONSOLE_PAGES = (
    ConsolePage(
        id="archives",
        title_zh="辖区档案",
        title_en="Archives",
        roles=READ_ROLES,
        order=45,
        path="archives",
        module="archives.js",
        export="ArchivesPage",
    ),
)

MAP_LAYERS = (
    MapLayer(
        id="houses",
        title_zh="实有房屋",
        title_en="Houses",
        roles=READ_ROLES,
        order=60,
        source=f"{API}/houses.geojson",
        viewport=True,  # asked again with bbox and zoom as the console map moves
        style={"color": "#2563eb", "fillColor": "#60a5fa", "fillOpacity": 0.6, "radius": 6},
    ),
    MapLayer(
        id="places",
        title_zh="实有单位",
        title_en="Places",
        roles=READ_ROLES,
        order=61,
        source=f"{API}/places.geojson",
        viewport=True,  # asked again with bbox and zoom as the console map moves
        style={"color": "#b45309", "fillColor": "#f59e0b", "fillOpacity": 0.8, "radius": 6},
    ),
    MapLayer(
        id="keygroups",
        title_zh="重点人群",
        title_en="Key groups",
        roles=READ_ROLES,
        order=62,
        source=f"{API}/keygroups.geojson",
        style={"color": "#b91c1c", "fillColor": "#ef4444", "fillOpacity": 0.5, "radius": 9},
    ),
)

# the big screen's panel (population, key groups, visit coverage) and the incident drawer's card
# (the incident's address, the houses with their people and the places near it)
SCREEN_PANELS = (
    ScreenPanel(
        id="archives",
        title_zh="辖区档案",
        title_en="Archives",
        roles=READ_ROLES,
        order=45,
        module="archives.js",
        export="ArchivesPanel",
    ),
)
DRAWER_CARDS = (
    DrawerCard(
        id="archives-near",
        title_zh="周边档案",
        title_en="Archives nearby",
        roles=READ_ROLES,
        order=45,
        module="archives.js",
        export="IncidentCard",
    ),
)
