"""Built-in components: signaling, media, recording, cameras and the consoles.

They are registered like plugins, through entry points, so that hub/ names none of them and
the layers stay one-way (hub below signaling/media below plugins below consoles). A component
gets the aiohttp application itself, unlike a plugin: it is part of GridHub, not an extension
of it. Each one appends its cleanup contexts (run after the core's, before the plugins') and
mounts its routes.

Their settings tables (`[calls]`, `[media]`) come from a second group, `gridhub.settings`,
whose entry points name pydantic models in modules that import nothing of hub: the hub's
Settings class is assembled from them while hub.settings is being imported.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Protocol, runtime_checkable

from aiohttp import web

from hub.web import Router

COMPONENT_GROUP = "gridhub.components"
CleanupContext = Callable[[web.Application], AsyncIterator[None]]


class ComponentError(RuntimeError):
    """A built-in component is missing, broken or its requirements form a cycle."""


@runtime_checkable
class Component(Protocol):
    name: str
    requires: tuple[str, ...]

    def install(self, app: web.Application) -> None:
        """Append cleanup contexts to `app.cleanup_ctx` and mount routes."""


@dataclass(frozen=True, slots=True)
class BuiltIn:
    """A component made of cleanup contexts (started in order) and routers."""

    name: str
    contexts: tuple[CleanupContext, ...] = ()
    routers: tuple[Callable[[], Router], ...] = ()
    mounts: tuple[Callable[[web.Application], None], ...] = ()
    requires: tuple[str, ...] = ()

    def install(self, app: web.Application) -> None:
        app.cleanup_ctx.extend(self.contexts)
        for build_router in self.routers:
            build_router().mount(app)
        for mount in self.mounts:
            mount(app)


def discover(group: str = COMPONENT_GROUP) -> dict[str, Component]:
    """Every component advertised in the entry-point group; a broken one fails loudly."""
    found: dict[str, Component] = {}
    for ep in entry_points(group=group):
        try:
            component = ep.load()
        except Exception as exc:
            raise ComponentError(f"component {ep.name!r} failed to load: {exc}") from exc
        if not isinstance(component, Component) or component.name in found:
            raise ComponentError(f"entry point {ep.name!r} is not a distinct GridHub component")
        found[component.name] = component
    return found


def ordered(components: Mapping[str, Component]) -> list[Component]:
    """Requirements first; ties by name, so start-up order is the same on every node."""
    done: dict[str, bool] = {}  # name -> finished (False while being visited)
    result: list[Component] = []

    def visit(name: str, chain: Iterable[str]) -> None:
        if done.get(name) is False:
            raise ComponentError(f"component cycle: {' -> '.join((*chain, name))}")
        if name in done:
            return
        if name not in components:
            raise ComponentError(f"component {name!r} is required but not installed")
        done[name] = False
        for need in components[name].requires:
            visit(need, (*chain, name))
        done[name] = True
        result.append(components[name])

    for name in sorted(components):
        visit(name, ())
    return result


def install_all(app: web.Application, components: Mapping[str, Component] | None) -> None:
    """Install the given components (all installed ones when None) in dependency order."""
    for component in ordered(discover() if components is None else components):
        component.install(app)
