"""The JQL subset parser and the path-prefix rule of faults and the journal (no server)."""

from __future__ import annotations

import pytest

from bot.sandbox.jira import JqlError
from bot.sandbox.jira._jql import Clause, parse
from bot.sandbox.jira._models import path_matches


def test_parse_clauses_and_order() -> None:
    query = parse(
        "project = OPS AND labels IN (\"a b\", 'c\\'d') and status != Closed "
        "AND resolution IS NOT EMPTY ORDER BY created DESC, key"
    )
    assert query.clauses == [
        Clause("project", "=", ("OPS",)),
        Clause("labels", "in", ("a b", "c'd")),
        Clause("status", "!=", ("Closed",)),
        Clause("resolution", "is not", ()),
    ]
    assert query.order == [("created", True), ("key", False)]
    assert parse("issuekey not in (OPS-1)").clauses == [Clause("key", "not in", ("OPS-1",))]
    assert parse("").clauses == []


@pytest.mark.parametrize(
    "jql",
    [
        "project = OPS OR project = SRE",
        "NOT project = OPS",
        "(project = OPS)",
        "summary ~ db",
        "created > -1d",
        "project = OPS ORDER BY rank",
        "project = OPS AND",
        "project OPS",
        "labels in (a, b",
    ],
)
def test_rejects_outside_the_subset(jql: str) -> None:
    with pytest.raises(JqlError):
        parse(jql)


@pytest.mark.parametrize(
    ("prefix", "path", "hit"),
    [
        ("/rest/api/2/issue", "/rest/api/2/issue", True),
        ("/rest/api/2/issue", "/rest/api/2/issue/OPS-1/comment", True),
        ("/rest/api/2/issue", "/rest/api/2/issueLink", False),
        ("/rest/api/2/issue$", "/rest/api/2/issue/OPS-1", False),
        ("/rest/api/2/issue$", "/rest/api/2/issue", True),
        ("/rest/api/", "/rest/api/2/serverInfo", True),
        ("", "/anything", True),
    ],
)
def test_path_matches(prefix: str, path: str, hit: bool) -> None:
    assert path_matches(prefix, path) is hit
