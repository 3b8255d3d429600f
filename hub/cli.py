"""The `gridhub` command: serve, demo (and its base map), migrate, config, users, devices,
grids, people."""

from __future__ import annotations

import asyncio
import gc
import json
import secrets
import signal
import sys
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import asdict
from pathlib import Path
from typing import Any, TypeVar

import click
import uvloop
from aiohttp import web
from pydantic import ValidationError

from hub import backup as backups
from hub import basemap, demo_data, plugins
from hub import doctor as doctors
from hub import people as people_mod
from hub import restore as restores
from hub.app import build_app
from hub.devices import DeviceSpec, DeviceUpdate
from hub.errors import HubError
from hub.gridstore import export_geojson
from hub.keys import CHAT, DEVICES, GRIDS, PEOPLE, PLUGINS, SESSIONS
from hub.observability import configure_logging
from hub.outside_changes import note_people_changed
from hub.people import GrantSpec, PersonSpec
from hub.runtime import CLI, Core, downgrade, ensure_admin, open_core, seed_demo
from hub.settings import Settings, describe_errors, load_settings, masked
from storage.migrate import SchemaTooNew

T = TypeVar("T")


def common(func: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option(
            "--config",
            "config",
            type=click.Path(dir_okay=False, path_type=Path),
            help="TOML settings file (also GRIDHUB_CONFIG)",
        ),
        click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path)),
        click.option("--database-url", help="SQLAlchemy URL; default SQLite in the data dir"),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def settings_from(config: Path | None, **flags: Any) -> Settings:
    try:
        return load_settings(config, **flags)
    except ValidationError as exc:  # the values given are left out: they may be secrets
        raise click.ClickException(f"invalid settings: {describe_errors(exc)}") from None
    except FileNotFoundError as exc:
        raise click.ClickException(f"invalid settings: {exc}") from exc


def run(coro: Coroutine[Any, Any, T]) -> T:
    try:
        result: T = uvloop.run(coro)
        return result
    except HubError as exc:
        raise click.ClickException(f"{exc.code}: {exc.message}") from exc
    except SchemaTooNew as exc:  # this code is older than the database: it must not touch it
        raise click.ClickException(str(exc)) from exc


@click.group()
def main() -> None:
    """GridHub: real-time command and communication hub for grid governance."""


@main.command()
@common
@click.option("--host")
@click.option("--port", type=int)
def serve(config: Path | None, **flags: Any) -> None:
    """Run the hub. On first start an admin with a random password is created and printed."""
    settings = settings_from(config, **flags)
    configure_logging(settings.log_level, settings.log_json)
    run(_serve(settings, demo=False))


@main.command()
@common
@click.option("--host")
@click.option("--port", type=int)
def demo(config: Path | None, **flags: Any) -> None:
    """Run the hub with the demo county (seeded into an empty data dir)."""
    settings = settings_from(config, **flags)
    configure_logging(settings.log_level, settings.log_json)
    run(_serve(with_demo_base_map(settings), demo=True))


DEMO_BASE_MAP = "demo-basemap.mbtiles"


def with_demo_base_map(settings: Settings) -> Settings:
    """The demo's own base map, drawn into the data dir on first start, unless the settings
    name a base map already (map_tiles or map_tile_url)."""
    if settings.map_tiles or settings.map_tile_url:
        return settings
    target = settings.data_dir / DEMO_BASE_MAP
    if not target.is_file():
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        _draw_demo_base_map(target)
    return settings.model_copy(update={"map_tiles": target})


def _draw_demo_base_map(target: Path) -> None:
    started = time.monotonic()
    drawn = basemap.from_grids(demo_data.demo_grids())
    count = basemap.write_mbtiles(drawn, target, basemap.DEMO_ZOOMS, "寿光市 demo base map")
    took = time.monotonic() - started
    click.echo(f"Demo base map drawn: {count} tiles in {took:.1f} s ({target})")


@main.command("demo-basemap")
@click.argument("output", type=click.Path(dir_okay=False, path_type=Path))
def demo_basemap(output: Path) -> None:
    """Draw the demo county's base map into an MBTiles file (map_tiles = OUTPUT to serve it)."""
    _draw_demo_base_map(output)


# How long a stopping hub lets requests in flight finish before it cancels them (aiohttp's
# default is 60 s). Sockets do not wait for it: they are closed as the shutdown begins.
SHUTDOWN_GRACE_S = 15.0


async def _serve(settings: Settings, *, demo: bool) -> None:
    app = build_app(settings)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=SHUTDOWN_GRACE_S)
    await runner.setup()
    try:
        # The port opens only once the hub is ready (demo seeded, first admin made): that is
        # the readiness signal, so a client never meets an empty county or a missing admin.
        await _prepare(app, settings, demo)
        await web.TCPSite(runner, settings.host, settings.port).start()
        url = f"http://{settings.host}:{settings.port}"
        click.echo(f"GridHub is listening on {url}  (health: {url}/healthz)", err=False)
        # Start-up objects (code, tables, the grid index) live forever: take them out of the
        # collector's view so full collections stay short under load.
        gc.collect()
        gc.freeze()
        await _wait_for_signal()
    finally:
        await runner.cleanup()


async def _prepare(app: web.Application, settings: Settings, demo: bool) -> None:
    core = Core(app[SESSIONS], app[GRIDS], app[PEOPLE], app[DEVICES])
    if demo and await seed_demo(core, settings.data_dir):
        await app[GRIDS].reload()
        # The seed writes people straight to the database (no PersonChanged on the bus), so the
        # grid channels get their members here.
        await app[CHAT].sync_grid_channels(app[GRIDS].index)
        click.echo("Demo county seeded (寿光市: 3 towns, 12 villages, 60 grids).")
    if demo:
        await app[PLUGINS].seed_demo_all()
        click.echo(f"Demo accounts, all with password {demo_data.DEMO_PASSWORD}:")
        click.echo(demo_data.DEMO_ACCOUNTS_DOC)
    created = await ensure_admin(core)
    if created:
        click.echo(f"Created the first admin: username {created[0]}  password {created[1]}")
        click.echo("This password is shown once; change it after signing in.")


async def _wait_for_signal() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()


@main.command()
@common
@click.option(
    "--to",
    "targets",
    multiple=True,
    metavar="REVISION",
    help="undo migrations down to this revision (the previous release's; repeatable)",
)
def migrate(config: Path | None, targets: tuple[str, ...], **flags: Any) -> None:
    """Apply database migrations: the core and every enabled plugin's. With --to, undo the
    newer ones instead (a downgrade: run it with the newer code, every node stopped)."""
    settings = settings_from(config, **flags)
    chosen = plugins.select(plugins.discover(), settings.plugins.enabled, settings.plugins.disabled)
    dirs = [p.migrations for p in chosen if p.migrations is not None]
    if targets:
        heads = run(downgrade(settings, targets, dirs))
        click.echo(f"database is at {', '.join(sorted(heads)) or 'base'}")
        return

    async def go() -> None:
        async with open_core(settings, dirs):
            pass

    run(go())
    click.echo("database is up to date")


@main.command()
@common
@click.option("--keep", type=click.IntRange(1), help="newest backups kept (default backup.keep)")
@click.option("--keep-days", type=click.FloatRange(0, min_open=True), help="older ones removed")
def backup(config: Path | None, keep: int | None, keep_days: float | None, **flags: Any) -> None:
    """Back up the database, uploads and recordings into backup.directory, then rotate."""
    settings = settings_from(config, **flags)
    rules = {k: v for k, v in (("keep", keep), ("keep_days", keep_days)) if v is not None}
    if rules:
        settings.backup = settings.backup.model_copy(update=rules)
    made = run_backup(backups.make_backup(settings))
    click.echo(f"备份完成 / backup made: {made.path} ({made.files} files, {made.size} bytes)")
    for path in made.removed:
        click.echo(f"已轮换删除 / rotated out: {path}")


@main.command()
@common
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="restore over a deployment that is not empty")
@click.option("--verify-only", is_flag=True, help="check the backup's checksums; restore nothing")
def restore(
    config: Path | None, folder: Path, force: bool, verify_only: bool, **flags: Any
) -> None:
    """Restore a backup into an empty deployment (stop the hub first); checksums are verified
    before anything is written."""
    settings = settings_from(config, **flags)
    if verify_only:
        manifest = run_backup(restores.verify(folder))
        click.echo(f"备份完好 / backup intact: {len(manifest.files)} files")
        return
    done = run_backup(restores.restore(settings, folder, force=force))
    click.echo(f"恢复完成 / restored: {done.database} database, {done.files} files")


def run_backup(coro: Coroutine[Any, Any, T]) -> T:
    try:
        return run(coro)
    except backups.BackupError as exc:
        raise click.ClickException(str(exc)) from exc


@main.command()
@common
@click.option("--timeout", "timeout_s", type=click.FloatRange(0.1, 60), default=5.0)
@click.option("--max-skew", "max_skew_s", type=click.FloatRange(0), default=2.0)
@click.option("--min-free-gb", type=click.FloatRange(0), default=2.0, help="per data disk")
@click.option("--json", "as_json", is_flag=True, help="findings as JSON")
@click.option("--node", "nodes", multiple=True, help="another node's URL: health and clock")
def doctor(
    config: Path | None,
    nodes: tuple[str, ...],
    timeout_s: float,
    max_skew_s: float,
    min_free_gb: float,
    as_json: bool,
    **flags: Any,
) -> None:
    """Check the deployment (database, migrations, Redis, clocks, media workers, disk, TURN);
    exit code 1 when something fails."""
    settings = settings_from(config, **flags)
    limits = doctors.Limits(timeout_s, max_skew_s, int(min_free_gb * 1024**3))
    findings = run(doctors.diagnose(settings, limits, nodes=nodes))
    if as_json:
        click.echo(json.dumps([asdict(f) for f in findings], ensure_ascii=False))
    for finding in [] if as_json else findings:
        click.echo(finding.line())
    if any(f.level == "fail" for f in findings):
        sys.exit(1)


@main.command("seed-demo")
@common
def seed_demo_command(config: Path | None, **flags: Any) -> None:
    """Load the demo county into an empty database without serving (e.g. before a cluster)."""
    settings = settings_from(config, **flags)

    async def go(core: Core) -> bool:
        return await seed_demo(core, settings.data_dir)

    seeded = run(_with_core(settings, go))
    click.echo("demo county seeded" if seeded else "database not empty; nothing seeded")


@main.group("config")
def config_group() -> None:
    """Inspect settings."""


@config_group.command("show")
@common
@click.option("--host")
@click.option("--port", type=int)
def config_show(config: Path | None, **flags: Any) -> None:
    """Print the effective settings (flags > GRIDHUB_* env > TOML), secrets masked."""
    settings = settings_from(config, **flags)
    click.echo(json.dumps(masked(settings), indent=2, ensure_ascii=False))


@main.group()
def user() -> None:
    """Manage people who sign in."""


@user.command("add")
@common
@click.argument("username")
@click.option("--name", "display_name", help="display name (default: username)")
@click.option(
    "--role", "roles", multiple=True, required=True, help="ROLE@GRIDCODE, or admin; repeatable"
)
@click.option("--password", help="default: a random one, printed once")
def user_add(
    config: Path | None,
    username: str,
    display_name: str | None,
    roles: tuple[str, ...],
    password: str | None,
    **flags: Any,
) -> None:
    """Create a person with roles over grids."""
    settings = settings_from(config, **flags)
    secret = password or secrets.token_urlsafe(12)
    try:
        spec = PersonSpec(
            username=username,
            display_name=display_name or username,
            password=secret,
            roles=[_role(r) for r in roles],
        )
    except ValidationError as exc:
        raise click.ClickException(str(exc)) from exc

    async def go(core: Core) -> None:
        await core.people.create(spec, core.grids.index, CLI)
        await note_people_changed(core.sessions)  # a running hub follows (grid channels)

    run(_with_core(settings, go))
    click.echo(f"created {username}" + ("" if password else f"; password: {secret}"))


def _role(text: str) -> GrantSpec:
    """ROLE@GRIDCODE; whether the role exists is checked against the enabled plugins' roles
    when the person is created (people.unknown_role)."""
    role, _, grid = text.partition("@")
    try:
        return GrantSpec(role=role, grid=grid or None)
    except ValueError as exc:
        raise click.BadParameter(f"not a role: {role!r}") from exc


@main.group()
def device() -> None:
    """Manage IoT devices."""


@device.command("add")
@common
@click.argument("code")
@click.option("--name", required=True)
@click.option("--type", "device_type", required=True)
@click.option("--grid", help="grid code (or give --lat/--lon to locate it)")
@click.option("--lat", type=float)
@click.option("--lon", type=float)
def device_add(
    config: Path | None,
    code: str,
    name: str,
    device_type: str,
    grid: str | None,
    lat: float | None,
    lon: float | None,
    **flags: Any,
) -> None:
    """Register a device; prints its secret key once (only a hash is stored)."""
    settings = settings_from(config, **flags)
    try:
        spec = DeviceSpec(
            code=code, name=name, device_type=device_type, grid=grid, lat=lat, lon=lon
        )
    except ValidationError as exc:
        raise click.ClickException(str(exc)) from exc

    async def go(core: Core) -> str:
        return (await core.devices.add(spec, core.grids.index, CLI)).key

    key = run(_with_core(settings, go))
    click.echo(f"device {code} registered; key (shown once): {key}")


@device.command("list")
@common
def device_list(config: Path | None, **flags: Any) -> None:
    """Devices with grid, state, firmware and last seen."""
    settings = settings_from(config, **flags)

    async def go(core: Core) -> list[str]:
        index = core.grids.index
        rows = await core.devices.in_grids(None)
        return [
            "\t".join(
                (
                    d.code,
                    d.device_type,
                    index.get(d.grid_id).code if d.grid_id and d.grid_id in index else "-",
                    "active" if d.is_active else "disabled",
                    d.firmware or "-",
                    d.last_seen_at.isoformat() if d.last_seen_at else "never",
                )
            )
            for d in rows
        ]

    for line in run(_with_core(settings, go)):
        click.echo(line)


@device.command("rotate-key")
@common
@click.argument("code")
def device_rotate_key(config: Path | None, code: str, **flags: Any) -> None:
    """Issue a new key (shown once); the old one stops working."""
    settings = settings_from(config, **flags)

    async def go(core: Core) -> str:
        return (await core.devices.rotate_key(code, CLI)).key

    click.echo(f"device {code} new key (shown once): {run(_with_core(settings, go))}")


@device.command("update")
@common
@click.argument("code")
@click.option("--name")
@click.option("--grid", help="move the device to this grid (code)")
@click.option("--enable/--disable", "active", default=None)
@click.option("--firmware")
@click.option("--meta", multiple=True, help="metadata KEY=VALUE (repeatable)")
def device_update(
    config: Path | None,
    code: str,
    meta: tuple[str, ...],
    **flags: Any,
) -> None:
    """Rename, move to another grid, enable/disable, set firmware or metadata."""
    fields = {k: flags.pop(k) for k in ("name", "grid", "active", "firmware")}
    settings = settings_from(config, **flags)
    change = {k: v for k, v in fields.items() if v is not None}
    if meta:
        change["properties"] = dict(_pair(m) for m in meta)
    try:
        update = DeviceUpdate.model_validate(change)
    except ValidationError as exc:
        raise click.ClickException(str(exc)) from exc

    async def go(core: Core) -> None:
        await core.devices.update(code, update, core.grids.index, CLI)

    run(_with_core(settings, go))
    click.echo(f"device {code} updated: {', '.join(sorted(change)) or 'nothing'}")


def _pair(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise click.BadParameter(f"expected KEY=VALUE, got {text!r}")
    return key, value


@main.group()
def grid() -> None:
    """Import and export the grid tree as GeoJSON."""


@grid.command("import")
@common
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def grid_import(config: Path | None, file: Path, **flags: Any) -> None:
    """Upsert grids from a GeoJSON FeatureCollection (all or nothing)."""
    settings = settings_from(config, **flags)
    document = _load_json(file)

    async def go(core: Core) -> tuple[int, int]:
        result = await core.grids.import_geojson(document, CLI)
        return result.created, result.updated

    created, updated = run(_with_core(settings, go))
    click.echo(f"grids: {created} created, {updated} updated")


@grid.command("export")
@common
@click.option("--root", help="export only this grid's subtree")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path))
def grid_export(config: Path | None, root: str | None, output: Path | None, **flags: Any) -> None:
    """Write the grid tree as a GeoJSON FeatureCollection."""
    settings = settings_from(config, **flags)

    async def go(core: Core) -> dict[str, Any]:
        index = core.grids.index
        return export_geojson(index, index.by_code(root).id if root else None)

    _write(json.dumps(run(_with_core(settings, go)), ensure_ascii=False, indent=1), output)


@main.group()
def people() -> None:
    """Import and export people (JSON or CSV)."""


@people.command("import")
@common
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def people_import(config: Path | None, file: Path, **flags: Any) -> None:
    """Upsert people by username; CSV when the file ends in .csv, else JSON."""
    settings = settings_from(config, **flags)
    text = file.read_text(encoding="utf-8-sig")

    async def go(core: Core) -> tuple[int, int]:
        specs = (
            people_mod.parse_csv(text)
            if file.suffix.lower() == ".csv"
            else people_mod.parse_json(json.loads(text))
        )
        counts = await core.people.import_specs(specs, core.grids.index, CLI)
        await note_people_changed(core.sessions)  # a running hub's sockets follow
        return counts

    created, updated = run(_with_core(settings, go))
    click.echo(f"people: {created} created, {updated} updated")


@people.command("export")
@common
@click.option("--format", "fmt", type=click.Choice(["json", "csv"]), default="json")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path))
def people_export(config: Path | None, fmt: str, output: Path | None, **flags: Any) -> None:
    """Write everyone with their roles (no passwords)."""
    settings = settings_from(config, **flags)

    async def go(core: Core) -> str:
        views = await core.people.in_grids(core.grids.index, None)
        if fmt == "csv":
            return people_mod.export_csv(views)
        return json.dumps(people_mod.export_json(views), ensure_ascii=False, indent=1)

    _write(run(_with_core(settings, go)), output)


async def _with_core(settings: Settings, action: Callable[[Core], Awaitable[T]]) -> T:
    async with open_core(settings) as core:
        return await action(core)


def _load_json(file: Path) -> Any:
    try:
        return json.loads(file.read_text(encoding="utf-8-sig"))
    except ValueError as exc:
        raise click.ClickException(f"{file} is not valid JSON: {exc}") from exc


def _write(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text + "\n")
    else:
        output.write_text(text + "\n", encoding="utf-8")
        click.echo(f"wrote {output}")


if __name__ == "__main__":
    main()
