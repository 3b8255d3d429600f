"""Every error code the hub can answer has a zh-CN and an English name in the consoles.

How the codes are found (Python's `ast`, no import of the code, over SOURCES):
- the code argument (first positional or `code=`) of every call of an error class: HubError
  and its subclasses (found by their bases in the sources), and media's ControlError (the media
  worker's errors, passed on to clients as HubErrors by media/*/service.py `_hub_error`);
- functions that pass one of their parameters on as such a code (`parse_json_body(code=...)`,
  `_require_staff(..., code)`): the parameter's default and every literal given for it at a call;
- `{"code": "...", "message": ...}` literals (socket acknowledgements built without HubError);
- codes made at run time (an f-string, a `.code` attribute) are not literals: each such place is
  listed in MADE_AT_RUN_TIME with the codes it can make, and a new one fails the test until it
  is listed.

How the names are found: the `NAMES` table of consoles/web/src/shared/errorNames.ts and every
`registerErrorNames({...})` in the consoles' and plugins' UI sources, each entry written
`'<code>': ['<zh>', '<en>'],`.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCES = (
    "hub",
    "signaling",
    "media",
    "plugins/dispatch",
    "plugins/alarms",
    "plugins/escalation",
    "consoles",
)
CARRIERS_BEYOND_HUBERROR = {"ControlError"}

# places that make a code at run time -> the codes they can make
MADE_AT_RUN_TIME: dict[str, frozenset[str]] = {
    # aiohttp's own refusals: http.not_found, else http.<status> (the ones a browser can meet)
    "hub/web.py:request_context": frozenset({"http.not_found", "http.400", "http.405", "http.413"}),
    # a plugin's subject of a recording: escalation's SOS is the one kind (subjects.register)
    "media/recording/service.py:_subject": frozenset(
        {"recording.sos_not_found", "recording.sos_closed"}
    ),
    # ControlErrors passed on: their codes are collected where they are raised
    "media/recording/service.py:_hub_error": frozenset(),
    # live listening to a subject's recorder: the SOS again
    "media/recording/service.py:listen": frozenset(
        {"recording.sos_not_found", "recording.sos_closed"}
    ),
    "media/camera/service.py:_hub_error": frozenset(),
    "media/client.py:request": frozenset(),
    # alarms' own RateLimited (a device's refusal, no HubError) shares dispatch's class name
    "plugins/alarms/ingest.py:_spend": frozenset(),
}
# codes a person never meets, so unnamed on purpose
NOT_FOR_PEOPLE: dict[str, str] = {
    "internal.error": "MQTT devices' error frame (plugins/alarms/mqtt.py), never a browser",
}
DERIVED = {"frame.malformed", "frame.too_deep", "frame.too_large"}  # DecodeError.code
EXCLUDED_FILES = {
    # the alarms' device protocol (MQTT/TCP frames to devices), not the hub's API
    "plugins/alarms/mqtt.py",
    "plugins/alarms/protocol.py",
}


def _python_files() -> Iterator[Path]:
    for root in SOURCES:
        for path in sorted((ROOT / root).rglob("*.py")):
            if "node_modules" not in path.parts:
                yield path


def _trees() -> dict[str, ast.Module]:
    return {str(p.relative_to(ROOT)): ast.parse(p.read_text(), str(p)) for p in _python_files()}


def _error_classes(trees: dict[str, ast.Module]) -> set[str]:
    bases: dict[str, set[str]] = {}
    for tree in trees.values():
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                # a name defined twice (two RateLimited) counts as an error class if either is
                bases.setdefault(node.name, set()).update({_name(b) for b in node.bases} - {""})
    found = {"HubError"}
    while grown := {n for n, b in bases.items() if b & found} - found:
        found |= grown
    return found | CARRIERS_BEYOND_HUBERROR


def _name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    return node.attr if isinstance(node, ast.Attribute) else ""


def _code_arg(call: ast.Call) -> ast.expr | None:
    if call.args:
        return call.args[0]
    return next((k.value for k in call.keywords if k.arg == "code"), None)


def _literal(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


class _Scan(ast.NodeVisitor):
    """One file: literal codes, parameters passed on as codes, and run-time codes' places."""

    def __init__(self, path: str, carriers: set[str]) -> None:
        self.path, self.carriers = path, carriers
        self.codes: set[str] = set()
        self.forwarders: dict[str, tuple[int, str, str | None]] = {}
        self.made_at_run_time: set[str] = set()
        self.function: list[ast.FunctionDef | ast.AsyncFunctionDef] = []

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.function.append(node)
        self.generic_visit(node)
        self.function.pop()

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Dict(self, node: ast.Dict) -> None:
        for key, value in zip(node.keys, node.values, strict=True):
            if _literal(key) == "code" and (code := _literal(value)) and "." in code:
                self.codes.add(code)
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        if _name(node.func) in self.carriers:
            self._carrier(_code_arg(node))
        self.generic_visit(node)

    def _carrier(self, arg: ast.expr | None) -> None:
        if (code := _literal(arg)) is not None:
            self.codes.add(code)
            return
        function = self.function[-1] if self.function else None
        params = _params(function) if function else []
        if isinstance(arg, ast.Name) and function and arg.id in params:
            default = _defaults(function).get(arg.id)
            self.forwarders[function.name] = (params.index(arg.id), arg.id, default)
            return
        self.made_at_run_time.add(f"{self.path}:{function.name if function else '<module>'}")


def _params(function: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str]:
    args = function.args
    return [a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)]


def _defaults(function: ast.FunctionDef | ast.AsyncFunctionDef) -> dict[str, str | None]:
    args = function.args
    positional = [*args.posonlyargs, *args.args]
    pairs = list(
        zip(positional[len(positional) - len(args.defaults) :], args.defaults, strict=True)
    )
    pairs += [
        (a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True) if d is not None
    ]
    return {a.arg: _literal(d) for a, d in pairs}


def _forwarded(
    trees: dict[str, ast.Module], forwarders: dict[str, tuple[int, str, str | None]]
) -> set[str]:
    """Literal codes given to the functions that pass a parameter on as a code."""
    codes = {default for _, _, default in forwarders.values() if default}
    for tree in trees.values():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and (found := forwarders.get(_name(node.func))):
                index, param, _ = found
                offset = 1 if isinstance(node.func, ast.Attribute) else 0  # self.method(...)
                given = [k.value for k in node.keywords if k.arg == param]
                given += [a for i, a in enumerate(node.args) if i in (index, index - offset)]
                codes |= {c for c in map(_literal, given) if c and "." in c}
    return codes


def hub_codes() -> tuple[set[str], set[str]]:
    """(every code the sources can answer, the places making codes at run time)."""
    trees = {p: t for p, t in _trees().items() if p not in EXCLUDED_FILES}
    carriers = _error_classes(trees)
    codes: set[str] = set()
    forwarders: dict[str, tuple[int, str, str | None]] = {}
    run_time: set[str] = set()
    for path, tree in trees.items():
        scan = _Scan(path, carriers)
        scan.visit(tree)
        codes |= scan.codes
        forwarders |= scan.forwarders
        run_time |= scan.made_at_run_time
    codes |= _forwarded(trees, forwarders) | DERIVED
    for place in run_time:
        codes |= MADE_AT_RUN_TIME.get(place, frozenset())
    return codes - set(NOT_FOR_PEOPLE), run_time


# '<code>': ['<zh>', '<en>'] (TS strings in single quotes, or double when holding a ')
_TS_STRING = r"""(?:'((?:[^'\\\n]|\\.)*)'|"((?:[^"\\\n]|\\.)*)")"""
_ENTRY = re.compile(rf"'([a-z][a-z0-9_.]*)'\s*:\s*\[\s*{_TS_STRING}\s*,\s*{_TS_STRING}\s*,?\s*\]")
# the core table, and plugins' calls (at a line's start: not the example in a doc comment)
_BLOCKS = re.compile(
    r"const NAMES\b[^{]*\{(.*?)\n\}|^\s*registerErrorNames\(\{(.*?)\}\)", re.S | re.M
)


def _ui_sources() -> Iterator[Path]:
    yield from (ROOT / "consoles/web/src").rglob("*.ts")
    yield from (ROOT / "consoles/web/src").rglob("*.vue")
    for ui in (ROOT / "plugins").glob("*/ui/src"):
        yield from ui.rglob("*.ts")
        yield from ui.rglob("*.vue")


def ui_names() -> dict[str, tuple[str, str]]:
    names: dict[str, tuple[str, str]] = {}
    for path in _ui_sources():
        for block in _BLOCKS.finditer(path.read_text()):
            for code, *quoted in _ENTRY.findall(block.group(1) or block.group(2)):
                names.setdefault(code, (quoted[0] or quoted[1], quoted[2] or quoted[3]))
    return names


_CJK = re.compile(r"[\u4e00-\u9fff]")


def test_the_extraction_finds_codes_of_every_kind() -> None:
    codes, _ = hub_codes()
    assert {"auth.invalid_credentials", "incident.not_found"} <= codes  # HubError subclasses
    assert "media.worker_down" in codes  # ControlError
    assert {"request.json_invalid", "appeal.category_not_public"} <= codes  # parameter defaults
    assert "frame.malformed" in codes  # a socket acknowledgement's literal
    assert len(codes) > 150


def test_every_place_making_a_code_at_run_time_is_listed() -> None:
    _, run_time = hub_codes()
    assert run_time == set(MADE_AT_RUN_TIME), "list the codes such a place can make"


def test_every_code_has_a_chinese_and_an_english_name() -> None:
    codes, _ = hub_codes()
    names = ui_names()
    missing = sorted(codes - set(names))
    assert not missing, f"name these in consoles/web/src/shared/errorNames.ts: {missing}"
    for code in codes:
        zh, en = names[code]
        assert _CJK.search(zh), f"{code}: the zh name has no Chinese: {zh!r}"
        assert en.strip(), f"{code}: no en name"
        assert not _CJK.search(en), f"{code}: the en name is not English: {en!r}"


def test_every_line_of_the_core_table_is_read() -> None:
    table = (ROOT / "consoles/web/src/shared/errorNames.ts").read_text()
    block = next(b.group(1) for b in _BLOCKS.finditer(table) if b.group(1))
    written = re.findall(r"^\s*'([a-z][a-z0-9_.]*)'\s*:", block, re.M)
    assert len(written) > 200
    assert [m.group(1) for m in _ENTRY.finditer(block)] == written, "an entry is not read"
    assert len(set(written)) == len(written), "a code is named twice"


def test_no_code_is_both_a_name_and_a_group() -> None:
    # errors.<code> is a path in vue-i18n's messages: `a.b` and `a.b.c` cannot both be leaves
    names = set(ui_names())
    assert not {c for c in names if any(o.startswith(c + ".") for o in names)}
