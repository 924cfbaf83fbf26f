"""Comments, workflow transitions and issue links."""

from __future__ import annotations

import httpx
from jira import JIRA

from bot.sandbox.jira import JiraState

from .conftest import incident_fields, jira_error


def test_comments(client: JIRA, state: JiraState) -> None:
    client.create_issue(fields=incident_fields())
    first = client.add_comment("OPS-1", "Severity changed: SEV2 -> SEV1")
    second = client.add_comment("OPS-1", "Mitigated by rollback")
    assert first.id == "10000" and first.body == "Severity changed: SEV2 -> SEV1"
    assert first.author.emailAddress == "opsbot@example.com" and first.created.endswith("+0000")
    assert [c.body for c in client.comments("OPS-1")] == [first.body, second.body]
    assert client.comment("OPS-1", second.id).body == "Mitigated by rollback"
    assert client.issue("OPS-1").fields.comment.total == 2
    assert [c.body for c in state.comments("OPS-1")] == [first.body, second.body]
    assert jira_error(client.add_comment, "OPS-1", "  ").status_code == 400


def test_transitions_by_name(client: JIRA, state: JiraState) -> None:
    client.create_issue(fields=incident_fields())
    names = {t["name"]: t["id"] for t in client.transitions("OPS-1")}
    assert names == {"Start Progress": "11", "Resolve": "21"}
    assert client.find_transitionid_by_name("OPS-1", "resolve") == "21"
    client.transition_issue("OPS-1", "Start Progress")
    client.transition_issue("OPS-1", "Resolve", comment="Resolved by opsbot")
    issue = client.issue("OPS-1")
    assert issue.fields.status.name == "Resolved" and issue.fields.resolution.name == "Done"
    assert issue.fields.resolutiondate is not None
    assert [t["name"] for t in client.transitions("OPS-1")] == ["Close", "Reopen"]
    client.transition_issue("OPS-1", "31")  # by id
    client.transition_issue("OPS-1", "Reopen")
    stored = state.issue("OPS-1")
    assert stored is not None and stored.resolution is None
    assert stored.status_history == ["Open", "In Progress", "Resolved", "Closed", "Open"]
    assert [c.body for c in state.comments("OPS-1")] == ["Resolved by opsbot"]


def test_invalid_transition(client: JIRA, http: httpx.Client, state: JiraState) -> None:
    client.create_issue(fields=incident_fields())
    error = jira_error(client.transition_issue, "OPS-1", "31")  # Close needs Resolved
    assert error.status_code == 400
    assert error.response.json()["errorMessages"] == [
        "Transition id '31' is not valid for this issue."
    ]
    error = jira_error(client.transition_issue, "OPS-1", "Close")  # name not offered
    assert "Invalid transition name" in str(error)
    missing = http.post("/rest/api/2/issue/OPS-1/transitions", json={})
    assert missing.status_code == 400
    assert missing.json()["errorMessages"] == ["Missing 'transition' identifier"]
    assert state.issue("OPS-1").status == "Open"  # type: ignore[union-attr]


def test_issue_links(client: JIRA, http: httpx.Client, state: JiraState) -> None:
    client.create_issue(fields=incident_fields())
    task = {
        "project": {"key": "OPS"},
        "summary": "Add DB failover test",
        "issuetype": {"name": "Task"},
    }
    client.create_issue(fields=task)
    assert [t.name for t in client.issue_link_types()] == [
        "Blocks",
        "Cloners",
        "Duplicate",
        "Relates",
    ]
    resp = client.create_issue_link("Relates", "OPS-1", "OPS-2")
    assert resp.status_code == 201 and resp.content == b""
    client.create_issue_link("Relates", "OPS-1", "OPS-2")  # a duplicate is not created twice
    [link] = state.links()
    assert (link.type_name, link.inward_key, link.outward_key) == ("Relates", "OPS-1", "OPS-2")
    on_incident = client.issue("OPS-1").fields.issuelinks
    assert [(lk.type.name, lk.outwardIssue.key) for lk in on_incident] == [("Relates", "OPS-2")]
    assert not hasattr(on_incident[0], "inwardIssue")
    on_task = client.issue("OPS-2").fields.issuelinks
    assert on_task[0].inwardIssue.key == "OPS-1"
    assert on_task[0].inwardIssue.fields.status.name == "Open"
    fetched = client.issue_link(link.id)
    assert (fetched.inwardIssue.key, fetched.outwardIssue.key) == ("OPS-1", "OPS-2")
    bad = http.post(
        "/rest/api/2/issueLink",
        json={
            "type": {"name": "Causes"},
            "inwardIssue": {"key": "OPS-1"},
            "outwardIssue": {"key": "OPS-2"},
        },
    )
    assert bad.status_code == 404
    assert bad.json()["errorMessages"] == ["No issue link type with name 'Causes' found."]
    gone = http.post(
        "/rest/api/2/issueLink",
        json={
            "type": {"name": "Relates"},
            "inwardIssue": {"key": "OPS-1"},
            "outwardIssue": {"key": "OPS-9"},
        },
    )
    assert gone.status_code == 404
    client.delete_issue_link(link.id)
    assert state.links() == []
