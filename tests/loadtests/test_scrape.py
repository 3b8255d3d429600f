"""The load tool reads /metrics of the hub it loads: on this machine without a token, elsewhere
with the hub's metrics_token (`--metrics-token`)."""

from __future__ import annotations

from loadtests.scrape import change, scrape_all
from tests.hub.conftest import StartHub

TOKEN = "metrics-token-for-the-load-tool"


def base(url: object) -> str:
    return str(url).rstrip("/")


async def test_a_hub_on_this_machine_is_read_without_a_token(start_hub: StartHub) -> None:
    url = base((await start_hub()).client.make_url("/"))
    before, after = await scrape_all([url]), await scrape_all([url])
    moved = change(before[0], after[0])
    assert moved["available"]
    assert any('route="/metrics"' in series for series in moved["deltas"])  # the first scrape


async def test_a_hub_elsewhere_is_read_with_its_metrics_token(start_hub: StartHub) -> None:
    # 192.0.2.0/24 stands for the scrapers a remote hub allows: this machine is not one of them.
    hub = await start_hub(metrics_allowed_networks=["192.0.2.0/24"], metrics_token=TOKEN)
    url = base(hub.client.make_url("/"))
    assert await scrape_all([url]) == [""]  # refused: the report says "not available"
    [text] = await scrape_all([url], TOKEN)
    assert "# TYPE gridhub_http_requests_total counter" in text
