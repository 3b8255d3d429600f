"""The OpenAPI document names every model apart: plugins written by different teams may each
have a request model of the same name, and the document must still describe each route with its
own schema (it answered 500 once two built-in plugins both had an `OrgIn`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from openapi_spec_validator import validate
from pydantic import BaseModel, create_model

from hub import openapi, policy
from hub.app import build_app
from hub.web import Call, Endpoint
from tests.hub.conftest import AiohttpClient, make_settings


async def _never(call: Call[Any, Any]) -> Any:
    raise AssertionError("not called")


def _endpoint(path: str, body: type[BaseModel]) -> Endpoint:
    rule = policy.Rule("test.write", policy.Audience.ROLES, frozenset({"admin"}))
    return Endpoint("POST", path, _never, "write", "test", rule, body=body)


def _twin(module: str, **fields: Any) -> type[BaseModel]:
    """A model named OrgIn in the given module, as two plugins' packages would each have."""
    return create_model("OrgIn", __module__=module, **fields)


def _resolve(document: dict[str, Any], path: str) -> dict[str, Any]:
    body = document["paths"][path]["post"]["requestBody"]["content"]["application/json"]
    name = body["schema"]["$ref"].rsplit("/", 1)[1]
    schema: dict[str, Any] = document["components"]["schemas"][name]
    return schema


def test_two_models_of_one_name_keep_their_own_schemas() -> None:
    party = _twin("plugins_a.api", title=(str, ...))
    archives = _twin("plugins_b.api", grid_id=(int, ...), kind=(str, ...))
    endpoints = [_endpoint("/api/v1/a/orgs", party), _endpoint("/api/v1/b/orgs", archives)]
    document = openapi.build(endpoints)
    validate(document)
    assert set(_resolve(document, "/api/v1/a/orgs")["properties"]) == {"title"}
    assert set(_resolve(document, "/api/v1/b/orgs")["properties"]) == {"grid_id", "kind"}


def test_a_model_named_like_the_hubs_error_schema_is_refused() -> None:
    impostor = create_model("Error", __module__="plugins_c.api", text=(str, ...))
    with pytest.raises(ValueError, match="'Error'"):
        openapi.build([_endpoint("/api/v1/c/errors", impostor)])


async def test_a_hub_with_every_installed_plugin_serves_a_valid_document(
    tmp_path: Path, aiohttp_client: AiohttpClient
) -> None:
    app = build_app(make_settings(tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}"))
    client = await aiohttp_client(app)
    response = await client.get("/api/v1/openapi.json")
    assert response.status == 200, await response.text()
    document = await response.json()
    validate(document)
    tags = {op["tags"][0] for item in document["paths"].values() for op in item.values()}
    assert {"archives", "mediation", "party", "services", "participation"} <= tags
