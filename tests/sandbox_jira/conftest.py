"""Fixtures: one sandbox Jira per session, a fresh site per test, real ``jira.JIRA`` clients."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from jira import JIRA, JIRAError

from bot.sandbox.jira import JiraState, SandboxJira

USER, TOKEN = "opsbot@example.com", "jira-sandbox-token"


@pytest.fixture(scope="session")
def _running_sandbox() -> Iterator[SandboxJira]:
    with SandboxJira() as running:
        yield running


@pytest.fixture
def state() -> JiraState:
    return JiraState()


@pytest.fixture
def sandbox(_running_sandbox: SandboxJira, state: JiraState) -> SandboxJira:
    """One server for the session; every test gets a fresh site."""
    _running_sandbox.reset(state)
    return _running_sandbox


@pytest.fixture
def make_client(sandbox: SandboxJira) -> Iterator[Callable[..., JIRA]]:
    """Build ``jira.JIRA`` clients (closed at teardown); kwargs override the defaults."""
    made: list[JIRA] = []

    def make(**kwargs: Any) -> JIRA:
        options: dict[str, Any] = {
            "server": sandbox.url,
            "basic_auth": (USER, TOKEN),
            "max_retries": 0,
            "timeout": 5,
        }
        options.update(kwargs)
        client = JIRA(**options)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


@pytest.fixture
def client(make_client: Callable[..., JIRA]) -> JIRA:
    return make_client()


@pytest.fixture
def http(sandbox: SandboxJira) -> Iterator[httpx.Client]:
    """A plain HTTP client with the sandbox's credentials."""
    with httpx.Client(base_url=sandbox.url, auth=(USER, TOKEN), timeout=5) as plain:
        yield plain


def incident_fields(n: int = 42, **extra: Any) -> dict[str, Any]:
    """The fields opsbot sends when an incident opens."""
    fields: dict[str, Any] = {
        "project": {"key": "OPS"},
        "summary": f"INC-{n}: checkout API returns 500",
        "description": "Error rate above 5% for 10 minutes.\nRunbook: https://runbooks/api",
        "issuetype": {"name": "Incident"},
        "priority": {"name": "Highest"},
        "labels": [f"opsbot-incident-{n}", "opsbot"],
        "components": [{"name": "API"}],
    }
    fields.update(extra)
    return fields


def jira_error(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> JIRAError:
    """Call something expected to fail with a JIRAError and return it."""
    with pytest.raises(JIRAError) as info:
        fn(*args, **kwargs)
    return info.value


def openapi() -> dict[str, Any]:
    """Atlassian's Jira Cloud OpenAPI from the shared reference folder (skip when missing)."""
    default = Path(__file__).resolve().parents[2].parent / "shared" / "reference"
    path = Path(os.environ.get("OPSBOT_REFERENCE_DIR") or default)
    spec = path / "jira" / "jira-cloud-platform.openapi.json"
    if not spec.is_file():
        message = f"Jira OpenAPI not found at {spec} (set OPSBOT_REFERENCE_DIR)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    loaded: dict[str, Any] = json.loads(spec.read_text())
    return loaded
