"""JQL search: the enhanced ``/search/jql`` the library uses on Cloud, and legacy ``/search``."""

from __future__ import annotations

import httpx
import pytest
from jira import JIRA

from bot.sandbox.jira import JiraState

from .conftest import incident_fields, jira_error


@pytest.fixture
def three(client: JIRA) -> None:
    for n in (1, 2, 3):
        client.create_issue(
            fields=incident_fields(n, priority={"name": ["Low", "High", "Medium"][n - 1]})
        )


def test_search_by_label_uses_search_jql(client: JIRA, state: JiraState, three: None) -> None:
    found = client.search_issues('labels = "opsbot-incident-2"')
    assert [i.key for i in found] == ["OPS-2"]
    assert found[0].fields.summary.startswith("INC-2") and found[0].fields.status.name == "Open"
    paths = [c.path for c in state.calls()]
    assert "/rest/api/2/field" in paths and paths[-1] == "/rest/api/2/search/jql"
    assert state.calls()[-1].query["jql"] == 'labels = "opsbot-incident-2"'
    assert client.search_issues('project = OPS AND labels = "opsbot-incident-9"') == []


def test_jql_subset(client: JIRA, three: None) -> None:
    def keys(jql: str) -> list[str]:
        return [i.key for i in client.search_issues(jql)]

    assert keys("project = OPS ORDER BY created DESC") == ["OPS-3", "OPS-2", "OPS-1"]
    assert keys('labels in ("opsbot-incident-1", opsbot-incident-3)') == ["OPS-1", "OPS-3"]
    assert keys("key = ops-2") == ["OPS-2"]
    assert keys("project = OPS AND priority != Low ORDER BY priority ASC") == ["OPS-2", "OPS-3"]
    assert keys("issuetype = Incident AND status = Open AND component = API") == [
        "OPS-1",
        "OPS-2",
        "OPS-3",
    ]
    assert keys("project = OPS AND resolution is EMPTY ORDER BY key DESC")[0] == "OPS-3"
    assert keys("labels not in (opsbot-incident-1) AND project = OPS") == ["OPS-2", "OPS-3"]


@pytest.mark.parametrize(
    ("jql", "message"),
    [
        ("labels = a OR labels = b", "does not support 'OR'"),
        ("summary ~ checkout", "does not support the JQL field 'summary'"),
        ("assignee = currentUser()", "does not support the JQL field 'assignee'"),
        ("project = OPS AND labels in membersOf(x)", "expecting '('"),
        ('labels = "unterminated', "unexpected character"),
        ("project = NOPE", "The value 'NOPE' does not exist for the field 'project'."),
        ("ORDER BY created DESC", "Unbounded JQL queries are not allowed here."),
    ],
)
def test_unsupported_or_invalid_jql_is_400(client: JIRA, jql: str, message: str) -> None:
    error = jira_error(client.search_issues, jql)
    assert error.status_code == 400 and message in error.text


def test_search_jql_paging_and_fields(http: httpx.Client, three: None) -> None:
    first = http.get(
        "/rest/api/2/search/jql", params={"jql": "project = OPS", "maxResults": 2}
    ).json()
    assert [i["key"] for i in first["issues"]] == ["OPS-1", "OPS-2"]
    assert first["issues"][0]["fields"] == {} and first["isLast"] is False  # default fields: id
    rest = http.post(
        "/rest/api/2/search/jql",
        json={
            "jql": "project = OPS",
            "nextPageToken": first["nextPageToken"],
            "fields": ["labels"],
        },
    ).json()
    assert [i["key"] for i in rest["issues"]] == ["OPS-3"] and rest["isLast"] is True
    assert "nextPageToken" not in rest and set(rest["issues"][0]["fields"]) == {"labels"}
    v3 = http.get(
        "/rest/api/3/search/jql", params={"jql": "key = OPS-1", "fields": "description"}
    ).json()
    assert v3["issues"][0]["fields"]["description"]["type"] == "doc"  # ADF on v3


def test_legacy_search(http: httpx.Client, three: None) -> None:
    got = http.get(
        "/rest/api/2/search", params={"jql": "project = OPS", "startAt": 1, "maxResults": 1}
    ).json()
    assert (got["startAt"], got["maxResults"], got["total"]) == (1, 1, 3)
    assert [i["key"] for i in got["issues"]] == ["OPS-2"]
    posted = http.post("/rest/api/2/search", json={"jql": 'labels = "opsbot-incident-3"'}).json()
    assert (
        posted["total"] == 1 and posted["issues"][0]["fields"]["labels"][0] == "opsbot-incident-3"
    )
    bad = http.get("/rest/api/2/search", params={"jql": "labels = a OR labels = b"})
    assert bad.status_code == 400 and bad.json()["errors"] == {}
