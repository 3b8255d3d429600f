"""Check a route's real answer against the response model it declares (hub.web.Endpoint).

The OpenAPI document is built from these models; a test that calls a route with real data
passes the JSON it got to `Answers.check`, which validates it against the model's JSON schema
with every object closed (a field the model does not name fails too, unless the model allows
extra fields on purpose), and remembers which routes it saw (`unchecked`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from xml.etree.ElementTree import Element

import jsonschema_rs
from aiohttp import web
from pydantic import TypeAdapter

from hub.web import ENDPOINTS, Endpoint, template


@dataclass
class Answers:
    app: web.Application
    checked: set[tuple[str, str]] = field(default_factory=set)

    def check(self, method: str, path: str, answer: Any) -> None:
        endpoint = self.endpoint(method, path)
        assert endpoint.response is not None, f"{method} {path} declares no response model"
        schema = closed(TypeAdapter(endpoint.response).json_schema())
        validator = jsonschema_rs.validator_for(schema, validate_formats=True)
        problems = [f"{e.instance_path}: {e.message}" for e in validator.iter_errors(answer)]
        assert problems == [], f"{method} {path}: the answer is not its model:\n" + "\n".join(
            problems
        )
        self.checked.add((endpoint.method, endpoint.path))

    def check_xml(self, method: str, path: str, root: Element) -> None:
        """An XML answer (Open311's `.xml`) has the elements the model's `xml` hints name."""
        endpoint = self.endpoint(method, path)
        schema = TypeAdapter(endpoint.response).json_schema()
        problems = xml_problems(schema, schema.get("$defs", {}), root, "")
        assert problems == [], f"{method} {path}: the XML is not its model:\n" + "\n".join(problems)

    def endpoint(self, method: str, path: str) -> Endpoint:
        route = path.partition("?")[0]
        for endpoint in self.app[ENDPOINTS]:
            if endpoint.method == method and template(endpoint.path).fullmatch(route):
                return endpoint
        raise AssertionError(f"no route {method} {path}")

    def unchecked(self, prefix: str) -> list[str]:
        """Routes under `prefix` that answer JSON and whose answers were never checked."""
        return sorted(
            f"{e.method} {e.path}"
            for e in self.app[ENDPOINTS]
            if e.path.startswith(prefix)
            and e.response is not None
            and e.status != 204
            and (e.method, e.path) not in self.checked
        )


def closed(schema: Any) -> Any:
    """The schema with `additionalProperties: false` on every object that does not say."""
    if isinstance(schema, list):
        return [closed(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {key: closed(value) for key, value in schema.items()}
    if "properties" in out and "additionalProperties" not in out:
        out["additionalProperties"] = False
    return out


def xml_problems(schema: Any, defs: dict[str, Any], element: Element, name: str) -> list[str]:
    """Where `element` differs from the element names the schema's `xml` hints give (the
    property name where there is none): arrays are wrapped, objects hold their properties."""
    schema = _resolved(schema, defs)
    expected = schema.get("xml", {}).get("name", name)
    if element.tag != expected:
        return [f"<{element.tag}> where the schema has <{expected}>"]
    if schema.get("type") == "array":
        items = _resolved(schema["items"], defs)
        return [p for child in element for p in xml_problems(items, defs, child, "")]
    properties = schema.get("properties", {})
    problems = [f"<{expected}> has <{c.tag}>" for c in element if c.tag not in properties]
    for child in element:
        if child.tag in properties:
            problems += xml_problems(properties[child.tag], defs, child, child.tag)
    return problems


def _resolved(schema: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    """The schema behind a `$ref`, or the non-null branch of an `anyOf` with null."""
    if "$ref" in schema:
        target = dict(defs[schema["$ref"].rsplit("/", 1)[-1]])
        if "xml" in schema:  # the referring schema names the element
            target["xml"] = schema["xml"]
        return target
    branches = [b for b in schema.get("anyOf", []) if b.get("type") != "null"]
    if len(branches) == 1:
        return _resolved(branches[0], defs)
    return schema
