"""Create, read and edit issues through the real ``jira`` client."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
from jira import JIRA

from bot.sandbox.jira import JiraState, SandboxJira

from .conftest import TOKEN, USER, incident_fields, jira_error


def test_create_with_every_field(client: JIRA, state: JiraState) -> None:
    state.require_field("customfield_10050", name="Customer")
    issue = client.create_issue(fields=incident_fields(customfield_10050="ACME"))
    assert issue.key == "OPS-1" and issue.id == "10000"
    f = issue.fields
    assert f.summary == "INC-42: checkout API returns 500"
    assert f.description.startswith("Error rate above 5%")
    assert (f.issuetype.name, f.issuetype.id) == ("Incident", "10010")
    assert (f.priority.name, f.priority.id) == ("Highest", "1")
    assert f.labels == ["opsbot-incident-42", "opsbot"]
    assert [c.name for c in f.components] == ["API"]
    assert f.status.name == "Open" and f.status.statusCategory.key == "new"
    assert f.project.key == "OPS" and f.customfield_10050 == "ACME"
    assert f.resolution is None and f.issuelinks == []
    stored = state.issue("OPS-1")
    assert stored is not None and stored.custom == {"customfield_10050": "ACME"}
    assert [i.key for i in state.issues()] == ["OPS-1"]


def test_create_by_ids_and_library_name_lookup(client: JIRA, state: JiraState) -> None:
    by_ids = client.create_issue(
        fields={
            "project": {"id": "10000"},
            "summary": "by ids",
            "issuetype": {"id": "10011"},
            "priority": {"id": "3"},
            "components": [{"id": "10001"}],
        }
    )
    assert (by_ids.fields.issuetype.name, by_ids.fields.priority.name) == ("Task", "Medium")
    assert [c.name for c in by_ids.fields.components] == ["Database"]
    # Plain strings make the library look the project and the issue type up first.
    named = client.create_issue(project="OPS", summary="RCA action", issuetype="Task")
    assert named.key == "OPS-2" and named.fields.issuetype.name == "Task"
    assert state.count("GET", "/rest/api/2/project") == 2


def test_required_field_validation(client: JIRA, state: JiraState) -> None:
    state.require_field("customfield_10050", name="Customer", issue_types=["Incident"])
    error = jira_error(client.create_issue, fields=incident_fields())
    assert error.status_code == 400
    assert error.response.json() == {
        "errorMessages": [],
        "errors": {"customfield_10050": "Customer is required."},
    }
    assert "Customer is required." in error.text
    assert state.issues() == []
    # Not required for Task, and not even on its screen.
    task = {"project": {"key": "OPS"}, "summary": "t", "issuetype": {"name": "Task"}}
    assert client.create_issue(fields=task).key == "OPS-1"
    error = jira_error(client.create_issue, fields={**task, "customfield_10050": "x"})
    assert "cannot be set" in error.response.json()["errors"]["customfield_10050"]


def test_field_errors_are_collected(client: JIRA, state: JiraState) -> None:
    bad = incident_fields(
        summary="",
        priority={"name": "Urgent"},
        labels=["has space"],
        components=[{"name": "Frontend"}],
        description={"type": "doc", "version": 1, "content": []},
        assignee={"accountId": "x"},
    )
    errors = jira_error(client.create_issue, fields=bad).response.json()["errors"]
    assert errors == {
        "summary": "You must specify a summary of the issue.",
        "priority": "Priority name 'Urgent' is not valid",
        "labels": "The label 'has space' contains spaces which is invalid.",
        "components": "Component name 'Frontend' is not valid",
        "description": "Operation value must be a string",
        "assignee": "Field 'assignee' cannot be set. It is not on the appropriate screen, "
        "or unknown.",
    }
    wrong = {"project": {"key": "NOPE"}, "summary": "x", "issuetype": {"name": "Bug"}}
    errors = jira_error(client.create_issue, fields=wrong).response.json()["errors"]
    assert errors == {"project": "Specify a valid project ID or key"}
    errors = jira_error(client.create_issue, fields={**wrong, "project": {"key": "OPS"}})
    assert errors.response.json()["errors"] == {"issuetype": "The issue type selected is invalid."}
    assert state.issues() == []


def test_get_by_key_and_id_with_field_filter(
    client: JIRA, http: httpx.Client, state: JiraState
) -> None:
    client.create_issue(fields=incident_fields())
    assert client.issue("ops-1").key == "OPS-1"
    assert client.issue("10000").key == "OPS-1"
    only = http.get("/rest/api/2/issue/OPS-1", params={"fields": "summary,labels"}).json()
    assert set(only["fields"]) == {"summary", "labels"} and only["key"] == "OPS-1"
    minus = http.get("/rest/api/2/issue/OPS-1", params={"fields": "*all,-comment"}).json()
    assert "comment" not in minus["fields"] and "summary" in minus["fields"]


def test_unknown_issue_is_404(client: JIRA) -> None:
    error = jira_error(client.issue, "OPS-999")
    assert error.status_code == 404
    assert error.response.json() == {
        "errorMessages": ["Issue does not exist or you do not have permission to see it."],
        "errors": {},
    }
    assert jira_error(client.add_comment, "OPS-999", "x").status_code == 404
    assert jira_error(client.transitions, "OPS-999").status_code == 404


def test_edit_fields_and_update_operations(client: JIRA, state: JiraState) -> None:
    issue = client.create_issue(fields=incident_fields())
    issue.update(
        fields={"summary": "INC-42: checkout degraded", "priority": {"name": "High"}},
        update={
            "labels": [{"add": "sev2"}, {"remove": "opsbot"}],
            "comment": [{"add": {"body": "Severity lowered"}}],
        },
    )
    assert issue.fields.summary == "INC-42: checkout degraded"
    assert issue.fields.priority.name == "High"
    assert issue.fields.labels == ["opsbot-incident-42", "sev2"]
    assert [c.body for c in state.comments("OPS-1")] == ["Severity lowered"]
    edit = state.calls("PUT /rest/api/2/issue")[-1]
    assert edit.status == 204 and edit.path == "/rest/api/2/issue/10000"


def test_invalid_edit_changes_nothing(client: JIRA, state: JiraState) -> None:
    issue = client.create_issue(fields=incident_fields())
    error = jira_error(issue.update, fields={"summary": "new", "priority": {"name": "P0"}})
    assert error.status_code == 400
    stored = state.issue("OPS-1")
    assert (
        stored is not None and stored.summary.startswith("INC-42") and stored.priority == "Highest"
    )


def test_concurrent_creates_get_unique_keys(sandbox: SandboxJira, state: JiraState) -> None:
    def create(n: int) -> str:
        with httpx.Client(base_url=sandbox.url, auth=(USER, TOKEN), timeout=5) as plain:
            resp = plain.post("/rest/api/2/issue", json={"fields": incident_fields(n)})
            return str(resp.json()["key"])

    with ThreadPoolExecutor(max_workers=8) as pool:
        keys = list(pool.map(create, range(16)))
    assert sorted(keys, key=lambda k: int(k[4:])) == [f"OPS-{n}" for n in range(1, 17)]
    assert len({i.id for i in state.issues()}) == 16


def test_due_date_is_set_read_edited_and_validated(
    client: JIRA, http: httpx.Client, state: JiraState
) -> None:
    issue = client.create_issue(fields=incident_fields(duedate="2030-01-31"))
    assert issue.fields.duedate == "2030-01-31"
    issue.update(fields={"duedate": "2030-02-01"})
    stored = state.issue("OPS-1")
    assert stored is not None and stored.duedate == "2030-02-01"
    errors = jira_error(client.create_issue, fields=incident_fields(duedate="31/01/2030"))
    assert errors.response.json()["errors"] == {"duedate": "Error parsing date string: 31/01/2030"}
    fields = http.get("/rest/api/2/issue/createmeta/OPS/issuetypes/10011").json()["fields"]
    due = next(f for f in fields if f["fieldId"] == "duedate")
    assert due["schema"] == {"type": "date", "system": "duedate"} and not due["required"]
