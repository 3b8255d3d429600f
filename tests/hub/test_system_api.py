"""Health, metrics, the OpenAPI document and the structured error body."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from hub import __version__
from tests.hub.conftest import Client, StartHub, bearer, error_code, login


async def test_healthz(client: Client) -> None:
    response = await client.get("/healthz")
    assert response.status == 200
    assert response.content_type == "application/json"
    body = await response.json()
    expected = {"status": "ok", "version": __version__, "grids": 79, "plugins": []}
    assert {key: body.get(key) for key in expected} == expected


async def test_metrics_count_requests_by_route_and_status(client: Client) -> None:
    for _ in range(3):
        assert (await client.get("/healthz")).status == 200
    response = await client.get("/metrics")
    assert response.status == 200
    assert response.content_type == "text/plain"
    text = await response.text()
    assert "# TYPE gridhub_http_requests_total counter" in text
    assert _sample(text, "gridhub_http_requests_total", route="/healthz", status="200") == 3
    assert _sample(text, "gridhub_http_request_seconds_count", route="/healthz") == 3
    again = await (await client.get("/metrics")).text()
    assert _sample(again, "gridhub_http_requests_total", route="/metrics", status="200") == 1


async def test_metrics_count_error_responses(client: Client) -> None:
    assert (await client.get("/api/v1/auth/me")).status == 401
    text = await (await client.get("/metrics")).text()
    assert _sample(text, "gridhub_http_requests_total", route="/api/v1/auth/me", status="401") == 1


SCRAPERS = "192.0.2.0/24"  # a documentation network: the test client (loopback) is not in it
REFUSED = (403, "metrics.forbidden")


async def metrics_status(client: Client, **headers: str) -> tuple[int, str | None]:
    response = await client.get("/metrics", headers=headers)
    if response.status == 200:
        return 200, None
    return response.status, await error_code(response)


async def test_metrics_are_for_allowed_addresses_only(start_hub: StartHub) -> None:
    # The default (loopback only) admits the other tests' client; this hub admits SCRAPERS.
    direct = (await start_hub(metrics_allowed_networks=[SCRAPERS])).client
    assert await metrics_status(direct) == REFUSED
    forged = {"X-Forwarded-For": "192.0.2.5"}  # from an untrusted peer: ignored
    assert await metrics_status(direct, **forged) == REFUSED
    proxy = ["127.0.0.1/32", "::1/128"]
    behind = (await start_hub(metrics_allowed_networks=[SCRAPERS], trusted_proxies=proxy)).client
    assert await metrics_status(behind, **forged) == (200, None)
    # A proxy on the same machine does not make every client a local one.
    assert await metrics_status(behind, **{"X-Forwarded-For": "203.0.113.9"}) == REFUSED


async def test_by_default_only_this_machine_reads_metrics(start_hub: StartHub) -> None:
    proxy = ["127.0.0.1/32", "::1/128"]  # a proxy on this machine, forwarding the world
    client = (await start_hub(trusted_proxies=proxy)).client
    assert await metrics_status(client) == (200, None)  # the proxy's own scrape
    assert await metrics_status(client, **{"X-Forwarded-For": "203.0.113.9"}) == REFUSED


async def test_the_metrics_token_admits_a_scraper_from_anywhere(start_hub: StartHub) -> None:
    token = "metrics-0123456789abcdef"
    hub = await start_hub(metrics_allowed_networks=[SCRAPERS], metrics_token=token)
    client = hub.client
    assert await metrics_status(client, **bearer(token)) == (200, None)
    assert await metrics_status(client, **bearer(token + "x")) == REFUSED
    assert await metrics_status(client) == REFUSED
    # A person's access token is no metrics token (and is not read as one: no 401).
    admin = await login(client, "admin", hub.admin_password)
    assert await metrics_status(client, **bearer(admin)) == REFUSED


def _sample(text: str, name: str, **labels: str) -> float:
    for line in text.splitlines():
        match = re.fullmatch(rf"{name}\{{(.*)\}} (\S+)", line)
        if match is None:
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', match.group(1)))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(match.group(2))
    raise AssertionError(f"no {name} sample with {labels}")


async def test_openapi_document(client: Client) -> None:
    response = await client.get("/api/v1/openapi.json")
    assert response.status == 200
    doc = await response.json()
    assert doc["openapi"] == "3.1.0"
    paths = doc["paths"]
    expected = {
        "/api/v1/auth/login": {"post"},
        "/api/v1/auth/refresh": {"post"},
        "/api/v1/auth/logout": {"post"},
        "/api/v1/auth/me": {"get"},
        "/api/v1/grids": {"get", "post"},
        "/api/v1/grids/{grid_id}": {"get", "patch", "delete"},
        "/api/v1/grids/import": {"post"},
        "/api/v1/people": {"get", "post"},
        "/api/v1/people/{person_id}": {"get", "patch"},
        "/api/v1/audit": {"get"},
        "/healthz": {"get"},
    }
    for path, methods in expected.items():
        assert path in paths, path
        assert methods <= set(paths[path]), path

    login = paths["/api/v1/auth/login"]["post"]
    assert "security" not in login
    body_ref = login["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert _resolve(doc, body_ref)["properties"].keys() >= {"username", "password"}
    assert paths["/api/v1/auth/me"]["get"]["security"] == [{"bearer": []}]
    grid = paths["/api/v1/grids/{grid_id}"]["get"]
    assert [p["name"] for p in grid["parameters"] if p["in"] == "path"] == ["grid_id"]

    operation_ids = [op["operationId"] for ops in paths.values() for op in ops.values()]
    assert len(operation_ids) == len(set(operation_ids))
    refs = list(_refs(doc))
    assert len(refs) > 20
    for ref in refs:
        assert ref.startswith("#/components/schemas/"), ref
        _resolve(doc, ref)


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def _resolve(doc: dict[str, Any], ref: str) -> dict[str, Any]:
    node: Any = doc
    for part in ref.removeprefix("#/").split("/"):
        assert isinstance(node, dict), f"unresolved $ref {ref}"
        assert part in node, f"unresolved $ref {ref}"
        node = node[part]
    assert isinstance(node, dict)
    return node


async def test_unknown_path_is_a_structured_404(client: Client) -> None:
    response = await client.get("/no/such/thing", headers={"X-Request-ID": "req-404"})
    assert response.status == 404
    body = await response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == "http.not_found"
    assert isinstance(body["error"]["message"], str)
    assert response.headers["X-Request-ID"] == "req-404"


async def test_bad_json_body(client: Client) -> None:
    response = await client.post(
        "/api/v1/auth/login", data=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status == 422
    assert await response.json() == {
        "error": {
            "code": "request.json_invalid",
            "message": "the document is not valid JSON",
            "details": {"reason": "frame.malformed"},
        }
    }


async def test_hostile_json_bodies_get_a_structured_error(client: Client) -> None:
    """hub.decoding's limits on every JSON body (a deep one was a RecursionError: 500)."""
    headers = {"Content-Type": "application/json"}
    for body, reason in [
        (b"[" * 100_000 + b"]" * 100_000, "frame.too_deep"),
        (b'{"username": "w01", "password": 1' + b"0" * 400 + b"}", "frame.malformed"),
        (b'{"username": "\\ud800", "password": "x"}', "frame.malformed"),
        (b'{"username": "w01", "password": "\xff"}', "frame.malformed"),
    ]:
        response = await client.post("/api/v1/auth/login", data=body, headers=headers)
        assert response.status == 422
        error = (await response.json())["error"]
        assert (error["code"], error["details"]) == ("request.json_invalid", {"reason": reason})


async def test_validation_error_lists_the_problems(client: Client) -> None:
    response = await client.post("/api/v1/auth/login", json={"username": "w01"})
    assert response.status == 422
    error = (await response.json())["error"]
    assert error["code"] == "request.invalid"
    assert [p["field"] for p in error["details"]["problems"]] == ["password"]


async def test_bad_path_parameter(client: Client, admin_token: str) -> None:
    response = await client.get("/api/v1/grids/abc", headers=bearer(admin_token))
    assert response.status == 422
    assert await error_code(response) == "request.path_invalid"
    missing = await client.get("/api/v1/grids/999999", headers=bearer(admin_token))
    assert missing.status == 404
    assert await error_code(missing) == "grid.not_found"


async def test_wrong_method(client: Client) -> None:
    response = await client.delete("/healthz")
    assert response.status == 405
    body = await response.json()
    assert body["error"]["code"] == "http.405"
