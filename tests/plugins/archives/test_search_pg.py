"""Search by name prefix on PostgreSQL: the prefix is rendered into the statement (so the
planner sees it and can use the pattern index); quotes, % and _ in it are text, not SQL or
wildcards."""

from __future__ import annotations

import pytest

from tests.plugins.archives.conftest import (
    API,
    BASIC,
    ID_MAN,
    ID_WOMAN,
    StartGridHub,
    add_resident,
    archives_hub,
    id_number,
)

pytestmark = pytest.mark.postgres


async def test_name_prefix_with_quotes_and_wildcards(
    start_gridhub: StartGridHub, postgres_url: str
) -> None:
    hub = await archives_hub(start_gridhub, database_url=postgres_url)
    officer = await hub.sign_in("arch.officer")
    basic = await hub.grid_id(BASIC)
    await add_resident(officer, basic, ID_MAN, name="O'Neil_1")
    await add_resident(officer, basic, ID_WOMAN, name="O'Neilx1")
    await add_resident(officer, basic, id_number("37078319900101001"), name="王%芳")

    async def names(prefix: str) -> list[str]:
        found = await officer.json("GET", f"{API}/residents", params={"q": prefix})
        return sorted(p["name"] for p in found["items"])

    assert await names("O'Neil") == ["O'Neil_1", "O'Neilx1"]
    assert await names("O'Neil_") == ["O'Neil_1"]  # _ is a letter here, not any letter
    assert await names("王%") == ["王%芳"]
    assert await names("王") == ["王%芳"]
    assert await names("'; DROP TABLE archives_residents; --") == []
    assert await names("O") == ["O'Neil_1", "O'Neilx1"]  # the table is still there
