"""Seeding the demo county: one Argon2 hash for the accounts sharing the published demo
password (a fresh demo waited ≈ 15 s hashing it 87 times), a salt per account elsewhere."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from hub.demo_data import DEMO_PASSWORD, demo_grids, demo_people
from hub.identity import Passwords
from hub.people import PersonSpec
from hub.runtime import CLI, open_core, seed_demo
from tests.hub.conftest import make_settings


def password_hashes(data_dir: Path) -> list[str]:
    with sqlite3.connect(data_dir / "gridhub.db") as conn:
        found = [row[0] for row in conn.execute("SELECT password_hash FROM people")]
    conn.close()
    return found


async def test_the_demo_seed_hashes_the_shared_password_once(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    async with open_core(settings) as core:
        assert await seed_demo(core, tmp_path)
    hashes = password_hashes(tmp_path)
    assert len(hashes) == len(demo_people())
    assert len(set(hashes)) == 1
    assert await Passwords(settings.auth).verify(hashes[0], DEMO_PASSWORD)
    assert not await Passwords(settings.auth).verify(hashes[0], DEMO_PASSWORD + "x")


async def test_an_ordinary_import_salts_every_account(tmp_path: Path) -> None:
    async with open_core(make_settings(tmp_path)) as core:
        await core.grids.import_geojson(demo_grids(), CLI)
        specs = [
            PersonSpec(username=name, display_name=name, password="same-password-1")
            for name in ("alice", "bob")
        ]
        assert await core.people.import_specs(specs, core.grids.index, CLI) == (2, 0)
    assert len(set(password_hashes(tmp_path))) == 2
