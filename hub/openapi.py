"""OpenAPI 3.1 document built from the registered endpoints and their pydantic models."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, TypeAdapter

from hub import __version__
from hub.web import Endpoint

REF = "#/components/schemas/{model}"
ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string", "description": "stable dotted code"},
                "message": {"type": "string"},
                "details": {"type": "object"},
            },
        }
    },
}


def build(endpoints: list[Endpoint]) -> dict[str, Any]:
    schemas: dict[str, Any] = {"Error": ERROR_SCHEMA}
    paths: dict[str, dict[str, Any]] = {}
    for endpoint in endpoints:
        path = paths.setdefault(endpoint.path, {})
        path[endpoint.method.lower()] = _operation(endpoint, schemas)
    return {
        "openapi": "3.1.0",
        "info": {"title": "GridHub HTTP API", "version": __version__},
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


def _operation(endpoint: Endpoint, schemas: dict[str, Any]) -> dict[str, Any]:
    op: dict[str, Any] = {
        "summary": endpoint.summary,
        "tags": [endpoint.tag],
        "operationId": f"{endpoint.method.lower()}_{_slug(endpoint.path)}",
        "parameters": _path_params(endpoint.path) + _query_params(endpoint, schemas),
        "responses": _responses(endpoint, schemas),
    }
    if endpoint.auth:
        op["security"] = [{"bearer": []}]
    if endpoint.body is not None:
        op["requestBody"] = _content(_schema(endpoint.body, schemas), required=True)
    elif endpoint.raw_body:
        op["requestBody"] = {"required": True, "content": {endpoint.raw_body: {}}}
    return op


def _responses(endpoint: Endpoint, schemas: dict[str, Any]) -> dict[str, Any]:
    error = _content({"$ref": REF.format(model="Error")})
    ok: dict[str, Any] = {"description": "success"}
    if endpoint.response is not None:
        ok.update(_content(_schema(endpoint.response, schemas)))
    status = "204" if endpoint.status == 204 else str(endpoint.status)
    out = {status: ok, "422": {"description": "invalid input", **error}}
    if endpoint.auth:
        out["401"] = {"description": "not signed in", **error}
        out["403"] = {"description": "outside role or scope", **error}
    return out


def _schema(model: Any, schemas: dict[str, Any]) -> dict[str, Any]:
    if isinstance(model, type) and issubclass(model, BaseModel):
        schema = model.model_json_schema(ref_template=REF)
    else:
        schema = TypeAdapter(model).json_schema(ref_template=REF)
    schemas.update(schema.pop("$defs", {}))
    if isinstance(model, type) and issubclass(model, BaseModel):
        schemas[model.__name__] = schema
        return {"$ref": REF.format(model=model.__name__)}
    return schema


def _content(schema: dict[str, Any], required: bool | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"content": {"application/json": {"schema": schema}}}
    if required is not None:
        out["required"] = required
    return out


def _path_params(path: str) -> list[dict[str, Any]]:
    names = re.findall(r"{(\w+)(?::[^}]*)?}", path)
    return [
        {"name": n, "in": "path", "required": True, "schema": {"type": "string"}} for n in names
    ]


def _query_params(endpoint: Endpoint, schemas: dict[str, Any]) -> list[dict[str, Any]]:
    if endpoint.query is None:
        return []
    schema = endpoint.query.model_json_schema(ref_template=REF)
    required = set(schema.get("required", []))
    return [
        {"name": name, "in": "query", "required": name in required, "schema": prop}
        for name, prop in schema.get("properties", {}).items()
    ]


def _slug(path: str) -> str:
    return re.sub(r"[^a-zA-Z0-9]+", "_", path).strip("_")
