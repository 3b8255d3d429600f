"""Inputs the fuzzers found that the hub once answered with a 500 and a traceback.

Each is now a structured refusal that changes nothing; kept as plain tests so that they are
checked on every run, whatever the fuzzers' seed.
"""

from __future__ import annotations

from typing import Any

import requests

from tests.fuzz.conftest import FuzzHub


def _call(hub: FuzzHub, method: str, path: str, caller: str = "admin", **kw: Any) -> Any:
    hub.logs.take()
    headers = {**hub.callers[caller].headers, **kw.pop("headers", {})}
    response = requests.request(method, hub.url + path, headers=headers, timeout=30, **kw)
    assert hub.logs.take() == []
    return response


def test_a_malformed_multipart_body_is_refused(fuzz_hub: FuzzHub) -> None:
    boundary = "b0undary"
    body = f"--{boundary}\r\n__proto__--{boundary}--\r\n".encode()
    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    # (not an appeal: the public intake's rate limit may be spent by the fuzzer already)
    response = _call(fuzz_hub, "POST", "/api/v1/channels/1/files", data=body, headers=headers)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "request.malformed"


def test_query_integers_beyond_64_bits_are_refused(fuzz_hub: FuzzHub) -> None:
    for path in ("/api/v1/calls?before=", "/api/v1/alarms?before_id="):
        response = _call(fuzz_hub, "GET", f"{path}{2**63}")
        assert response.status_code == 422, path
        assert response.json()["error"]["code"] == "request.query_invalid"


def test_a_time_past_the_year_9999_is_refused(fuzz_hub: FuzzHub) -> None:
    response = _call(fuzz_hub, "GET", "/api/v1/recordings?before=253402300800")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "request.query_invalid"


def test_a_name_cannot_be_cleared(fuzz_hub: FuzzHub) -> None:
    path = "/api/v1/people/2"
    before = _call(fuzz_hub, "GET", path).json()
    for field in ("display_name", "report_interval_s"):
        response = _call(fuzz_hub, "PATCH", path, json={field: None})
        assert response.status_code == 422, field
        assert response.json()["error"]["code"] == "request.invalid"
    assert _call(fuzz_hub, "GET", path).json() == before
