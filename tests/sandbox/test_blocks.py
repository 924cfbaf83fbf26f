"""Block Kit validation table (pure) plus one round-trip through chat.update."""

from __future__ import annotations

from typing import Any

import pytest
from slack_sdk import WebClient

from bot.sandbox.slack import check_blocks

from .conftest import buttons, err


def plain(text: str) -> dict[str, str]:
    return {"type": "plain_text", "text": text}


def button(label: str, action_id: str = "a") -> dict[str, Any]:
    return {"type": "button", "text": plain(label), "action_id": action_id}


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


VALID: list[list[dict[str, Any]]] = [
    buttons("Acknowledge", "Resolve"),
    [{"type": "header", "text": plain("x" * 150)}],
    [section("x" * 3000)],
    [{"type": "section", "fields": [plain("f" * 2000)] * 10}],
    [{"type": "divider"}, {"type": "context", "elements": [{"type": "mrkdwn", "text": "c"}]}],
    [{"type": "actions", "elements": [button("b", f"a{i}") for i in range(25)]}],
    [{"type": "image", "image_url": "https://x/y.png", "alt_text": "graph"}],
    [{"type": "rich_text", "elements": []}, {"type": "markdown", "text": "**hi**"}],
    [{"type": "section", "block_id": "b" * 255, "text": plain("t")}],
    [section("s")] * 50,
]

INVALID: list[tuple[list[Any], str]] = [
    ([{"type": "bogus"}], "unsupported type: bogus [json-pointer:/blocks/0/type]"),
    ([section("s")] * 51, "no more than 50 items allowed [json-pointer:/blocks]"),
    ([section("x" * 3001)], "must be less than 3001 characters [json-pointer:/blocks/0/text/text]"),
    ([section("")], "must be more than 0 characters [json-pointer:/blocks/0/text/text]"),
    (
        [{"type": "section", "text": {"type": "html", "text": "x"}}],
        "must be a valid enum value (mrkdwn, plain_text) [json-pointer:/blocks/0/text/type]",
    ),
    (
        [{"type": "header", "text": plain("x" * 151)}],
        "must be less than 151 characters [json-pointer:/blocks/0/text/text]",
    ),
    (
        [{"type": "header", "text": {"type": "mrkdwn", "text": "x"}}],
        "must be a valid enum value (plain_text) [json-pointer:/blocks/0/text/type]",
    ),
    (
        [{"type": "actions", "elements": [button("b", f"a{i}") for i in range(26)]}],
        "must be an array of 1 to 25 items [json-pointer:/blocks/0/elements]",
    ),
    (
        [{"type": "actions", "elements": [button("x" * 76)]}],
        "must be less than 76 characters [json-pointer:/blocks/0/elements/0/text/text]",
    ),
    (
        [{"type": "actions", "elements": [button("b", "a" * 256)]}],
        "must be less than 256 characters [json-pointer:/blocks/0/elements/0/action_id]",
    ),
    (
        [{"type": "actions", "elements": [button("b", "dup"), button("c", "dup")]}],
        "action_id must be unique ('dup' is repeated) "
        "[json-pointer:/blocks/0/elements/1/action_id]",
    ),
    (
        [{"type": "section", "fields": [plain("f")] * 11}],
        "must be an array of no more than 10 items [json-pointer:/blocks/0/fields]",
    ),
    (
        [{"type": "section", "fields": [plain("f" * 2001)]}],
        "must be less than 2001 characters [json-pointer:/blocks/0/fields/0/text]",
    ),
    (
        [{"type": "divider", "block_id": "x" * 256}],
        "must be less than 256 characters [json-pointer:/blocks/0/block_id]",
    ),
    (
        [{"type": "divider", "block_id": "d"}, {"type": "divider", "block_id": "d"}],
        "block_id must be unique ('d' is repeated) [json-pointer:/blocks/1/block_id]",
    ),
    (
        [{"type": "input", "label": plain("l"), "element": {"type": "plain_text_input"}}],
        "unsupported type: input [json-pointer:/blocks/0/type]",
    ),
    (["not-an-object"], "must be an object [json-pointer:/blocks/0]"),
]


@pytest.mark.parametrize("blocks", VALID)
def test_valid_blocks(blocks: list[dict[str, Any]]) -> None:
    assert check_blocks(blocks) == []


@pytest.mark.parametrize(("blocks", "message"), INVALID)
def test_invalid_blocks(blocks: list[Any], message: str) -> None:
    assert f"[ERROR] {message}" in check_blocks(blocks)


def test_input_blocks_allowed_in_views() -> None:
    block = {"type": "input", "label": plain("l"), "element": {"type": "plain_text_input"}}
    assert check_blocks([block], in_view=True) == []
    assert check_blocks([{"type": "divider"}] * 100, in_view=True) == []


def test_update_with_invalid_blocks_keeps_message(client: WebClient) -> None:
    ts = client.chat_postMessage(channel="C0INCIDENTS", text="v1")["ts"]
    bad = [{"type": "header", "text": plain("x" * 151)}]
    assert err(client.chat_update, channel="C0INCIDENTS", ts=ts, text="v2", blocks=bad) == (
        "invalid_blocks"
    )
    assert err(client.chat_update, channel="C0INCIDENTS", ts=ts, text="v2", blocks="[oops") == (
        "invalid_blocks_format"
    )
    assert client.conversations_history(channel="C0INCIDENTS")["messages"][0]["text"] == "v1"
