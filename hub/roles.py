"""The role catalogue: the core roles and those the enabled plugins declare.

A role name is a plain string. The core names are `hub.access.Role`; a plugin adds its own with
`RoleSpec`s in `BasePlugin.roles`. Stored assignments may name a role nobody declares any more
(its plugin was uninstalled or disabled): such a grant is skipped with a warning, never an
error, so the person still signs in with their other roles.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from hub.access import Grant, Role

ROLE_NAME = re.compile(r"[a-z][a-z0-9_]{1,31}")
CORE = "core"  # the owner of the core roles
WARNED_MAX = 10_000  # (person, role) pairs remembered so each unknown grant warns once
log = logging.getLogger("gridhub.roles")


class RoleConflict(ValueError):
    """A plugin's role declaration cannot be accepted (bad name, taken name). Start-up stops."""


@dataclass(frozen=True, slots=True)
class RoleSpec:
    """A role: `staff` roles count as grid staff (people in scope, grid channels)."""

    name: str
    title_zh: str
    title_en: str
    staff: bool = True
    description_zh: str = ""
    description_en: str = ""

    def __post_init__(self) -> None:
        if not ROLE_NAME.fullmatch(self.name):
            raise RoleConflict(f"role {self.name!r}: names match [a-z][a-z0-9_]{{1,31}}")
        if not self.title_zh.strip() or not self.title_en.strip():
            raise RoleConflict(f"role {self.name!r}: title_zh and title_en are required")


@dataclass(frozen=True, slots=True)
class CatalogueEntry:
    spec: RoleSpec
    owner: str  # "core" or the declaring plugin's name


CORE_ROLES: tuple[RoleSpec, ...] = (
    RoleSpec(Role.ADMIN.value, "管理员", "Administrator", staff=False),
    RoleSpec(Role.COMMANDER.value, "指挥长", "Commander"),
    RoleSpec(Role.DISPATCHER.value, "调度员", "Dispatcher"),
    RoleSpec(Role.GRID_LEADER.value, "网格长", "Grid leader"),
    RoleSpec(Role.GRID_WORKER.value, "网格员", "Grid worker"),
    RoleSpec(Role.RESIDENT.value, "居民", "Resident", staff=False),
)


class RoleCatalogue:
    """Every role this hub knows, by name; built once at start-up."""

    def __init__(self, declared: Mapping[str, Iterable[RoleSpec]] | None = None) -> None:
        """`declared`: plugin name -> the roles it declares (after the core ones)."""
        self._entries: dict[str, CatalogueEntry] = {
            r.name: CatalogueEntry(r, CORE) for r in CORE_ROLES
        }
        for plugin, specs in (declared or {}).items():
            for spec in specs:
                self._add(plugin, spec)
        self.staff: frozenset[str] = frozenset(n for n, e in self._entries.items() if e.spec.staff)
        self._warned: set[tuple[int, str]] = set()

    def _add(self, plugin: str, spec: RoleSpec) -> None:
        if not isinstance(spec, RoleSpec):
            raise RoleConflict(f"plugin {plugin!r}: roles must be RoleSpec objects")
        known = self._entries.get(spec.name)
        if known is not None:
            whose = "a core role" if known.owner == CORE else f"declared by plugin {known.owner!r}"
            raise RoleConflict(f"plugin {plugin!r} declares role {spec.name!r}, {whose}")
        self._entries[spec.name] = CatalogueEntry(spec, plugin)

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def entries(self) -> list[CatalogueEntry]:
        """Core roles first, then each plugin's in declaration order."""
        return list(self._entries.values())

    def grants(self, person_id: int, rows: Iterable[tuple[str, int | None]]) -> tuple[Grant, ...]:
        """The grants of stored (role, grid) rows; unknown roles are left out, with a warning
        the first time per person and role."""
        grants: list[Grant] = []
        for role, grid_id in rows:
            if role in self._entries:
                grants.append(Grant(role, grid_id))
            else:
                self._warn_unknown(person_id, role)
        return tuple(grants)

    def _warn_unknown(self, person_id: int, role: str) -> None:
        if (person_id, role) in self._warned:
            return
        if len(self._warned) >= WARNED_MAX:
            self._warned.clear()
        self._warned.add((person_id, role))
        log.warning(
            "assignment of an unknown role skipped (was its plugin removed?)",
            extra={"person_id": person_id, "role": role},
        )


def from_plugins(plugins: Iterable[object]) -> RoleCatalogue:
    """The catalogue of the core roles and the `roles` of these (enabled) plugins."""
    declared: dict[str, tuple[RoleSpec, ...]] = {}
    for plugin in plugins:
        name = str(getattr(plugin, "name", ""))
        roles = getattr(plugin, "roles", ())
        try:
            declared[name] = tuple(roles)
        except TypeError:
            raise RoleConflict(f"plugin {name!r}: roles must be a tuple of RoleSpec") from None
    return RoleCatalogue(declared)
