"""Property-based fuzzing of every HTTP route the OpenAPI document lists (schemathesis).

For each operation and each caller (an admin, a resident, no one), schemathesis generates
requests from the served document, half of them valid and half not (wrong types, missing or
extra fields, out-of-range values, odd path segments). Every answer must be below 500 and
conform to the document (status, content type, body schema); every refusal must be the
structured error; a refused write must leave the database as it was; nothing may be logged at
ERROR or with a traceback; and the hub must still be healthy at the end. Seeded and bounded:
see docs/security.md, "Hostile input: fuzzing".
"""

from __future__ import annotations

import zlib
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import hypothesis
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.schemas import APIOperation
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.fuzz.conftest import SEED, Caller, FuzzHub, examples
from tests.fuzz.live import changed

MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Examples per operation: the admin reaches every handler, the resident mostly its refusals.
BUDGET = {"admin": 24, "resident": 10, "anonymous": 10}
REFUSED_BUDGET = 3  # a caller refused before the request is read (anonymous on a signed-in route)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Would end the session the fuzzer signs in with; it is fuzzed anonymously.
SIGNED_IN_SKIPS = {"POST /api/v1/auth/logout"}
OPEN311 = "/open311/v2/"


@pytest.fixture(scope="module")
def api(fuzz_hub: FuzzHub) -> Any:
    return schemathesis.openapi.from_url(f"{fuzz_hub.url}/api/v1/openapi.json")


@pytest.mark.parametrize("caller_name", ["admin", "resident", "anonymous"])
def test_every_route_refuses_hostile_input_cleanly(
    fuzz_hub: FuzzHub, api: Any, caller_name: str
) -> None:
    run = Run(fuzz_hub, fuzz_hub.callers[caller_name])
    fuzz_hub.logs.take()
    wanted = [op for op in operations(api) if run.fuzzes(op)]
    with requests.Session() as session:
        for operation in wanted:
            try:
                run.fuzz(session, operation)
            except Exception as exc:  # each operation's failure is listed, then the next runs
                run.failures.append(f"{operation.label}: {exc}"[:4000])
    assert fuzz_hub.healthy()
    assert not fuzz_hub.logs.take()
    assert not run.failures, "\n\n".join(run.failures)
    assert not run.mismatches, "answers the OpenAPI document does not describe:\n" + "\n".join(
        sorted(run.mismatches)
    )
    assert set(run.sent) == {op.label for op in wanted}, "operations never called"


def operations(api: Any) -> list[APIOperation]:
    """Every operation of the document (`ok()` raises for one schemathesis cannot read)."""
    return [result.ok() for result in api.get_all_operations()]


@dataclass
class Run:
    """One caller's fuzzing of every operation: what was sent and what went wrong."""

    hub: FuzzHub
    caller: Caller
    sent: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    mismatches: set[str] = field(default_factory=set)

    def fuzzes(self, op: APIOperation) -> bool:
        return not (self.caller.token and op.label in SIGNED_IN_SKIPS)

    def budget(self, op: APIOperation) -> int:
        refused_outright = self.caller.token is None and bool(op.definition.raw.get("security"))
        return examples(REFUSED_BUDGET if refused_outright else BUDGET[self.caller.name])

    def fuzz(self, session: requests.Session, op: APIOperation) -> None:
        valid, invalid = GenerationMode.POSITIVE, GenerationMode.NEGATIVE
        strategy = op.as_strategy(valid) | op.as_strategy(invalid)

        @hypothesis.seed(SEED ^ zlib.crc32(f"{self.caller.name} {op.label}".encode()))
        @hypothesis.settings(
            max_examples=self.budget(op),
            deadline=None,
            database=None,
            phases=[Phase.generate, Phase.shrink],
            suppress_health_check=list(HealthCheck),
            print_blob=False,
        )
        @hypothesis.given(case=strategy)
        def one(case: schemathesis.Case) -> None:
            hypothesis.assume(not _aims_at_a_fuzzer(case, self.hub))
            self.sent[op.label] += 1
            self.send(session, case)

        one()

    def send(self, session: requests.Session, case: schemathesis.Case) -> None:
        hub, headers = self.hub, self.caller.headers
        before = hub.settle() if case.method.upper() in MUTATING else None
        response = case.call(base_url=hub.url, session=session, headers=headers, timeout=30)
        problems = hub.logs.take()
        status = response.status_code
        after = hub.digest.take() if before is not None and status >= 400 else None
        what = f"{self.caller.name}: {case.as_curl_command(headers=headers)}"
        # an export answers with file bytes (XLSX, PDF): shown, not decoded strictly
        shown = response.content[:1500].decode("utf-8", "replace")
        answer = f"-> {status} {shown}\nlogged:\n" + "\n".join(problems)
        assert status < 500, f"{what}\n{answer}"
        assert not problems, f"{what}\n{answer}"
        if status >= 400:
            assert structured_error(case, response), f"{what}\nnot a structured error {answer}"
            touched = changed(before, after) if before and after else []
            assert not touched, f"{what}\n{answer}\nthe refused request changed {touched}"
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except FailureGroup as group:  # the document is wrong, not the hub: listed at the end
            self.mismatches.update(f"{case.operation.label}: {f.title}" for f in group.exceptions)


def structured_error(case: Any, response: schemathesis.Response) -> bool:
    """The hub's {"error": {"code", "message"}}; under /open311/v2/ also Open311's
    [{code, description, error_code}], in XML when the path asks for XML."""
    content_type = (response.headers.get("content-type") or [""])[0]
    if OPEN311 in case.path and content_type.startswith("text/xml"):
        return "<errors>" in response.text and "<error_code>" in response.text
    try:
        body = response.json()
    except ValueError:
        return False
    if OPEN311 in case.path and isinstance(body, list):
        return all({"code", "description", "error_code"} <= set(e) for e in body)
    error = body.get("error") if isinstance(body, dict) else None
    return (
        isinstance(error, dict)
        and isinstance(error.get("code"), str)
        and isinstance(error.get("message"), str)
    )


def _aims_at_a_fuzzer(case: Any, hub: FuzzHub) -> bool:
    """A write to the account of a caller the fuzzer signs in as (disabling the admin or
    changing its password would end the run, not test anything more)."""
    raw = (case.path_parameters or {}).get("person_id")
    if case.method.upper() not in MUTATING or raw is None:
        return False
    text = str(raw)
    if not (text.isascii() and text.isdigit()):
        return False
    return int(text) in {c.person_id for c in hub.callers.values() if c.person_id is not None}
