"""OpenAPI 3.1 document built from the registered endpoints and their pydantic models.

Route templates are aiohttp's, which OpenAPI tools cannot read, so each becomes one or more
concrete OpenAPI paths:

- `{fmt:json|xml}`, an alternative of literals (a format suffix, say), gives one path per
  literal: `services.{fmt:json|xml}` is `services.json` and `services.xml`; a `.xml` path
  answers in XML.
- `{rule_id:\\d{1,9}}` is a plain `{rule_id}` whose schema is an integer below 10**9; any other
  regex is a string parameter with that pattern.
- An id parameter (`hub.web.is_id_param`: named `<thing>_id`, read with `Call.path_int`) is
  an integer from 1 to its column's largest id, the route's `Endpoint.id_bounds` (and below the
  regex's bound, if it has one).

Every operation documents its errors: a `4XX` answer is the hub's structured error
`{"error": {"code", "message"}}`, or Open311's list under `/open311/v2/`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import TypeAdapter

from hub import __version__
from hub.web import Endpoint

REF = "#/components/schemas/{model}"
TEMPLATE = re.compile(r"{(\w+)(?::((?:[^{}]|{[^{}]*})+))?}")
LITERALS = re.compile(r"[A-Za-z0-9_-]+(?:\|[A-Za-z0-9_-]+)*")
BOUNDED_DIGITS = re.compile(r"\\d\{1,(\d{1,2})\}")
FORMAT_SUFFIXES = {"json": "application/json", "xml": "text/xml"}
MEDIA_ALIASES = {
    "form-encoded": "application/x-www-form-urlencoded",
    "multipart": "multipart/form-data",
}
MEDIA_TYPE = re.compile(r"[a-z]+/[a-z0-9.+-]+|\*/\*")
OPEN311 = "/open311/v2/"
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
OPEN311_ERRORS_SCHEMA: dict[str, Any] = {
    "type": "array",
    "description": "GeoReport v2 errors, with the hub's stable code in error_code",
    "items": {
        "type": "object",
        "required": ["code", "description", "error_code"],
        "properties": {
            "code": {"type": "integer"},
            "description": {"type": "string"},
            "error_code": {"type": "string"},
        },
    },
}


@dataclass(frozen=True, slots=True)
class Variant:
    """One concrete OpenAPI path of a route template."""

    path: str
    params: tuple[tuple[str, dict[str, Any]], ...] = ()
    suffix: str = ""

    def then(
        self, text: str, param: tuple[str, dict[str, Any]] | None = None, literal: str = ""
    ) -> Variant:
        params = (*self.params, param) if param else self.params
        return Variant(self.path + text, params, literal or self.suffix)


def variants(template: str, id_bounds: Mapping[str, int] | None = None) -> list[Variant]:
    """The OpenAPI paths of an aiohttp route template (see the module's docstring); id_bounds
    gives the largest id of each id parameter."""
    id_bounds = id_bounds or {}
    found, last = [Variant("")], 0
    for match in TEMPLATE.finditer(template):
        text, name, regex = template[last : match.start()], match.group(1), match.group(2)
        if regex is not None and LITERALS.fullmatch(regex):
            found = [v.then(text + c, literal=c) for v in found for c in regex.split("|")]
        else:
            param = (name, param_schema(name, regex, id_bounds.get(name)))
            found = [v.then(f"{text}{{{name}}}", param) for v in found]
        last = match.end()
    return [v.then(template[last:]) for v in found]


def param_schema(name: str, regex: str | None, largest_id: int | None = None) -> dict[str, Any]:
    digits = BOUNDED_DIGITS.fullmatch(regex or "")
    below = 10 ** int(digits.group(1)) - 1 if digits else None
    if largest_id is not None:
        largest = largest_id if below is None else min(below, largest_id)
        return {"type": "integer", "minimum": 1, "maximum": largest}
    if below is not None:
        return {"type": "integer", "minimum": 0, "maximum": below}
    if regex:
        return {"type": "string", "pattern": f"^(?:{regex})$"}
    return {"type": "string", "minLength": 1}


class ModelSchemas:
    """The schemas of every request and answer model, generated together: plugins from
    different teams may each have a model of the same name (an `OrgIn`, a `ListQuery`), and
    pydantic names such models apart (by their module) only when it sees them all at once."""

    def __init__(self, endpoints: list[Endpoint], schemas: dict[str, Any]) -> None:
        models = list(dict.fromkeys(m for e in endpoints for m in _models_of(e)))
        mode: Literal["validation"] = "validation"
        inputs = [(m, mode, TypeAdapter(m)) for m in models]
        found, defs = TypeAdapter.json_schemas(inputs, ref_template=REF)
        self._defs: dict[str, Any] = uniform_tuples(defs.get("$defs", {}))
        self._found = {key: uniform_tuples(schema) for (key, _), schema in found.items()}
        add_components(schemas, self._defs)

    def of(self, model: Any) -> dict[str, Any]:
        """The schema of a model: a reference to its component, or inline for other types."""
        return dict(self._found[model])

    def inline(self, model: Any) -> dict[str, Any]:
        """The model's own schema even where it has a component (to read its properties)."""
        schema = self.of(model)
        ref = schema.get("$ref")
        return dict(self._defs[ref.rsplit("/", 1)[1]]) if isinstance(ref, str) else schema


def _models_of(endpoint: Endpoint) -> list[Any]:
    return [m for m in (endpoint.body, endpoint.response, endpoint.query) if m is not None]


def build(endpoints: list[Endpoint]) -> dict[str, Any]:
    schemas: dict[str, Any] = {"Error": ERROR_SCHEMA, "Open311Errors": OPEN311_ERRORS_SCHEMA}
    models = ModelSchemas(endpoints, schemas)
    paths: dict[str, dict[str, Any]] = {}
    for endpoint in endpoints:
        for variant in variants(endpoint.path, endpoint.id_bounds):
            path = paths.setdefault(variant.path, {})
            path[endpoint.method.lower()] = _operation(endpoint, variant, models)
    return {
        "openapi": "3.1.0",
        "info": {"title": "GridHub HTTP API", "version": __version__},
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


def _operation(endpoint: Endpoint, variant: Variant, models: ModelSchemas) -> dict[str, Any]:
    op: dict[str, Any] = {
        "summary": endpoint.summary,
        "tags": [endpoint.tag],
        "operationId": f"{endpoint.method.lower()}_{_slug(variant.path)}",
        "parameters": _path_params(variant) + _query_params(endpoint, models),
        "responses": _responses(endpoint, variant, models),
    }
    if endpoint.auth:
        op["security"] = [{"bearer": []}]
    if endpoint.body is not None:
        op["requestBody"] = _content(models.of(endpoint.body), required=True)
    elif endpoint.raw_body:
        content = {t: {"schema": _raw_schema(t)} for t in media_types(endpoint.raw_body)}
        op["requestBody"] = {"required": True, "content": content}
    return op


def media_types(text: str) -> list[str]:
    """The media types a free-text declaration names ("application/json or text/csv")."""
    found = [m.group(0) for m in MEDIA_TYPE.finditer(text)]
    found += [t for alias, t in MEDIA_ALIASES.items() if alias in text and t not in found]
    return found


def _raw_schema(media_type: str) -> dict[str, Any]:
    if media_type.endswith("json") or media_type.endswith("form-urlencoded"):
        return {"type": "object"}
    if media_type.startswith("multipart/"):
        return {"type": "object", "properties": {"file": {"type": "string", "format": "binary"}}}
    return {"type": "string"}


def _responses(endpoint: Endpoint, variant: Variant, models: ModelSchemas) -> dict[str, Any]:
    error = _error_content(endpoint, variant)
    status = str(endpoint.status)
    out = {status: _success(endpoint, variant, models), "4XX": {"description": "refused", **error}}
    out["422"] = {"description": "invalid input", **error}
    if endpoint.auth:
        out["401"] = {"description": "not signed in", **error}
        out["403"] = {"description": "outside role or scope", **error}
    return out


def _success(endpoint: Endpoint, variant: Variant, models: ModelSchemas) -> dict[str, Any]:
    ok: dict[str, Any] = {"description": "success"}
    if endpoint.status == 204:
        return ok
    if endpoint.response is not None:
        schema = models.of(endpoint.response)
        types = media_types(endpoint.produces) if endpoint.produces else [_suffix_type(variant)]
        ok["content"] = {t: {"schema": schema} for t in types}
    elif endpoint.produces:  # without a model: any JSON, or text
        types = media_types(endpoint.produces)
        ok["content"] = {t: {"schema": {} if t.endswith("json") else _raw_schema(t)} for t in types}
    return ok


def _error_content(endpoint: Endpoint, variant: Variant) -> dict[str, Any]:
    """The hub's error; under /open311/v2/ also Open311's, in the path's format (a request
    the router refuses before the resource is reached gets the hub's)."""
    hub_error = {"$ref": REF.format(model="Error")}
    if OPEN311 not in endpoint.path:
        return _content(hub_error)
    open311 = {"$ref": REF.format(model="Open311Errors")}
    if _suffix_type(variant) == "application/json":
        return _content({"anyOf": [open311, hub_error]})
    xml = {_suffix_type(variant): {"schema": open311}}
    return {"content": {**xml, **_content(hub_error)["content"]}}


def _suffix_type(variant: Variant) -> str:
    return FORMAT_SUFFIXES.get(variant.suffix, "application/json")


def add_components(schemas: dict[str, Any], found: dict[str, Any]) -> None:
    """Add named schemas; a model named like one of the hub's own (Error) is refused, since
    one of them would be documented wrongly."""
    for name, schema in found.items():
        if schemas.setdefault(name, schema) != schema:
            raise ValueError(f"a model is named {name!r} like a hub schema: rename it")


def uniform_tuples(schema: Any) -> Any:
    """`prefixItems` of one repeated schema (a `tuple[float, float]`) as `items` with a fixed
    length: the same constraint, in the form that tools without 2020-12 tuples read too."""
    if isinstance(schema, list):
        return [uniform_tuples(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {key: uniform_tuples(value) for key, value in schema.items()}
    prefix = out.get("prefixItems")
    if not isinstance(prefix, list) or not prefix or "items" in out:
        return out
    if all(item == prefix[0] for item in prefix):
        del out["prefixItems"]
        out.update(items=prefix[0], minItems=len(prefix), maxItems=len(prefix))
    return out


def _content(schema: dict[str, Any], required: bool | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"content": {"application/json": {"schema": schema}}}
    if required is not None:
        out["required"] = required
    return out


def _path_params(variant: Variant) -> list[dict[str, Any]]:
    return [
        {"name": name, "in": "path", "required": True, "schema": schema}
        for name, schema in variant.params
    ]


def _query_params(endpoint: Endpoint, models: ModelSchemas) -> list[dict[str, Any]]:
    if endpoint.query is None:
        return []
    schema = models.inline(endpoint.query)
    required = set(schema.get("required", []))
    return [
        {"name": name, "in": "query", "required": name in required, "schema": prop}
        for name, prop in schema.get("properties", {}).items()
    ]


def _slug(path: str) -> str:
    return re.sub(r"[^a-zA-Z0-9]+", "_", path).strip("_")
