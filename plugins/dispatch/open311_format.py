"""Open311 responses as JSON or, for the `.xml` resources, as the spec's XML documents."""

from __future__ import annotations

from typing import Any
from xml.etree.ElementTree import Element, tostring

from aiohttp import web

# The element of each item of a list, by the list's element name.
ITEMS = {
    "services": "service",
    "attributes": "attribute",
    "values": "value",
    "service_requests": "request",
    "errors": "error",
}


def render(data: Any, root: str, xml: bool, status: int = 200) -> web.Response:
    if not xml:
        return web.json_response(data, status=status)
    body = tostring(element(root, data), encoding="utf-8", xml_declaration=True)
    return web.Response(body=body, status=status, content_type="text/xml", charset="utf-8")


def element(tag: str, value: Any) -> Element:
    node = Element(tag)
    if isinstance(value, list):
        node.extend(element(ITEMS[tag], item) for item in value)
    elif isinstance(value, dict):
        node.extend(element(key, item) for key, item in value.items())
    elif isinstance(value, bool):
        node.text = "true" if value else "false"
    elif value is not None:
        node.text = str(value)
    return node
