"""The escalation plugin imports GridHub only through hub.sdk, and another plugin only through
that plugin's public message module, and only one it declares in `requires` or `optional`."""

from __future__ import annotations

import ast
from pathlib import Path

from plugins.escalation import EscalationPlugin

PACKAGE = Path(__file__).parents[3] / "plugins" / "escalation"
GRIDHUB = frozenset({"hub", "storage", "signaling", "media", "consoles", "loadtests", "plugins"})


def imports_of(source: Path) -> list[tuple[int, str]]:
    """(line, module) of every import in the file, also one deferred into a function; for
    `from pkg import name` both `pkg` and `pkg.name` (the name may be a module)."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source.read_text(), str(source))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{source}:{node.lineno}: relative import"
            module = node.module or ""
            found += [(node.lineno, module)]
            found += [(node.lineno, f"{module}.{alias.name}") for alias in node.names]
    return found


def allowed(module: str, declared: set[str]) -> bool:
    parts = module.split(".")
    if parts[0] not in GRIDHUB or module.startswith("hub.sdk"):
        return True  # a third-party module, or the SDK (and names from it)
    if parts[0] != "plugins" or len(parts) < 2:
        return False
    if parts[1] == "escalation":
        return True
    return parts[1] in declared and parts[2:3] == ["messages"]


def wrong_imports(declared: set[str]) -> list[str]:
    sources = sorted(PACKAGE.rglob("*.py"))
    assert len(sources) > 10  # the walk found the package
    return [
        f"{source.relative_to(PACKAGE)}:{line}: {module}"
        for source in sources
        for line, module in imports_of(source)
        if not allowed(module, declared)
    ]


def test_escalation_imports_gridhub_only_through_the_sdk() -> None:
    declared = {*EscalationPlugin.requires, *EscalationPlugin.optional}
    assert wrong_imports(declared) == []


def test_an_undeclared_plugin_or_a_core_module_is_refused() -> None:
    undeclared = [w for w in wrong_imports({"dispatch"}) if w.endswith(" plugins.alarms.messages")]
    assert {w.split(":")[0] for w in undeclared} == {"plugin.py", "triggers.py"}
    for module in ("hub", "hub.presence", "hub.audit", "storage.sql", "media.recording",
                   "plugins", "plugins.dispatch", "plugins.dispatch.models"):  # fmt: skip
        assert not allowed(module, {"dispatch"}), module
    for module in ("hub.sdk", "hub.sdk.Base", "plugins.dispatch.messages.IncidentChanged",
                   "plugins.escalation.sos", "sqlalchemy", "pydantic.BaseModel"):  # fmt: skip
        assert allowed(module, {"dispatch"}), module
