"""serverInfo, auth, projects, priorities and create metadata."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from jira import JIRA

from bot.sandbox.jira import JiraState, SandboxJira

from .conftest import jira_error


def test_server_info_is_anonymous_and_cloud(sandbox: SandboxJira, state: JiraState) -> None:
    with httpx.Client(base_url=sandbox.url, timeout=5) as anonymous:
        info = anonymous.get("/rest/api/2/serverInfo").json()
        assert info["deploymentType"] == "Cloud" and info["versionNumbers"][0] >= 1000
        assert info["baseUrl"] == sandbox.url
        assert anonymous.get("/rest/api/2/myself").status_code == 401


def test_client_construction_calls_server_info(client: JIRA, state: JiraState) -> None:
    assert client.deploymentType == "Cloud" and client._is_cloud
    assert [(c.method, c.path) for c in state.calls()] == [("GET", "/rest/api/2/serverInfo")]


def test_bad_token_is_401(make_client: Callable[..., JIRA], state: JiraState) -> None:
    bad = make_client(basic_auth=("opsbot@example.com", "wrong"))  # serverInfo needs no auth
    error = jira_error(bad.myself)
    assert error.status_code == 401
    assert error.response.json() == {
        "errorMessages": ["Client must be authenticated to access this resource."],
        "errors": {},
    }
    fields = {"project": {"key": "OPS"}, "summary": "x", "issuetype": {"name": "Task"}}
    assert jira_error(bad.create_issue, fields=fields).status_code == 401
    assert state.issues() == [] and state.calls()[-1].status == 401


def test_myself_projects_priorities(client: JIRA) -> None:
    me = client.myself()
    assert me["emailAddress"] == "opsbot@example.com" and me["accountId"]
    project = client.project("OPS")
    assert (project.key, project.name, project.id) == ("OPS", "Operations", "10000")
    assert [(t.id, t.name) for t in project.issueTypes] == [
        ("10010", "Incident"),
        ("10011", "Task"),
    ]
    assert [c.name for c in project.components] == ["API", "Database"]
    assert [p.key for p in client.projects()] == ["OPS"]
    assert [(p.id, p.name) for p in client.priorities()] == [
        ("1", "Highest"),
        ("2", "High"),
        ("3", "Medium"),
        ("4", "Low"),
    ]
    error = jira_error(client.project, "NOPE")
    assert error.status_code == 404 and "No project could be found" in error.text


def test_createmeta_issuetypes_shows_required_fields(http: httpx.Client, state: JiraState) -> None:
    state.require_field("customfield_10050", name="Customer", issue_types=["Incident"])
    types = http.get("/rest/api/2/issue/createmeta/OPS/issuetypes").json()
    assert types["total"] == 2 and [t["name"] for t in types["issueTypes"]] == ["Incident", "Task"]
    fields = http.get("/rest/api/2/issue/createmeta/OPS/issuetypes/10010").json()["fields"]
    required = {f["fieldId"] for f in fields if f["required"]}
    assert required == {"project", "issuetype", "summary", "customfield_10050"}
    by_id = {f["fieldId"]: f for f in fields}
    assert by_id["customfield_10050"]["name"] == "Customer"
    assert {"fieldId", "key", "name", "operations", "required", "schema"} <= set(by_id["labels"])
    assert by_id["priority"]["allowedValues"][0]["name"] == "Highest"
    task = http.get("/rest/api/2/issue/createmeta/OPS/issuetypes/10011").json()["fields"]
    assert "customfield_10050" not in {f["fieldId"] for f in task}
    assert http.get("/rest/api/2/issue/createmeta/NOPE/issuetypes").status_code == 404
    assert http.get("/rest/api/2/issue/createmeta/OPS/issuetypes/999").status_code == 404


def test_library_createmeta_on_cloud(client: JIRA, state: JiraState) -> None:
    state.require_field("customfield_10050", name="Customer")
    # jira 3.10 refuses the per-issue-type endpoints on Cloud; it calls the legacy one instead.
    assert "Unsupported JIRA deployment type" in str(jira_error(client.project_issue_types, "OPS"))
    assert "Unsupported" in str(jira_error(client.project_issue_fields, "OPS", "10010"))
    meta = client.createmeta(
        projectKeys="OPS", issuetypeNames="Incident", expand="projects.issuetypes.fields"
    )
    [project] = meta["projects"]
    [incident] = project["issuetypes"]
    assert project["key"] == "OPS" and incident["name"] == "Incident"
    assert incident["fields"]["customfield_10050"]["required"] is True
    assert incident["fields"]["description"]["required"] is False
    assert state.calls()[-1].path == "/rest/api/2/issue/createmeta"
    raw = client._get_json("issue/createmeta/OPS/issuetypes/10010")  # what `opsbot check` can use
    assert any(f["fieldId"] == "customfield_10050" and f["required"] for f in raw["fields"])


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("GET", "/rest/api/2/nothing", 404), ("DELETE", "/rest/api/2/issue", 405)],
)
def test_unknown_paths(http: httpx.Client, method: str, path: str, status: int) -> None:
    resp = http.request(method, path)
    assert resp.status_code == status and resp.json()["errorMessages"]


def test_malformed_json_is_400(http: httpx.Client, state: JiraState) -> None:
    resp = http.post(
        "/rest/api/2/issue", content=b"{nope", headers={"Content-Type": "application/json"}
    )
    assert resp.status_code == 400 and "JSON" in resp.json()["errorMessages"][0]
    assert state.issues() == []
