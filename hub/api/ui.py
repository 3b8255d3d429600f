"""Plugins' console extension points: the manifest (which contributions the caller may see)
and each plugin's prebuilt bundle at /plugins/<name>/static/<file>.

The manifest is public so that the residents' page, where nobody signs in, gets its
sections; a caller who sends a token gets what their roles allow. Module URLs carry
`?v=<content hash>`: a file asked for with its current hash is cached for a year, anything
else is revalidated (ETag), so a reinstalled plugin is picked up on the next manifest.
"""

from __future__ import annotations

import functools
import hashlib
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path, PurePosixPath

from aiohttp import web
from pydantic import BaseModel, Field

from hub import __version__, policy
from hub.access import Principal
from hub.errors import HubError
from hub.keys import PLUGINS, ROLES, SETTINGS
from hub.plugins import Plugin, PluginError
from hub.screen_layouts import ScreenOut, screen_for, unknown_panels
from hub.ui import (
    KINDS,
    STATIC_FILE,
    ConsolePage,
    MapLayer,
    ModuleItem,
    PageSection,
    PluginUi,
    UiError,
    UiItem,
    check_bundle,
)
from hub.web import Call, Router

MANIFEST = policy.public("ui.manifest")
PLUGIN_STATIC = policy.public("ui.plugin_static")
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
HASH_CHARS = 16
CONTENT_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".map": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
}
log = logging.getLogger("gridhub.ui")


class UiItemOut(BaseModel):
    id: str
    title_zh: str
    title_en: str
    roles: list[str]
    order: int


class UiModuleItemOut(UiItemOut):
    module: str  # /plugins/<name>/static/<file>?v=<hash>
    export: str


class UiPageOut(UiModuleItemOut):
    path: str  # under /console/p/<plugin>/
    badge: str | None  # named export: a function answering the tab's number


class UiPageSectionOut(UiModuleItemOut):
    page: str  # "<plugin>/<page id>" of the page it is shown in


class UiMapLayerOut(UiItemOut):
    source: str
    style: dict[str, str | float]
    default_on: bool
    viewport: bool  # asked again with bbox and zoom as the map moves


class PluginUiOut(BaseModel):
    name: str
    version: str
    pages: list[UiPageOut]
    map_layers: list[UiMapLayerOut]
    screen_panels: list[UiModuleItemOut]
    field_tabs: list[UiModuleItemOut]
    drawer_cards: list[UiModuleItemOut]
    resident_sections: list[UiModuleItemOut]
    page_sections: list[UiPageSectionOut]
    styles: list[str]


class UiManifestOut(BaseModel):
    plugins: list[PluginUiOut]
    screen: ScreenOut = Field(description="the big screen's layouts (staff; empty for others)")


@dataclass
class Bundle:
    """One enabled plugin's declaration and static folder, checked at start-up."""

    name: str
    version: str
    ui: PluginUi | None
    static: Path | None
    _hashes: dict[Path, tuple[int, int, str]] = field(default_factory=dict)

    def file(self, relative: str) -> Path | None:
        """The file `relative` of the static folder; None when it is not one (or leaves it)."""
        if self.static is None or not STATIC_FILE.fullmatch(relative):
            return None
        root = self.static.resolve()
        found = (root / PurePosixPath(relative)).resolve()
        return found if found.is_relative_to(root) and found.is_file() else None

    def version_of(self, path: Path) -> str:
        """The content hash of a file (recomputed when its size or time changes)."""
        stat = path.stat()
        known = self._hashes.get(path)
        if known is None or known[:2] != (stat.st_mtime_ns, stat.st_size):
            digest = hashlib.sha256(path.read_bytes()).hexdigest()[:HASH_CHARS]
            known = (stat.st_mtime_ns, stat.st_size, digest)
            self._hashes[path] = known
        return known[2]

    def url(self, relative: str) -> str:
        path = self.file(relative)
        version = self.version_of(path) if path is not None else "missing"
        return f"/plugins/{self.name}/static/{relative}?v={version}"


@dataclass
class Catalogue:
    bundles: dict[str, Bundle]
    staff_roles: frozenset[str]


CATALOGUE = web.AppKey("ui_catalogue", Catalogue)
# import package -> the distributions that provide it (importlib.metadata)
Owners = Callable[[], Mapping[str, list[str]]]


def mount(app: web.Application) -> None:
    """Check every enabled plugin's UI against its static folder (a bad one stops start-up)
    and add the routes."""
    # The scan reads every installed distribution's file list: once per start, not per plugin.
    owners = functools.cache(metadata.packages_distributions)
    bundles = {plugin.name: _bundle(plugin, owners) for plugin in app[PLUGINS].plugins}
    app[CATALOGUE] = Catalogue(bundles, app[ROLES].staff)
    unknown = unknown_panels(app[SETTINGS].ui, _panel_ids(bundles.values()))
    if unknown:
        raise PluginError(f"[ui] screen_layouts name panels nobody has: {', '.join(unknown)}")
    build_router().mount(app)


def _panel_ids(bundles: Iterable[Bundle]) -> list[str]:
    """Every plugin's big-screen panels as layouts name them: "<plugin>/<panel id>"."""
    return [f"{b.name}/{p.id}" for b in bundles if b.ui is not None for p in b.ui.screen_panels]


def _bundle(plugin: Plugin, owners: Owners) -> Bundle:
    ui, static = getattr(plugin, "ui", None), getattr(plugin, "static", None)
    if _unbuilt(plugin, ui, static):
        log.error(
            "the built-in plugin %r has no built console bundle in %s: run scripts/setup "
            "(the hub starts; its pages say their module cannot be loaded until then)",
            plugin.name,
            static,
        )
    else:
        try:
            check_bundle(plugin.name, ui, static)
        except UiError as exc:
            raise PluginError(str(exc)) from None
    version = _version(plugin, owners) if ui is not None else ""  # (a scan: only if needed)
    return Bundle(plugin.name, version, ui, Path(static) if static else None)


def _unbuilt(plugin: Plugin, ui: object, static: Path | None) -> bool:
    """A plugin of this repository (plugins/) whose bundle is not built: its static folder
    is build output (scripts/setup), like consoles/web/dist, so a checkout without it is a
    development set-up to finish, not a broken install. Any other plugin's wheel ships its
    bundle, and one that lacks a file stops start-up."""
    built_in = type(plugin).__module__.startswith("plugins.")
    if not built_in or not isinstance(ui, PluginUi) or static is None:
        return False
    folder = Path(static)
    return any(not (folder / name).is_file() for name in ui.files())


def _version(plugin: Plugin, owners: Owners) -> str:
    """The plugin's own `version`, else its distribution's, else the hub's (built-ins)."""
    declared = getattr(plugin, "version", None)
    if isinstance(declared, str) and declared:
        return declared
    package = type(plugin).__module__.partition(".")[0]
    for dist in owners().get(package, []):
        return metadata.version(dist)
    return __version__


def _sees(item: UiItem, who: Principal | None, staff: frozenset[str], public: bool) -> bool:
    """Whether `who` (None: not signed in) may see `item`."""
    if not item.roles:
        if public:
            return True
        return who is not None and (who.is_admin or bool(who.roles & staff))
    return who is not None and (who.is_admin or bool(who.roles & item.roles))


def plugin_manifest(bundle: Bundle, who: Principal | None, staff: frozenset[str]) -> PluginUiOut:
    ui = bundle.ui or PluginUi()
    shown: dict[str, list[object]] = {}
    for kind in KINDS:
        public = kind == "resident_sections"
        items = [i for i in getattr(ui, kind) if _sees(i, who, staff, public)]
        shown[kind] = [_item_out(bundle, item) for item in items]
    return PluginUiOut.model_validate(
        {
            "name": bundle.name,
            "version": bundle.version,
            **shown,
            "styles": [bundle.url(sheet) for sheet in ui.styles],
        }
    )


def _item_out(bundle: Bundle, item: UiItem) -> dict[str, object]:
    out: dict[str, object] = {
        "id": item.id,
        "title_zh": item.title_zh,
        "title_en": item.title_en,
        "roles": sorted(item.roles),
        "order": item.order,
    }
    if isinstance(item, ModuleItem):
        out.update(module=bundle.url(item.module), export=item.export)
    if isinstance(item, ConsolePage):
        out.update(path=item.path, badge=item.badge)
    if isinstance(item, PageSection):
        out["page"] = item.page
    if isinstance(item, MapLayer):
        style = dict(item.style)
        if "icon" in style:
            style["icon"] = bundle.url(style["icon"])
        out.update(
            source=item.source, style=style, default_on=item.default_on, viewport=item.viewport
        )
    return out


def build_router() -> Router:
    router = Router("", "ui")

    @router.get(
        "/api/v1/ui/manifest",
        summary="Plugins' pages, map layers and panels the caller may see",
        response=UiManifestOut,
        rule=MANIFEST,
    )
    async def manifest(call: Call[None, None]) -> UiManifestOut:
        catalogue = call.request.app[CATALOGUE]
        found = [
            plugin_manifest(bundle, call.principal, catalogue.staff_roles)
            for bundle in catalogue.bundles.values()
            if bundle.ui is not None
        ]
        return UiManifestOut(
            plugins=[p for p in found if _any_item(p)],
            screen=_screen(call, catalogue, found),
        )

    @router.get(
        "/plugins/{name}/static/{path:.+}",
        summary="A file of a plugin's prebuilt web bundle",
        rule=PLUGIN_STATIC,
        produces="text/javascript, text/css, image/*, font/*",
    )
    async def static(call: Call[None, None]) -> web.StreamResponse:
        return _static_file(call.request, call.params["name"], call.params["path"])

    return router


def _screen(call: Call[None, None], catalogue: Catalogue, found: list[PluginUiOut]) -> ScreenOut:
    """The big screen's layouts for staff, with the plugin panels the caller may see."""
    who = call.principal
    if who is None or not (who.is_admin or who.roles & catalogue.staff_roles):
        return ScreenOut(layouts=[], default=None)
    visible = [f"{p.name}/{panel.id}" for p in found for panel in p.screen_panels]
    return screen_for(call.request.app[SETTINGS].ui, visible, who)


def _any_item(plugin: PluginUiOut) -> bool:
    return any(getattr(plugin, kind) for kind in KINDS)


def _static_file(request: web.Request, name: str, relative: str) -> web.StreamResponse:
    bundle = request.app[CATALOGUE].bundles.get(name)
    path = bundle.file(relative) if bundle is not None else None
    content_type = CONTENT_TYPES.get(Path(relative).suffix.lower())
    if bundle is None or path is None or content_type is None:
        raise HubError("http.not_found", "not found", status=404)
    current = request.query.get("v") == bundle.version_of(path)
    cache = IMMUTABLE if current else REVALIDATE
    return web.FileResponse(path, headers={"Cache-Control": cache, "Content-Type": content_type})
