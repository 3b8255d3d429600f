"""The prebuilt bundle gridhub-hello ships (gridhub_hello/static) is what its ui/src builds to:
rebuilt with the package's own ui/build.sh into a temporary folder, byte for byte. A source
change committed without its rebuilt bundle fails here."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.plugin_package.conftest import PACKAGE

BUILD = PACKAGE / "ui" / "build.sh"
STATIC = PACKAGE / "gridhub_hello" / "static"
BUILD_S = 180


def files_of(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_the_committed_bundle_is_built_from_its_sources(tmp_path: Path) -> None:
    if shutil.which("node") is None:  # scripts/setup installs it; scripts/test runs setup
        pytest.fail("node is not installed: run scripts/setup", pytrace=False)
    out = tmp_path / "static"
    done = subprocess.run(
        ["bash", str(BUILD), "--outDir", str(out), "--emptyOutDir"],
        capture_output=True, text=True, timeout=BUILD_S, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    built, committed = files_of(out), files_of(STATIC)
    assert sorted(built) == sorted(committed)
    stale = [name for name in built if built[name] != committed[name]]
    assert stale == [], f"rebuild with {BUILD.relative_to(PACKAGE.parent)} and commit: {stale}"
