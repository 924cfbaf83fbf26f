"""The emulator against Atlassian's OpenAPI: every route exists, response keys are declared."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from jira import JIRA

from bot.sandbox.jira import ROUTES, JiraState

from .conftest import incident_fields, openapi


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    return openapi()


def _props(spec: dict[str, Any], name: str) -> set[str]:
    return set(spec["components"]["schemas"][name]["properties"])


def _template(pattern: str) -> str:
    return "/rest/api/3/" + re.sub(r"\(\?P<\w+>\[\^/\]\+\)", "{}", pattern)


def test_every_route_is_a_real_operation(spec: dict[str, Any]) -> None:
    real = {
        (method.upper(), re.sub(r"\{[^}]+\}", "{}", path))
        for path, ops in spec["paths"].items()
        for method in ops
    }
    missing = [(m, p) for m, p, _, _ in ROUTES if (m, _template(p)) not in real]
    assert missing == []


def test_response_keys_are_declared(
    spec: dict[str, Any], client: JIRA, http: httpx.Client, state: JiraState
) -> None:
    state.require_field("customfield_10050", name="Customer")
    created = http.post(
        "/rest/api/2/issue", json={"fields": incident_fields(customfield_10050="ACME")}
    )
    assert created.status_code == 201 and set(created.json()) <= _props(spec, "CreatedIssue")
    checks = {
        "/rest/api/2/serverInfo": "ServerInformation",
        "/rest/api/2/myself": "User",
        "/rest/api/2/issue/OPS-1": "IssueBean",
        "/rest/api/2/issue/OPS-1/transitions": "Transitions",
        "/rest/api/2/issue/createmeta/OPS/issuetypes": "PageOfCreateMetaIssueTypes",
        "/rest/api/2/issue/createmeta/OPS/issuetypes/10010": "PageOfCreateMetaIssueTypeWithField",
        "/rest/api/2/search/jql?jql=project%20%3D%20OPS&fields=*all": "SearchAndReconcileResults",
        "/rest/api/2/search?jql=project%20%3D%20OPS": "SearchResults",
    }
    for path, schema in checks.items():
        body = http.get(path).json()
        assert set(body) <= _props(spec, schema), (path, set(body) - _props(spec, schema))
    transition = http.get("/rest/api/2/issue/OPS-1/transitions").json()["transitions"][0]
    assert set(transition) - {"isLooped"} <= _props(spec, "IssueTransition")
    meta = http.get("/rest/api/2/issue/createmeta/OPS/issuetypes/10010").json()["fields"]
    required = set(spec["components"]["schemas"]["FieldCreateMetadata"]["required"])
    assert all(required <= set(f) <= _props(spec, "FieldCreateMetadata") for f in meta)
    comment = client.add_comment("OPS-1", "x").raw
    assert set(comment) <= _props(spec, "Comment")
    link_types = http.get("/rest/api/2/issueLinkType").json()["issueLinkTypes"]
    assert all(set(lt) <= _props(spec, "IssueLinkType") for lt in link_types)
