"""Fault injection (429 + Retry-After, errors, delays, timeout after commit) and the journal."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable

import httpx
import pytest
import requests
from jira import JIRA

from bot.sandbox.jira import JiraFault, JiraState, SandboxJira

from .conftest import incident_fields, jira_error

CREATE = "/rest/api/2/issue$"  # only POST /issue itself, not /issue/OPS-1/comment


def test_ratelimited_answers_429_with_retry_after(client: JIRA, state: JiraState) -> None:
    state.add_fault(JiraFault(path_prefix=CREATE, method="POST", kind="ratelimited", retry_after=7))
    start = time.monotonic()
    error = jira_error(client.create_issue, fields=incident_fields())
    assert time.monotonic() - start < 1  # max_retries=0: the library does not sleep
    assert error.status_code == 429 and error.response.headers["Retry-After"] == "7"
    assert state.issues() == []
    entry = state.calls("POST /rest/api/2/issue")[-1]
    assert (entry.status, entry.fault) == (429, "ratelimited")


def test_error_fault_times_then_recovers(client: JIRA, state: JiraState) -> None:
    state.add_fault(JiraFault(path_prefix="/rest/api/2/myself", status=503, times=2))
    assert jira_error(client.myself).status_code == 503
    assert "unavailable" in jira_error(client.myself).text
    assert client.myself()["accountId"]
    assert [c.status for c in state.calls("/rest/api/2/myself")] == [503, 503, 200]


def test_every_third_request_fails(client: JIRA, state: JiraState) -> None:
    state.add_fault(JiraFault(path_prefix="/rest/api/2/priority", status=500, every=3))
    outcomes = []
    for _ in range(6):
        try:
            client.priorities()
            outcomes.append(True)
        except Exception:
            outcomes.append(False)
    assert outcomes == [True, True, False, True, True, False]


def test_delay_fault(client: JIRA, state: JiraState) -> None:
    state.add_fault(JiraFault(path_prefix="/rest/api/2/myself", kind="delay", delay=0.2, times=1))
    start = time.monotonic()
    assert client.myself()["emailAddress"] == "opsbot@example.com"
    assert time.monotonic() - start >= 0.2


def test_timeout_after_commit_creates_the_issue(
    make_client: Callable[..., JIRA], state: JiraState
) -> None:
    state.add_fault(
        JiraFault(
            path_prefix=CREATE, method="POST", kind="timeout_after_commit", delay=1.0, times=1
        )
    )
    impatient = make_client(timeout=0.3)
    with pytest.raises(requests.exceptions.ReadTimeout):
        impatient.create_issue(fields=incident_fields())
    # The issue exists although the client never saw the answer: search before re-creating.
    assert [i.key for i in state.issues()] == ["OPS-1"]
    found = impatient.search_issues('labels = "opsbot-incident-42"')
    assert [i.key for i in found] == ["OPS-1"]
    entry = state.calls("POST " + CREATE)[0]
    assert (entry.status, entry.fault) == (201, "timeout_after_commit")
    # A naive retry (no search first) makes the duplicate the outbox must avoid.
    impatient.create_issue(fields=incident_fields())
    assert len(state.search('labels = "opsbot-incident-42"')) == 2


def test_journal(client: JIRA, state: JiraState) -> None:
    client.create_issue(fields=incident_fields())
    client.add_comment("OPS-1", "update")
    jira_error(client.issue, "OPS-7")
    calls = state.calls()
    assert [(c.method, c.path, c.status) for c in calls] == [
        ("GET", "/rest/api/2/serverInfo", 200),
        ("POST", "/rest/api/2/issue", 201),
        ("GET", "/rest/api/2/issue/OPS-1", 200),
        ("POST", "/rest/api/2/issue/OPS-1/comment", 201),
        ("GET", "/rest/api/2/issue/OPS-7", 404),
    ]
    assert all(a.seq < b.seq and a.t <= b.t for a, b in itertools.pairwise(calls))
    assert calls[1].body["fields"]["labels"][0] == "opsbot-incident-42"
    assert calls[1].summary.startswith("project=OPS issuetype=Incident summary='INC-42: checkout")
    assert "labels=opsbot-incident-42,opsbot" in calls[1].summary
    assert len(calls[1].summary) <= 200 and calls[3].summary == "body='update'"
    assert calls[-1].error == "Issue does not exist or you do not have permission to see it."
    assert state.count("POST", CREATE) == 1
    assert state.count("POST", "/rest/api/2/issue") == 2  # prefix: the comment counts too
    assert state.count("*", "/rest/api/2/issue") == 4
    assert state.count() == 5
    assert len(state.calls("GET ")) == 3


def test_faults_and_journal_over_http(sandbox: SandboxJira, client: JIRA) -> None:
    with httpx.Client(base_url=sandbox.url, timeout=5) as plain:
        added = plain.post(
            "/_sandbox/faults",
            json={"path_prefix": "/rest/api/2/myself", "kind": "error", "status": 500},
        )
        assert added.status_code == 200 and added.json()["fault"]["status"] == 500
        assert jira_error(client.myself).status_code == 500
        assert plain.delete("/_sandbox/faults").status_code == 204
        assert client.myself()["displayName"] == "opsbot"
        assert plain.post("/_sandbox/faults", json={"kind": "explode"}).status_code == 400
        calls = plain.get("/_sandbox/journal", params={"prefix": "/rest/api/2/myself"}).json()
        assert [c["status"] for c in calls["calls"]] == [500, 200]


def test_reset_serves_a_fresh_site(sandbox: SandboxJira, client: JIRA) -> None:
    client.create_issue(fields=incident_fields())
    fresh = sandbox.reset(JiraState(project_key="SRE"))
    assert client.project("SRE").key == "SRE" and fresh.issues() == []
    assert jira_error(client.issue, "OPS-1").status_code == 404
