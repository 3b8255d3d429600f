"""``gridhub-load`` / ``python -m loadtests``: run a load scenario against a GridHub deployment.

gridhub-load run county-day --url http://127.0.0.1:8080
gridhub-load run smoke --spawn-hub --json out.json --html out.html --baseline python,node
gridhub-load list
gridhub-load check my-scenario.toml
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import shutil
import sys
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from loadtests import html, progress, report
from loadtests.compare import KINDS, unpinned
from loadtests.realtime.receivers import RECEIVER_KINDS
from loadtests.realtime.servers import hub_process, pin_self_to_client_core, wait_for_text
from loadtests.runner import RunOptions, run
from loadtests.scenario import (
    SCENARIOS,
    Fanout,
    Scenario,
    ScenarioError,
    check_targets,
    from_dict,
    load,
)

EXIT_INVALID = 2
SPAWNED_DISPATCH = {"appeal_limit": 1000, "appeal_window_s": 1}


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="gridhub-load",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run", help="run a scenario (a name in loadtests/scenarios or a path)")
    r.add_argument("scenario")
    r.add_argument("--url", action="append", default=[], help="a hub node (repeat for a cluster)")
    r.add_argument(
        "--spawn-hub", action="store_true", help="start a `gridhub demo` hub for the run"
    )
    r.add_argument("--data-dir", type=Path, help="the spawned hub's data dir (default: fresh)")
    r.add_argument(
        "--allow-host",
        action="append",
        default=[],
        help="a non-loopback host you mean to load (repeatable)",
    )
    r.add_argument(
        "--metrics-token",
        default=os.environ.get("GRIDHUB_METRICS_TOKEN"),
        help="the hub's metrics_token, to read /metrics of a hub not on this machine "
        "(default: $GRIDHUB_METRICS_TOKEN)",
    )
    r.add_argument("--baseline", default="", help="comma list of: python,node")
    r.add_argument(
        "--receivers",
        choices=RECEIVER_KINDS,
        default="raw",
        help="fan-out receivers: raw (engine.io framed by hand, cheapest), aiohttp (engine.io "
        "on aiohttp's WebSocket client) or socketio (python-socketio clients)",
    )
    r.add_argument("--duration", type=float, help="override duration_s")
    r.add_argument("--processes", type=int, help="override processes (client processes)")
    r.add_argument("--json", type=Path, help="write the results here")
    r.add_argument("--html", type=Path, help="write the HTML report here")
    r.add_argument("--quiet", action="store_true", help="no live progress")
    r.add_argument(
        "--no-pin",
        action="store_true",
        help="do not pin servers to core 0 and clients to core 1 (busy shared machine)",
    )
    sub.add_parser("list", help="the ready scenarios")
    c = sub.add_parser("check", help="validate a scenario file and print it resolved")
    c.add_argument("scenario")
    return p


def baselines(text: str) -> list[str]:
    kinds = [k.strip() for k in text.split(",") if k.strip()]
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        raise ScenarioError(f"--baseline: unknown {unknown[0]!r} (choose from {', '.join(KINDS)})")
    return kinds


def effective(args: argparse.Namespace) -> tuple[Scenario, list[str]]:
    """The scenario with the command line's overrides, validated as a whole."""
    s = load(args.scenario)
    changes: dict[str, Any] = {}
    if args.duration is not None:
        changes["duration_s"] = args.duration
    if args.processes is not None:
        changes["processes"] = args.processes
    kinds = baselines(args.baseline)
    if kinds and s.fanout is None:
        changes["fanout"] = Fanout()
    data = dataclasses.replace(s, **changes).public()
    return from_dict(data, f"{args.scenario} (with command-line overrides)"), kinds


@asynccontextmanager
async def spawned_hub(
    data_dir: Path | None, work: Path, pin: bool
) -> AsyncIterator[tuple[str, int]]:
    """A `gridhub demo` subprocess on 127.0.0.1 (pinned to core 0 on a 2-core machine)."""
    hub = unpinned(hub_process(data_dir or (work / "hub-data")), pin)
    hub.env["GRIDHUB_PLUGINS__CONFIG"] = json.dumps({"dispatch": SPAWNED_DISPATCH})
    (data_dir or work / "hub-data").mkdir(parents=True, exist_ok=True)
    await hub.start()
    try:
        await wait_for_text(hub, "is listening", 120.0)
        yield hub.url, hub.pid
    finally:
        hub.stop()


async def execute(args: argparse.Namespace, s: Scenario, kinds: list[str], work: Path) -> Any:
    urls = list(args.url) or list(s.target.urls)
    pin = not args.no_pin
    if args.spawn_hub:
        if pin:
            pin_self_to_client_core()
        async with spawned_hub(args.data_dir, work, pin) as (url, pid):
            opts = RunOptions(s, [url], work, kinds, pid, live=not args.quiet, pin=pin,
                              receivers=args.receivers)  # fmt: skip
            return await run(opts), [url]
    opts = RunOptions(
        s,
        urls,
        work,
        kinds,
        live=not args.quiet,
        pin=pin,
        metrics_token=args.metrics_token,
        receivers=args.receivers,
    )
    return await run(opts), urls


def run_command(args: argparse.Namespace) -> int:
    s, kinds = effective(args)
    if not args.spawn_hub:
        check_targets(list(args.url) or list(s.target.urls), args.allow_host)
    work = Path(tempfile.mkdtemp(prefix="gridhub-load-"))
    try:
        raw, urls = asyncio.run(execute(args, s, kinds, work))
    except BaseException:
        progress.finish_line(not args.quiet)
        print(f"gridhub-load: logs kept in {work}", file=sys.stderr)
        raise
    progress.finish_line(not args.quiet)
    results = report.build(s, urls, raw, ["gridhub-load", *sys.argv[1:]])
    results["machine"]["pinned"] = results["machine"]["pinned"] and not args.no_pin
    print(report.table(results))
    write_outputs(args, results)
    if results["errors"]:
        print(f"gridhub-load: there were errors; logs (hub, clients, baselines) kept in {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def write_outputs(args: argparse.Namespace, results: dict[str, Any]) -> None:
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n")
        print(f"JSON results: {args.json}")
    if args.html:
        args.html.write_text(html.render(results), encoding="utf-8")
        print(f"HTML report: {args.html}")


def list_command() -> int:
    for path in sorted(SCENARIOS.glob("*.toml")):
        s = load(str(path))
        print(f"{path.stem:<12} {s.description}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        if args.command == "list":
            return list_command()
        if args.command == "check":
            print(json.dumps(load(args.scenario).public(), indent=1, ensure_ascii=False))
            return 0
        return run_command(args)
    except ScenarioError as exc:
        print(f"gridhub-load: {exc}", file=sys.stderr)
        return EXIT_INVALID
