"""The served OpenAPI document is valid OpenAPI 3.1 that tools can use as it is.

Checked on the fuzz hub (every plugin loaded): the validator accepts it; no path carries
aiohttp's regex syntax; each path parameter is declared; every operation documents its
success answer (a response model, or for a non-JSON answer its media types) and its
structured errors: a new route must come with its model.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import requests
from openapi_spec_validator import validate

from hub import openapi
from tests.fuzz.conftest import FuzzHub


@pytest.fixture(scope="module")
def document(fuzz_hub: FuzzHub) -> dict[str, Any]:
    response = requests.get(f"{fuzz_hub.url}/api/v1/openapi.json", timeout=30)
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, op)
        for path, item in document["paths"].items()
        for method, op in item.items()
    ]


def test_the_document_is_valid_openapi_3_1(document: dict[str, Any]) -> None:
    assert document["openapi"].startswith("3.1")
    validate(document)


def test_paths_are_openapi_templates_with_every_parameter_declared(
    document: dict[str, Any],
) -> None:
    for method, path, op in operations(document):
        assert ":" not in path, path  # no aiohttp {name:regex}
        declared = {p["name"] for p in op["parameters"] if p["in"] == "path"}
        assert set(re.findall(r"{(\w+)}", path)) == declared, (method, path)
        assert op["operationId"], (method, path)
        assert op["summary"], (method, path)
    ids = [op["operationId"] for _, _, op in operations(document)]
    assert len(ids) == len(set(ids))


def test_regex_routes_become_one_path_per_alternative(document: dict[str, Any]) -> None:
    paths = document["paths"]
    base = "/api/v1/dispatch/open311/v2"
    for fmt, media_type in (("json", "application/json"), ("xml", "text/xml")):
        services = paths[f"{base}/services.{fmt}"]["get"]
        assert media_type in services["responses"]["4XX"]["content"]
    alarm = paths["/api/v1/alarms/{alarm_id}"]["get"]["parameters"][0]
    assert alarm["schema"] == {"type": "integer", "minimum": 1, "maximum": 10**18 - 1}  # a BigId


def test_every_operation_documents_its_answers(document: dict[str, Any]) -> None:
    undescribed = set()
    for method, path, op in operations(document):
        responses = op["responses"]
        success = [code for code in responses if code.startswith("2")]
        assert len(success) == 1, (method, path)
        assert responses["4XX"]["content"], (method, path)
        if "requestBody" in op:
            assert all(c.get("schema") for c in op["requestBody"]["content"].values())
        if success != ["204"] and "content" not in responses[success[0]]:
            undescribed.add(f"{method} {path}")
    assert undescribed == set(), "routes without a response model (response= or produces=)"


def test_variants_of_a_template() -> None:
    found = openapi.variants("/x/{id:\\d{1,9}}/y.{fmt:json|xml}")
    assert [v.path for v in found] == ["/x/{id}/y.json", "/x/{id}/y.xml"]
    assert found[0].params == (("id", {"type": "integer", "minimum": 0, "maximum": 10**9 - 1}),)
    pattern = openapi.variants("/x/{code:[a-z]+}")[0]
    assert pattern.params == (("code", {"type": "string", "pattern": "^(?:[a-z]+)$"}),)


def test_two_models_of_one_name_are_refused() -> None:
    """A component named twice would describe one of the routes with the other's schema (the
    alarms and dispatch plugins both had a `RuleIn`)."""
    schemas: dict[str, Any] = {}
    openapi.add_components(schemas, {"RuleIn": {"type": "object"}})
    openapi.add_components(schemas, {"RuleIn": {"type": "object"}})  # the same: fine
    with pytest.raises(ValueError, match="RuleIn"):
        openapi.add_components(schemas, {"RuleIn": {"type": "string"}})
