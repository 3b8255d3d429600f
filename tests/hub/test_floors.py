"""The floors' contracts (pyproject.toml [tool.importlinter], checked by `lint-imports` in
scripts/test) say what they mean: the SDK contract names every hub module but hub.sdk, and a
plugin that imports another plugin's messages declares that plugin (requires or optional)."""

from __future__ import annotations

import ast
import pkgutil
import sys
import tomllib
from pathlib import Path
from typing import Any

import hub
from hub import plugins

ROOT = Path(__file__).resolve().parents[2]


def contract(contract_id: str) -> dict[str, Any]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    found = [c for c in config["tool"]["importlinter"]["contracts"] if c["id"] == contract_id]
    assert len(found) == 1, contract_id
    return dict(found[0])


def test_the_sdk_contract_forbids_every_hub_module_but_the_sdk() -> None:
    every = {f"hub.{m.name}" for m in pkgutil.iter_modules(hub.__path__)} - {"hub.sdk"}
    forbidden = set(contract("plugins-through-sdk")["forbidden_modules"])
    assert every - forbidden == set(), "add these modules to the contract's forbidden_modules"
    assert forbidden - every == {"storage", "signaling", "media"}, "a module left the hub"


def test_the_floors_are_in_order() -> None:
    layers = contract("floors")["layers"]
    assert layers == ["consoles : loadtests", "plugins", "media : signaling", "hub", "storage"]


def imported_modules(package_dir: Path) -> set[str]:
    names: set[str] = set()
    for path in package_dir.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
                names.update(f"{node.module}.{alias.name}" for alias in node.names)
            elif isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
    return names


def package_of(plugin: object) -> str:
    """The package a plugin class lives in (its module, if that is a package's __init__)."""
    module = sys.modules[type(plugin).__module__]
    return module.__name__ if hasattr(module, "__path__") else module.__name__.rsplit(".", 1)[0]


def test_a_plugin_imports_only_the_messages_of_plugins_it_declares() -> None:
    installed = plugins.discover()
    packages = {name: package_of(p) for name, p in installed.items()}
    assert {"alarms", "dispatch", "escalation"} <= set(packages)
    for name, plugin in installed.items():
        used = imported_modules(Path(sys.modules[packages[name]].__file__ or "").parent)
        declared = set(plugin.requires) | set(getattr(plugin, "optional", ()))
        for other, other_package in packages.items():
            if other != name and f"{other_package}.messages" in used:
                assert other in declared, f"{name} imports {other}.messages: declare {other}"
