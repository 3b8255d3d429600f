"""The plugin SDK: what hub.sdk exports, and what a plugin's context does with it in a real hub
(periodic jobs, audit entries in the plugin's transaction, owned channels, optional
dependencies). Dispatch is held to importing GridHub only through hub.sdk."""

from __future__ import annotations

import ast
import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy.orm import Session

import hub.sdk as sdk
from hub import audit
from hub.app import build_app
from hub.keys import CHANNELS, PEOPLE, PLUGINS
from hub.plugins import select
from tests.hub.conftest import copy_demo, make_settings, person_id

ROOT = Path(__file__).resolve().parents[2]
INTERNAL = ("hub", "storage", "media", "signaling", "consoles")
# The names the shared plan fixes for plugins (docs/plugins.md); the SDK may export more.
CONTRACT = {
    "Plugin", "BasePlugin", "PluginContext", "PluginError", "Health",
    "DomainMessage", "PersonChanged", "GridTreeChanged", "ChannelMembersChanged",
    "HubError", "InvalidInput", "NotFound", "Forbidden", "Conflict", "TooManyRequests",
    "invalid_from_pydantic",
    "Principal", "Grant", "Role", "STAFF_ROLES", "COMMAND_ROLES", "in_scope", "require_scope",
    "require_role", "require_admin", "RoleSpec",
    "Rule", "Audience", "Scope", "public", "signed_in", "for_roles", "admin_only",
    "Call", "Router", "parse_json_body", "client_address", "DbId", "BigDbId", "parse_id",
    "GridIndex", "GridNode", "PersonView", "Connection", "State", "Snapshot", "DueTimer",
    "Actor", "SYSTEM", "DecodeError", "Limits", "decode_json", "decode_msgpack", "sniff",
    "SNIFF_BYTES", "Base", "UTCDateTime", "utcnow",
    "PluginUi", "ConsolePage", "MapLayer", "ScreenPanel", "FieldTab", "DrawerCard",
    "ResidentSection", "SubjectInfo",
}  # fmt: skip


def internal_imports(path: Path) -> list[str]:
    """Every GridHub module `path` imports other than hub.sdk (at any depth of the file)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
            if node.module in INTERNAL:  # `from hub import audit` names a module too
                names = [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        found += [n for n in names if n.split(".")[0] in INTERNAL and n != "hub.sdk"]
    return found


def test_dispatch_imports_gridhub_only_through_the_sdk() -> None:
    files = sorted((ROOT / "plugins" / "dispatch").rglob("*.py"))
    assert len(files) > 20
    offending = {str(f.relative_to(ROOT)): internal_imports(f) for f in files}
    assert {f: names for f, names in offending.items() if names} == {}


def test_alarms_imports_gridhub_only_through_the_sdk() -> None:
    files = sorted((ROOT / "plugins" / "alarms").rglob("*.py"))
    assert len(files) > 15
    offending = {str(f.relative_to(ROOT)): internal_imports(f) for f in files}
    assert {f: names for f, names in offending.items() if names} == {}


def test_escalation_imports_gridhub_only_through_the_sdk() -> None:
    files = sorted((ROOT / "plugins" / "escalation").rglob("*.py"))
    assert len(files) > 10
    offending = {str(f.relative_to(ROOT)): internal_imports(f) for f in files}
    assert {f: names for f, names in offending.items() if names} == {}


def test_the_import_check_sees_every_form_of_import(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text(
        "import storage.sql\nfrom hub import audit\nfrom hub.sdk import Base\n"
        "def late() -> None:\n    from media.scope import x\n"
    )
    assert internal_imports(probe) == ["storage.sql", "hub.audit", "media.scope"]


def test_the_sdk_exports_the_contract() -> None:
    assert set(sdk.__all__) >= CONTRACT
    missing = [name for name in sdk.__all__ if not hasattr(sdk, name)]
    assert missing == []
    assert sdk.BasePlugin.optional == ()
    assert sdk.BasePlugin.roles == ()
    assert sdk.BasePlugin.ui is None
    assert sdk.BasePlugin.static is None


# --- a plugin in a real hub ---------------------------------------------------------------------


class Probe(sdk.BasePlugin):
    """Keeps its context; runs a periodic job that fails once, counts, then waits to be
    cancelled."""

    name = "probe"

    def __init__(self) -> None:
        self.runs = 0
        self.third_run = asyncio.Event()
        self.cancelled = asyncio.Event()
        self.ctx: sdk.PluginContext | None = None

    async def setup(self, ctx: sdk.PluginContext) -> None:
        self.ctx = ctx
        ctx.every(0.001, self.tick, "tick")

    async def tick(self) -> None:
        self.runs += 1
        if self.runs == 1:
            raise RuntimeError("the first run fails; the job goes on")
        if self.runs == 3:
            self.third_run.set()
            try:
                await asyncio.Event().wait()  # until shutdown cancels the job
            except asyncio.CancelledError:
                self.cancelled.set()
                raise

    @property
    def context(self) -> sdk.PluginContext:
        assert self.ctx is not None
        return self.ctx


class Named(sdk.BasePlugin):
    def __init__(self, name: str, optional: tuple[str, ...] = ()) -> None:
        self.name = name
        self.optional = optional
        self.ctx: sdk.PluginContext | None = None

    async def setup(self, ctx: sdk.PluginContext) -> None:
        self.ctx = ctx


@asynccontextmanager
async def serving(app: web.Application) -> AsyncIterator[TestClient[Any, Any]]:
    client: TestClient[Any, Any] = TestClient(TestServer(app))
    await client.start_server()
    try:
        yield client
    finally:
        await client.close()


def probe_app(tmp_path: Path, *extra: sdk.BasePlugin) -> tuple[web.Application, Probe]:
    probe = Probe()
    found = {p.name: p for p in (probe, *extra)}
    return build_app(make_settings(tmp_path), available_plugins=found), probe


async def test_every_runs_a_job_repeatedly_past_a_failure_and_stops_at_shutdown(
    tmp_path: Path,
) -> None:
    app, probe = probe_app(tmp_path)
    async with serving(app):
        await asyncio.wait_for(probe.third_run.wait(), 10)
        assert not probe.cancelled.is_set()
    assert probe.cancelled.is_set()
    assert probe.runs == 3


async def entries(ctx: sdk.PluginContext, action: str) -> list[tuple[str, str, dict[str, Any]]]:
    found = await audit.query(ctx.sessions, audit.AuditQuery(action=action))
    return [(e.actor, e.target_id, e.details) for e in found]


class Refused(Exception):
    pass


async def write_async(ctx: sdk.PluginContext, action: str, fail: bool) -> None:
    async with ctx.sessions.begin() as session:
        ctx.audit.record(session, sdk.Actor("tester", None), action, "probe", 1, {"n": 1})
        if fail:
            raise Refused


async def write_sync(ctx: sdk.PluginContext, action: str, fail: bool) -> None:
    """A synchronous transaction body (as dispatch's writer runs them)."""

    def body(sync: Session) -> None:
        ctx.audit.record(sync, sdk.SYSTEM, action, "probe", 2)
        sync.expunge_all()  # a body that drops its session's objects keeps the audit row
        if fail:
            raise Refused

    async with ctx.sessions.begin() as session:
        await session.run_sync(body)


async def test_audit_entries_commit_and_roll_back_with_the_plugins_transaction(
    tmp_path: Path,
) -> None:
    app, probe = probe_app(tmp_path)
    async with serving(app):
        ctx = probe.context
        await write_async(ctx, "probe.kept", fail=False)
        await write_sync(ctx, "probe.sync_kept", fail=False)
        with pytest.raises(Refused):
            await write_async(ctx, "probe.undone", fail=True)
        with pytest.raises(Refused):
            await write_sync(ctx, "probe.sync_undone", fail=True)
        assert await entries(ctx, "probe.kept") == [("tester", "1", {"n": 1})]
        assert await entries(ctx, "probe.sync_kept") == [("system", "2", {})]
        assert await entries(ctx, "probe.undone") == []
        assert await entries(ctx, "probe.sync_undone") == []


async def test_first_start_is_a_lock_a_seed_can_hold(tmp_path: Path) -> None:
    app, probe = probe_app(tmp_path)
    async with serving(app):
        ctx = probe.context
        async with ctx.first_start(), ctx.sessions.begin() as session:
            ctx.audit.record(session, sdk.SYSTEM, "probe.seeded", "probe", 1)
        assert len(await entries(ctx, "probe.seeded")) == 1


async def test_for_ref_creates_a_channel_once_and_adds_members(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    settings = make_settings(tmp_path)
    await copy_demo(settings.effective_database_url, request)
    probe = Probe()
    app = build_app(settings, available_plugins={"probe": probe})
    async with serving(app):
        ctx = probe.context
        w01, w02 = await person_id(app, "w01"), await person_id(app, "w02")
        first = await ctx.channels.for_ref("probe", 7, "探针 7", [w01])
        again = await ctx.channels.for_ref("probe", 7, "another name", [w01, w02])
        other = await ctx.channels.for_ref("probe", 8, "探针 8", [])
        assert (again.id, again.name) == (first.id, "探针 7")
        assert (again.kind, again.ref) == ("probe", "probe:7")
        assert other.id != first.id
        members = await app[CHANNELS].members(first.id)
        assert sorted(m.person_id for m in members) == sorted([w01, w02])
        for kind in ("grid", "direct", "adhoc", "Bad", "x", "k" * 17):
            with pytest.raises(ValueError, match="not a kind a plugin may own"):
                await ctx.channels.for_ref(kind, 7, "no", [w01])
        with pytest.raises(ValueError, match="longer than 128"):
            await ctx.channels.for_ref("probe", "9" * 130, "no", [w01])


def test_optional_dependencies_come_first_when_enabled_and_are_ignored_when_not() -> None:
    core, addon = Named("core"), Named("addon", optional=("core", "ghost"))
    available: dict[str, sdk.Plugin] = {"addon": addon, "core": core}
    assert [p.name for p in select(available, None, ())] == ["core", "addon"]
    assert [p.name for p in select(available, None, ("core",))] == ["addon"]
    looped = {"a": Named("a", optional=("b",)), "b": Named("b", optional=("a",))}
    with pytest.raises(sdk.PluginError, match="cycle"):
        select(looped, None, ())


async def test_has_plugin_tells_which_plugins_are_enabled(tmp_path: Path) -> None:
    addon = Named("addon", optional=("ghost",))
    app, probe = probe_app(tmp_path, addon)
    async with serving(app):
        assert [p.name for p in app[PLUGINS].plugins] == ["addon", "probe"]
        assert probe.context.has_plugin("addon")
        assert probe.context.has_plugin("probe")
        assert addon.ctx is not None
        assert not addon.ctx.has_plugin("ghost")


async def test_directory_grants_of_an_active_person(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    settings = make_settings(tmp_path)
    await copy_demo(settings.effective_database_url, request)
    probe = Probe()
    app = build_app(settings, available_plugins={"probe": probe})
    async with serving(app):
        directory = probe.context.directory
        w01 = await person_id(app, "w01")
        grants = await directory.grants_of(w01)
        view = await directory.person(w01)
        assert {(g.role, g.grid_id) for g in grants} == {
            (r["role"], r["grid_id"]) for r in view.roles
        }
        assert grants
        await app[PEOPLE].set_active(w01, False, sdk.SYSTEM)
        for someone in (w01, 999_999):
            with pytest.raises(sdk.NotFound):
                await directory.grants_of(someone)
