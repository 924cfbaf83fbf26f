"""Fixtures: one running sandbox n8n per session, a fresh instance and a plain client per test."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from bot.sandbox.n8n import N8nState, SandboxN8n

KEY = "n8n_api_test_key"


@pytest.fixture(scope="session")
def _running_sandbox() -> Iterator[SandboxN8n]:
    with SandboxN8n() as running:
        yield running


@pytest.fixture
def state() -> N8nState:
    return N8nState(api_key=KEY)


@pytest.fixture
def sandbox(_running_sandbox: SandboxN8n, state: N8nState) -> SandboxN8n:
    """One server for the session; every test gets a fresh instance."""
    _running_sandbox.reset(state)
    return _running_sandbox


@pytest.fixture
def api(sandbox: SandboxN8n) -> Iterator[httpx.Client]:
    """Plain httpx on ``/api/v1`` with the API key."""
    headers = {"X-N8N-API-KEY": KEY}
    with httpx.Client(base_url=f"{sandbox.url}/api/v1", headers=headers, timeout=5) as client:
        yield client


def ok(response: httpx.Response) -> dict[str, Any]:
    """The JSON body of a 200."""
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def error(response: httpx.Response, status: int) -> str:
    """The ``message`` of an error answer (n8n's only error shape)."""
    assert response.status_code == status, response.text
    body = response.json()
    assert list(body) == ["message"]
    return str(body["message"])


def cursor(raw: str) -> dict[str, Any]:
    """A decoded n8n cursor."""
    data: dict[str, Any] = json.loads(base64.b64decode(raw))
    return data
