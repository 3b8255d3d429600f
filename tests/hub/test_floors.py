"""The floors' contracts (pyproject.toml [tool.importlinter], checked by `lint-imports` in
scripts/test) catch what they forbid and let through what they allow, and a plugin that imports
another plugin's messages declares that plugin (requires or optional)."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

from hub import plugins

ROOT = Path(__file__).resolve().parents[2]
ROOTS = ("storage", "hub", "signaling", "media", "plugins", "consoles", "loadtests")
PROBES = {  # file -> imports that break a contract, or (marked "ok") that must not
    "hub/_probe_up.py": "import media.api\n",
    "plugins/alarms/_probe.py": (
        "from hub.web import Router\nfrom storage.models import Person\nimport media.api\n"
        "from plugins.dispatch.service import DispatchService\n"
        "from hub import sdk  # ok\nfrom plugins.dispatch.messages import IncidentChanged  # ok\n"
    ),
}
BROKEN = (
    "hub._probe_up -> media.api",
    "plugins.alarms._probe -> hub.web",
    "plugins.alarms._probe -> storage.models",
    "plugins.alarms._probe -> media.api",
    "plugins.alarms._probe -> plugins.dispatch.service",
)


def test_the_contracts_catch_what_they_forbid(tmp_path: Path) -> None:
    """lint-imports on a copy of the sources with imports that break each contract."""
    for package in ROOTS:
        for path in (ROOT / package).rglob("*.py"):
            if "node_modules" not in path.parts:
                (tmp_path / path.relative_to(ROOT)).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, tmp_path / path.relative_to(ROOT))
    shutil.copyfile(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    for name, text in PROBES.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    lint = Path(sys.executable).parent / "lint-imports"
    done = subprocess.run(
        [str(lint), "--no-cache"], cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(tmp_path)},
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    report = done.stdout
    assert done.returncode == 1, report + done.stderr
    assert "Contracts: 0 kept, 3 broken." in report
    flat = " ".join(report.split())
    for line in BROKEN:
        assert f"- {line} (l." in flat, line
    assert "-> hub.sdk" not in report
    assert "-> plugins.dispatch.messages" not in report


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
