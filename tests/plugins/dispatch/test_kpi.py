"""KPIs for the console's dashboard: counts, rates and times over a subtree and period."""

from __future__ import annotations

from tests.hub.conftest import Hub
from tests.plugins.dispatch.conftest import api_as, person_id, to_person


async def test_kpis_count_what_happened_in_the_subtree(hub: Hub) -> None:
    client = hub.client
    cmd, worker = await api_as(client, "v01.cmd"), await api_as(client, "w01")
    verifier = await api_as(client, "v01.lead")
    w01 = await person_id(client, "w01")
    closed = await cmd.report(title="已结案")
    closed = await cmd.act(closed, "dispatch", assignees=to_person(w01))
    closed = await worker.act(closed, "sign")
    closed = await worker.act(closed, "handle", note="done")
    closed = await verifier.act(closed, "verify", passed=True)
    closed = await cmd.act(closed, "close")
    await cmd.act(closed, "rate", rating=4, note="回访: 满意")
    returned = await cmd.report(category="dispute", title="退回过")
    returned = await cmd.act(returned, "dispatch", assignees=to_person(w01))
    await worker.act(returned, "return", note="不是我的")
    await worker.report(category="dispute", title="刚上报")
    elsewhere = await api_as(client, "town2.cmd")
    await elsewhere.report(grid="370783-002-001-01", title="别的镇")

    town = await api_as(client, "town1.cmd")
    kpis = await town.call("GET", "/kpis?grid=370783-001")
    overall = kpis["overall"]
    assert overall["total"] == 3  # the other town's incident is not counted
    assert overall["by_state"] == {"closed": 1, "registered": 1, "reported": 1}
    assert overall["open"] == 2
    assert overall["returned_rate"] == 1 / 3
    assert overall["rating"] == {"mean": 4.0, "count": 1}
    assert overall["on_time_rate"]["sign"] == 1.0
    assert overall["mean_handling_s"] is not None
    categories = {row["category"]: row["total"] for row in kpis["by_category"]}
    assert categories == {"dispute": 2, "env_sanitation": 1}
    assert [row["code"] for row in kpis["by_grid"]] == ["370783-001-001"]  # villages below
    people = {row["username"]: row for row in kpis["by_person"]}
    assert people["w01"]["by_state"] == {"closed": 1, "registered": 1}


async def test_kpis_check_scope_and_period(hub: Hub) -> None:
    village = await api_as(hub.client, "v01.cmd")
    refused = await village.call("GET", "/kpis?grid=370783-001", status=403)
    assert refused["error"]["code"] == "scope.forbidden"
    backwards = "/kpis?grid=370783-001-001&since=2026-02-01T00:00:00Z&until=2026-01-01T00:00:00Z"
    refused = await village.call("GET", backwards, status=422)
    assert refused["error"]["code"] == "request.query_invalid"
    empty = await village.call(
        "GET", "/kpis?grid=370783-001-001&since=2020-01-01T00:00:00Z&until=2020-02-01T00:00:00Z"
    )
    assert empty["overall"]["total"] == 0
