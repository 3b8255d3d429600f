"""What a plugin adds to the web pages, declared in Python (`BasePlugin.ui`), and the checks
made on it at start-up.

A plugin lists console pages (and sections of another plugin's page), map layers, big-screen
panels, field-app tabs, incident-drawer cards and residents' page sections. Those drawn by the
plugin's own code name a `module` (an ES module file inside the plugin's `static` folder,
built with Vite library mode, `vue`, `element-plus`, `@gridhub/host`, ... left external) and
its named `export` (a Vue component).
The hub serves the folder at /plugins/<name>/static/ and tells each signed-in page which
items its person's roles allow (GET /api/v1/ui/manifest, hub/api/ui.py). docs/plugins.md is
the author's guide.

Every name here ends up in a URL, a route or a CSS value, so each is checked against a
narrow pattern when the plugin object is made, and `check_bundle` makes sure every named file
is in the static folder before the hub starts.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ITEM_ID = re.compile(r"[a-z][a-z0-9_-]{0,62}")
ROLE_NAME = re.compile(r"[a-z][a-z0-9_]{1,31}")
PAGE_PATH = re.compile(r"[a-z0-9][a-z0-9_-]{0,62}(/[a-z0-9][a-z0-9_-]{0,62}){0,4}")
# a file inside the static folder: no dot-leading segment (so no `..`), no backslash
STATIC_FILE = re.compile(
    r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,126}(/[A-Za-z0-9_][A-Za-z0-9_.-]{0,126}){0,7}"
)
MODULE_FILE = re.compile(STATIC_FILE.pattern + r"\.m?js")
STYLE_FILE = re.compile(STATIC_FILE.pattern + r"\.css")
PAGE_REF = re.compile(r"[a-z][a-z0-9_]*/[a-z][a-z0-9_-]{0,62}")
EXPORT_NAME = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]{0,127}")
SOURCE_PATH = re.compile(r"/api/v1/[a-z][a-z0-9_]*(/[A-Za-z0-9_-][A-Za-z0-9_.-]*)*")
COLOUR = re.compile(r"#[0-9A-Fa-f]{3,8}|[a-z]{3,20}")
NUMBERS = {"weight": (0.0, 20.0), "fillOpacity": (0.0, 1.0), "radius": (1.0, 60.0)}
COLOURS = ("color", "fillColor")
TITLE_MAX = 40


class UiError(ValueError):
    """A plugin's UI declaration cannot be served. Start-up stops."""


def _check(pattern: re.Pattern[str], value: object, what: str) -> None:
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise UiError(f"{what} {value!r} must match {pattern.pattern}")


@dataclass(frozen=True, slots=True, kw_only=True)
class UiItem:
    """Common to every contribution. `roles` empty: any staff (for resident sections: anyone);
    otherwise holders of one of the roles (admins always). Lower `order` comes first."""

    id: str
    title_zh: str
    title_en: str
    roles: frozenset[str] = frozenset()
    order: int = 100

    def __post_init__(self) -> None:
        _check(ITEM_ID, self.id, "id")
        for title in (self.title_zh, self.title_en):
            if not isinstance(title, str) or not title.strip() or len(title) > TITLE_MAX:
                raise UiError(f"{self.id}: titles are 1 to {TITLE_MAX} characters, zh and en")
        roles = frozenset(self.roles)
        for role in roles:
            _check(ROLE_NAME, role, f"{self.id}: role")
        object.__setattr__(self, "roles", roles)
        if isinstance(self.order, bool) or not isinstance(self.order, int):
            raise UiError(f"{self.id}: order is an int")


@dataclass(frozen=True, slots=True, kw_only=True)
class ModuleItem(UiItem):
    """A contribution drawn by `export` of the ES module `module` in the static folder."""

    module: str
    export: str

    def __post_init__(self) -> None:
        UiItem.__post_init__(self)
        _check(MODULE_FILE, self.module, f"{self.id}: module")
        _check(EXPORT_NAME, self.export, f"{self.id}: export")


@dataclass(frozen=True, slots=True, kw_only=True)
class ConsolePage(ModuleItem):
    """A console nav tab and its page at /console/p/<plugin>/<path>. `badge`: a named export
    of the module, a function answering the number shown on the tab (read reactively, so it
    follows what it reads, e.g. the console's live picture); None: no number."""

    path: str
    badge: str | None = None

    def __post_init__(self) -> None:
        ModuleItem.__post_init__(self)
        _check(PAGE_PATH, self.path, f"{self.id}: path")
        if self.badge is not None:
            _check(EXPORT_NAME, self.badge, f"{self.id}: badge")


@dataclass(frozen=True, slots=True, kw_only=True)
class PageSection(ModuleItem):
    """A section inside another plugin's console page: `page` is "<plugin>/<page id>", and
    that page shows its sections where it chooses (`PluginSections` of `@gridhub/host`)."""

    page: str

    def __post_init__(self) -> None:
        ModuleItem.__post_init__(self)
        _check(PAGE_REF, self.page, f"{self.id}: page")


@dataclass(frozen=True, slots=True, kw_only=True)
class ScreenPanel(ModuleItem):
    """A panel of the big screen (/console/screen)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class FieldTab(ModuleItem):
    """A tab of the field app (/field)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class DrawerCard(ModuleItem):
    """A card in the console's incident drawer; its component gets the prop `incident`."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ResidentSection(ModuleItem):
    """A section of the residents' page (/report); empty `roles`: shown to anyone."""


@dataclass(frozen=True, slots=True, kw_only=True)
class MapLayer(UiItem):
    """A layer of the console map, listed under 图层: `source` is a hub path answering a
    GeoJSON FeatureCollection; `style` takes color, weight, fillColor, fillOpacity, radius
    (Point features become circle markers) and icon (a file of the static folder).
    `viewport`: the console asks `source` again whenever the map stops moving, adding
    `bbox=west,south,east,north` (degrees) and `zoom` (Leaflet's integer zoom), so a layer can
    answer clusters when zoomed out and single features when zoomed in; False: read once."""

    source: str
    style: Mapping[str, Any] = field(default_factory=dict)
    default_on: bool = False
    viewport: bool = False

    def __post_init__(self) -> None:
        UiItem.__post_init__(self)
        if not isinstance(self.source, str) or ".." in self.source:
            raise UiError(f"{self.id}: source must be a path under /api/v1/")
        _check(SOURCE_PATH, self.source, f"{self.id}: source")
        object.__setattr__(self, "style", _style(self.id, self.style))
        if not isinstance(self.default_on, bool):
            raise UiError(f"{self.id}: default_on is a bool")
        if not isinstance(self.viewport, bool):
            raise UiError(f"{self.id}: viewport is a bool")

    def __hash__(self) -> int:
        return hash((self.id, self.source))


def _style(item: str, style: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(style) - {*COLOURS, *NUMBERS, "icon"}
    if unknown:
        raise UiError(f"{item}: unknown style keys {sorted(unknown)}")
    for key in COLOURS:
        if key in style:
            _check(COLOUR, style[key], f"{item}: style {key}")
    for key, (low, high) in NUMBERS.items():
        value = style.get(key)
        if value is not None and (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not low <= value <= high
        ):
            raise UiError(f"{item}: style {key} is a number from {low} to {high}")
    if "icon" in style:
        _check(STATIC_FILE, style["icon"], f"{item}: style icon")
    return dict(style)


def _number_within(value: object, low: float, high: float) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and low <= value <= high


@dataclass(frozen=True, slots=True, kw_only=True)
class PluginUi:
    """Everything one plugin adds to the pages. `styles`: stylesheets of the bundle (files of
    the static folder) that the pages link once the manifest is read."""

    pages: tuple[ConsolePage, ...] = ()
    map_layers: tuple[MapLayer, ...] = ()
    screen_panels: tuple[ScreenPanel, ...] = ()
    field_tabs: tuple[FieldTab, ...] = ()
    drawer_cards: tuple[DrawerCard, ...] = ()
    resident_sections: tuple[ResidentSection, ...] = ()
    page_sections: tuple[PageSection, ...] = ()
    styles: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for kind, cls in KINDS.items():
            items = tuple(getattr(self, kind))
            if not all(isinstance(item, cls) for item in items):
                raise UiError(f"{kind} takes {cls.__name__} items")
            _unique((item.id for item in items), kind)
            object.__setattr__(self, kind, items)
        _unique((page.path for page in self.pages), "page paths")
        object.__setattr__(self, "styles", tuple(self.styles))
        for sheet in self.styles:
            _check(STYLE_FILE, sheet, "style sheet")

    def files(self) -> set[str]:
        """Every file of the static folder this declaration names."""
        named = set(self.styles)
        for kind in MODULE_KINDS:
            named |= {item.module for item in getattr(self, kind)}
        named |= {layer.style["icon"] for layer in self.map_layers if "icon" in layer.style}
        return named


def _unique(values: Iterable[str], what: str) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise UiError(f"{what}: {value!r} is declared twice")
        seen.add(value)


KINDS: dict[str, type[UiItem]] = {
    "pages": ConsolePage,
    "map_layers": MapLayer,
    "screen_panels": ScreenPanel,
    "field_tabs": FieldTab,
    "drawer_cards": DrawerCard,
    "resident_sections": ResidentSection,
    "page_sections": PageSection,
}
MODULE_KINDS = tuple(kind for kind in KINDS if kind != "map_layers")


def check_bundle(plugin: str, ui: object, static: Path | None) -> None:
    """Start-up check of one plugin's declaration against its static folder."""
    if ui is None:
        return
    if not isinstance(ui, PluginUi):
        raise UiError(f"plugin {plugin!r}: ui must be a hub.sdk.PluginUi")
    files = ui.files()
    if not files:
        return
    if static is None or not static.is_dir():
        raise UiError(f"plugin {plugin!r}: its ui names files but static is not a folder")
    root = static.resolve()
    for name in sorted(files):
        found = (root / name).resolve()
        if not found.is_relative_to(root) or not found.is_file():
            raise UiError(f"plugin {plugin!r}: {name} is not a file of {static}")
