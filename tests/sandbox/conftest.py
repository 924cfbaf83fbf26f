"""Fixtures: a running sandbox Slack per test and real slack_sdk clients pointed at it."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.sandbox.slack import SandboxSlack, SlackState

TOKEN = "xoxb-sandbox"


@pytest.fixture(scope="session")
def _running_sandbox() -> Iterator[SandboxSlack]:
    with SandboxSlack() as running:
        yield running


@pytest.fixture(scope="session")
def http() -> Iterator[httpx.Client]:
    """One plain HTTP client (creating one per request costs ~50 ms of TLS setup)."""
    with httpx.Client(timeout=5) as client:
        yield client


@pytest.fixture
def state() -> SlackState:
    return SlackState(trigger_ttl_s=0.2)


@pytest.fixture
def sandbox(_running_sandbox: SandboxSlack, state: SlackState) -> SandboxSlack:
    """One server for the session; every test gets a fresh workspace."""
    _running_sandbox.reset(state)
    return _running_sandbox


@pytest.fixture
def client(sandbox: SandboxSlack) -> WebClient:
    return WebClient(token=TOKEN, base_url=sandbox.api_url, timeout=5)


def modal(title: str = "Declare incident", **extra: Any) -> dict[str, Any]:
    """A valid modal with one input block."""
    view: dict[str, Any] = {
        "type": "modal",
        "callback_id": "declare",
        "title": {"type": "plain_text", "text": title},
        "submit": {"type": "plain_text", "text": "Declare"},
        "private_metadata": "C0INCIDENTS",
        "blocks": [
            {
                "type": "input",
                "block_id": "title_block",
                "label": {"type": "plain_text", "text": "Title"},
                "element": {"type": "plain_text_input", "action_id": "title"},
            }
        ],
    }
    view.update(extra)
    return view


def buttons(*labels: str) -> list[dict[str, Any]]:
    """A section plus an actions block with one button per label."""
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": "*DB down*"}},
        {
            "type": "actions",
            "block_id": "incident_actions",
            "elements": [
                {
                    "type": "button",
                    "text": {"type": "plain_text", "text": label},
                    "action_id": label.lower(),
                    "value": f"v-{label.lower()}",
                }
                for label in labels
            ],
        },
    ]


def err(fn: Callable[..., Any], **kwargs: Any) -> str:
    """Call a WebClient method expected to fail; return Slack's error code."""
    with pytest.raises(SlackApiError) as info:
        fn(**kwargs)
    return str(info.value.response["error"])


def reference_dir() -> Path:
    """The shared reference folder; skip (or fail under CI) when it is missing."""
    default = Path(__file__).resolve().parents[2].parent / "shared" / "reference"
    path = Path(os.environ.get("OPSBOT_REFERENCE_DIR") or default)
    if not (path / "slack" / "methods").is_dir():
        message = f"Slack reference material not found at {path} (set OPSBOT_REFERENCE_DIR)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path
