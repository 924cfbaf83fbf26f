"""Schemathesis against the running app's ``/openapi.json``: every operation, valid and invalid
inputs, with the right credentials. No 5xx, and every answer is one the schema declares, in the
declared content type and shape.

``schemathesis.pytest.from_fixture`` (the documented way to test an app a fixture starts) fails
under pytest 9 (it reads ``Function._nodeid``, which pytest 9 removed), so the schema is loaded in
the test and each operation's strategy runs under its own ``@given``.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.properties.conftest import Served

pytestmark = pytest.mark.properties

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
EXAMPLES = 50  # per operation and mode
EXPECTED = {  # at least these
    "GET /healthz",
    "GET /readyz",
    "GET /metrics",
    "POST /slack/events",
    "POST /webhooks/alertmanager",
    "GET /api/v1/incidents",
    "GET /api/v1/incidents/{incident_id}",
}


def _fuzz(served: Served, operation: Any, mode: GenerationMode) -> None:
    token = (
        "alertmanager_token" if operation.path == "/webhooks/alertmanager" else "opsbot_api_token"
    )
    headers = {"Authorization": f"Bearer {served.secret(token)}"}

    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        case.call_and_validate(base_url=served.url, headers=headers, checks=CHECKS)

    run()


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_every_operation(served: Served, mode: GenerationMode) -> None:
    schema = schemathesis.openapi.from_url(served.url + "/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.label for op in operations} >= EXPECTED  # and any newer route is fuzzed too
    failures = {}
    for operation in operations:
        if mode is GenerationMode.NEGATIVE and not any(operation.iter_parameters()):
            continue  # nothing to make invalid (the webhook's body has no declared schema)
        try:
            _fuzz(served, operation, mode)
        except Exception as exc:  # report every operation's failure, not only the first
            failures[operation.label] = f"{type(exc).__name__}: {exc}"
    assert not failures, "\n\n".join(f"{label}\n{text}" for label, text in failures.items())
    assert served.healthy()


# What the fuzzing found: each answered 500 before (PostgreSQL; SQLite too for the large id).
FOUND = {
    "incident id past 32 bits": ("/api/v1/incidents/103936461829540025466880", {}),
    "incident id 2**31": (f"/api/v1/incidents/{2**31}", {}),
    "NUL in the service filter": ("/api/v1/incidents", {"service": "api\x00"}),
    "audit after_id past 32 bits": ("/api/v1/audit", {"after_id": str(2**31)}),
}


@pytest.mark.parametrize(("path", "params"), FOUND.values(), ids=FOUND.keys())
def test_found_by_fuzzing_is_a_422(served: Served, path: str, params: dict[str, str]) -> None:
    headers = {"Authorization": f"Bearer {served.secret('opsbot_api_token')}"}
    reply = served.http.get(path, params=params, headers=headers)
    assert reply.status_code == 422, reply.text
    assert reply.json()["detail"]


def test_largest_id_is_a_404(served: Served) -> None:
    headers = {"Authorization": f"Bearer {served.secret('opsbot_api_token')}"}
    reply = served.http.get(f"/api/v1/incidents/{2**31 - 1}", headers=headers)
    assert reply.status_code == 404, reply.text


def test_refusals_are_declared(served: Served) -> None:
    paths = served.http.get("/openapi.json").json()["paths"]
    for path, methods in paths.items():
        for method, operation in methods.items():
            codes = set(operation["responses"])
            if path.startswith("/api/"):
                assert {"401", "403"} <= codes, (method, path)
            if path in ("/webhooks/alertmanager", "/slack/events"):
                assert {"401", "503"} <= codes, (method, path)
