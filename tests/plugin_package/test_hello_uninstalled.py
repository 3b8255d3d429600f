"""Uninstalling gridhub-hello leaves a hub that starts cleanly on the database the plugin used:
its table, its revision and its role assignments are still there, and nothing trips on them.

"Uninstalled" is what `pip uninstall` leaves: the files its RECORD lists are gone from
site-packages. A copy of the venv would be heavy, so the hub runs (`gridhub serve`, a real
process) on a stand-in site-packages: a folder of links to every entry of the venv's, but those
the distribution installed. The process starts without the venv's site-packages (`python -S`)
and adds the stand-in with `site.addsitedir`, so .pth files (the editable gridhub) still work.
"""

from __future__ import annotations

import asyncio
import signal
import sys
import sysconfig
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import metadata
from pathlib import Path

import aiohttp

from hub.testing import PASSWORD, RunningHub
from tests.hub.processes import clean_env
from tests.plugin_package.conftest import (
    COMMANDER,
    COUNTY,
    DISTRIBUTION,
    KEEPER,
    VILLAGE,
)
from tests.services import free_port

STARTUP_S = 60.0

DRIVER = """\
import site
import sys
from importlib import metadata, util

site.addsitedir(sys.argv.pop(1))
assert util.find_spec("gridhub_hello") is None, "gridhub_hello is still importable"
names = {ep.name for ep in metadata.entry_points(group="gridhub.plugins")}
assert "hello" not in names, names
from hub.cli import main

sys.argv[0] = "gridhub"
main()
"""


def site_without(distribution: str, into: Path) -> Path:
    """A stand-in for site-packages: links to all its entries but the distribution's files."""
    site_packages = Path(sysconfig.get_paths()["purelib"])
    files = metadata.distribution(distribution).files or []
    installed = {Path(str(f)).parts[0] for f in files if not str(f).startswith("..")}
    assert "gridhub_hello" in installed, installed
    into.mkdir()
    for entry in site_packages.iterdir():
        if entry.name not in installed:
            (into / entry.name).symlink_to(entry)
    return into


@asynccontextmanager
async def serving(site: Path, data_dir: Path, log: Path) -> AsyncIterator[str]:
    """`gridhub serve` on the stand-in site-packages; yields its URL once it listens."""
    driver = site.parent / "driver.py"
    driver.write_text(DRIVER)
    port = free_port()
    args = ["serve", "--data-dir", str(data_dir), "--host", "127.0.0.1", "--port", str(port)]
    with log.open("ab") as stderr:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-S", str(driver), str(site), *args,
            stdout=asyncio.subprocess.PIPE, stderr=stderr, env=clean_env(), cwd=site.parent,
        )  # fmt: skip
    try:
        await _listening(process, log)
        yield f"http://127.0.0.1:{port}"
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 30) == 0, log_text(log)[-4000:]
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


def log_text(log: Path) -> str:
    return log.read_text(errors="replace")


async def _listening(process: asyncio.subprocess.Process, log: Path) -> None:
    assert process.stdout is not None
    deadline = time.monotonic() + STARTUP_S
    while True:
        line = await asyncio.wait_for(process.stdout.readline(), deadline - time.monotonic())
        assert line, f"serve exited; stderr:\n{log_text(log)[-4000:]}"
        if b"is listening on" in line:
            return


async def test_the_hub_starts_on_its_database_once_it_is_uninstalled(
    hello_hub: RunningHub, tmp_path: Path
) -> None:
    await hello_hub.grant(COMMANDER, KEEPER, COUNTY)
    village = await hello_hub.grid_id(VILLAGE)
    body = {"grid_id": village, "text": "再见"}
    await (await hello_hub.admin()).json("POST", "/api/v1/hello/greetings", json=body)
    await hello_hub.stop()  # the hub with the plugin stops

    site = site_without(DISTRIBUTION, tmp_path / "site-packages")
    log = tmp_path / "serve.log"
    async with serving(site, hello_hub.data_dir, log) as url, aiohttp.ClientSession() as http:
        health = await http.get(f"{url}/healthz")
        assert (health.status, (await health.json())["status"]) == (200, "ok")
        signed_in = await http.post(
            f"{url}/api/v1/auth/login", json={"username": COMMANDER, "password": PASSWORD}
        )
        assert signed_in.status == 200  # their hello_keeper assignment is skipped
        headers = {"Authorization": f"Bearer {(await signed_in.json())['access_token']}"}
        me = await (await http.get(f"{url}/api/v1/auth/me", headers=headers)).json()
        assert KEEPER not in {grant["role"] for grant in me["roles"]}
        manifest = await (await http.get(f"{url}/api/v1/ui/manifest", headers=headers)).json()
        assert "hello" not in {p["name"] for p in manifest["plugins"]}
        gone = await http.get(f"{url}/api/v1/hello/greetings", headers=headers)
        assert gone.status == 404
    assert "h0001_hello" in log_text(log)  # its revision was left alone, and said so
