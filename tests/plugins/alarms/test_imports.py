"""The alarms plugin imports GridHub only through hub.sdk, and another plugin only through
its public message module, and only one it declares in `requires` or `optional`."""

from __future__ import annotations

import ast
from pathlib import Path

from plugins.alarms.plugin import AlarmsPlugin

PACKAGE = Path(__file__).parents[3] / "plugins" / "alarms"
GRIDHUB = ("hub", "storage", "signaling", "media", "consoles", "loadtests", "plugins")


def imported_modules(source: Path) -> list[tuple[int, str]]:
    """(line, absolute module) of every import in the file, wherever it sits (a function's
    deferred import counts too)."""
    found = []
    for node in ast.walk(ast.parse(source.read_text(), str(source))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{source}:{node.lineno}: relative import"
            found.append((node.lineno, node.module or ""))
    return found


def refused(module: str, declared: set[str]) -> bool:
    """Whether the alarms plugin may not import `module`."""
    top = module.split(".")[0]
    if top not in GRIDHUB or module == "hub.sdk":
        return False
    parts = module.split(".")
    if top == "plugins" and len(parts) > 1:
        if parts[1] == "alarms":
            return False  # its own modules
        return not (parts[2:] == ["messages"] and parts[1] in declared)
    return True


def test_alarms_imports_gridhub_only_through_the_sdk() -> None:
    declared = {*AlarmsPlugin.requires, *AlarmsPlugin.optional}
    sources = sorted(PACKAGE.rglob("*.py"))
    assert len(sources) > 10  # the walk found the package
    wrong = [
        f"{source.relative_to(PACKAGE)}:{line}: {module}"
        for source in sources
        for line, module in imported_modules(source)
        if refused(module, declared)
    ]
    assert wrong == []


def test_the_check_catches_what_it_must() -> None:
    """The rule itself: a core module, storage, or an undeclared or private plugin module
    is refused; the SDK, alarms' own modules and a declared message module are not."""
    declared = {"dispatch"}
    for module in ("hub.devices", "hub", "storage.models", "media.pool", "plugins.dispatch.api",
                   "plugins.escalation.messages", "plugins.dispatch", "plugins"):  # fmt: skip
        assert refused(module, declared), module
    for module in ("hub.sdk", "plugins.alarms.models", "plugins.dispatch.messages", "sqlalchemy"):
        assert not refused(module, declared), module
