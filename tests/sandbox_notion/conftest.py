"""Fixtures: one running sandbox Notion per session, a fresh workspace and real clients per test."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from notion_client import APIResponseError, Client
from notion_client.client import RetryOptions

from bot.sandbox.notion import NotionState, SandboxNotion

TOKEN = "secret_sandbox"
QUIET = logging.getLogger("tests.sandbox_notion.client")
"""Pass as ``logger=``: without one, every notion-client adds a handler to ``notion_client``."""
FAST_RETRY = RetryOptions(max_retries=2, initial_retry_delay_ms=10, max_retry_delay_ms=50)
"""notion-client's defaults (2 retries, 1 s back-off, Retry-After honoured up to 60 s), shrunk."""


@pytest.fixture(scope="session")
def _running_sandbox() -> Iterator[SandboxNotion]:
    with SandboxNotion() as running:
        yield running


@pytest.fixture(scope="session")
def http() -> Iterator[httpx.Client]:
    """One plain HTTP client for raw requests."""
    with httpx.Client(timeout=5) as client:
        yield client


@pytest.fixture
def state() -> NotionState:
    return NotionState()


@pytest.fixture
def sandbox(_running_sandbox: SandboxNotion, state: NotionState) -> SandboxNotion:
    """One server for the session; every test gets a fresh workspace."""
    _running_sandbox.reset(state)
    return _running_sandbox


@pytest.fixture
def make_client(sandbox: SandboxNotion) -> Iterator[Callable[..., Client]]:
    """Build real notion-client clients on the sandbox; all are closed after the test."""
    made: list[Client] = []

    def make(**options: Any) -> Client:
        options.setdefault("auth", TOKEN)
        options.setdefault("timeout_ms", 5_000)
        options.setdefault("retry", FAST_RETRY)
        options.setdefault("logger", QUIET)
        client = Client(base_url=sandbox.url, **options)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


@pytest.fixture
def client(make_client: Callable[..., Client]) -> Client:
    """notion-client 3.1 as opsbot builds it (default Notion-Version), with fast retries."""
    return make_client()


@pytest.fixture
def ds(client: Client, state: NotionState) -> str:
    """The data source id, discovered the 2025-09-03 way: from the database object."""
    database = client.databases.retrieve(state.database_id)
    return str(database["data_sources"][0]["id"])


def text(value: str) -> list[dict[str, Any]]:
    """A request rich text array with one text item."""
    return [{"type": "text", "text": {"content": value}}]


def incident_properties(opsbot_id: str = "incident-42", **overrides: Any) -> dict[str, Any]:
    """Request values for every property of the Incidents schema."""
    props: dict[str, Any] = {
        "Title": {"title": text("Checkout API 5xx")},
        "Severity": {"select": {"name": "S1"}},
        "Status": {"select": {"name": "open"}},
        "Service": {"rich_text": text("checkout")},
        "Client": {"rich_text": text("acme")},
        "Opened": {"date": {"start": "2025-09-03T10:00:00+00:00"}},
        "Acknowledged": {"date": None},
        "Resolved": {"date": None},
        "MTTA (min)": {"number": None},
        "MTTR (min)": {"number": None},
        "Jira": {"url": "https://jira.example.com/browse/OPS-1"},
        "Slack": {"url": "https://example.slack.com/archives/C0INCIDENTS/p1"},
        "opsbot id": {"rich_text": text(opsbot_id)},
    }
    props.update(overrides)
    return props


def parent(ds: str) -> dict[str, str]:
    """A 2025-09-03 page parent."""
    return {"type": "data_source_id", "data_source_id": ds}


def api_error(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> APIResponseError:
    """Call a client method expected to fail with an API error; return the error."""
    with pytest.raises(APIResponseError) as info:
        fn(*args, **kwargs)
    return info.value


def by_opsbot_id(client: Client, ds: str, opsbot_id: str) -> list[dict[str, Any]]:
    """What opsbot does before creating: look the page up by its ``opsbot id``."""
    found = client.data_sources.query(
        ds, filter={"property": "opsbot id", "rich_text": {"equals": opsbot_id}}
    )
    return list(found["results"])
