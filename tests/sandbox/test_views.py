"""views.* methods and trigger_id rules."""

from __future__ import annotations

import time

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.sandbox.slack import SlackState

from .conftest import err, modal


def test_open_modal_with_trigger(client: WebClient, state: SlackState) -> None:
    trigger = state.issue_trigger("U0ALICE")
    view = client.views_open(trigger_id=trigger, view=modal())["view"]
    assert view["type"] == "modal" and view["callback_id"] == "declare"
    assert view["root_view_id"] == view["id"] and view["hash"]
    assert view["private_metadata"] == "C0INCIDENTS" and view["state"] == {"values": {}}
    assert [v.id for v in state.open_views("U0ALICE")] == [view["id"]]
    assert err(client.views_open, trigger_id=trigger, view=modal()) == "exchanged_trigger_id"


def test_trigger_errors(client: WebClient, state: SlackState) -> None:
    assert err(client.views_open, trigger_id="1.2.abc", view=modal()) == "invalid_trigger_id"
    trigger = state.issue_trigger("U0ALICE")
    time.sleep(state.trigger_ttl_s + 0.05)
    assert err(client.views_open, trigger_id=trigger, view=modal()) == "expired_trigger_id"


@pytest.mark.parametrize(
    ("view", "message"),
    [
        (modal(title="x" * 25), "must be less than 25 characters [json-pointer:/view/title/text]"),
        (modal(type="home"), "must be a valid enum value (modal) [json-pointer:/view/type]"),
        (
            modal(blocks=[{"type": "divider"}] * 101),
            "no more than 100 items allowed [json-pointer:/view/blocks]",
        ),
        (
            modal(submit=None) | {"submit": {"type": "mrkdwn", "text": "Go"}},
            "must be a valid enum value (plain_text) [json-pointer:/view/submit/type]",
        ),
    ],
)
def test_invalid_view_is_invalid_arguments(
    client: WebClient, state: SlackState, view: dict[str, object], message: str
) -> None:
    with pytest.raises(SlackApiError) as info:
        client.views_open(trigger_id=state.issue_trigger("U0ALICE"), view=view)
    assert info.value.response["error"] == "invalid_arguments"
    assert f"[ERROR] {message}" in info.value.response["response_metadata"]["messages"]


def test_update_by_id_external_id_and_hash(client: WebClient, state: SlackState) -> None:
    trigger = state.issue_trigger("U0ALICE")
    view = client.views_open(trigger_id=trigger, view=modal(external_id="ext-1"))["view"]
    updated = client.views_update(view_id=view["id"], view=modal("Step 2"), hash=view["hash"])
    assert updated["view"]["id"] == view["id"] and updated["view"]["title"]["text"] == "Step 2"
    assert updated["view"]["hash"] != view["hash"]
    stale = err(client.views_update, view_id=view["id"], view=modal(), hash=view["hash"])
    assert stale == "hash_conflict"
    by_ext = client.views_update(external_id="ext-1", view=modal("Step 3", external_id="ext-1"))
    assert by_ext["view"]["id"] == view["id"]
    assert err(client.views_update, view_id="V0NOPE", view=modal()) == "not_found"


def test_push_limit(client: WebClient, state: SlackState) -> None:
    client.views_open(trigger_id=state.issue_trigger("U0BOB"), view=modal("One"))
    two = client.views_push(trigger_id=state.issue_trigger("U0BOB"), view=modal("Two"))["view"]
    client.views_push(trigger_id=state.issue_trigger("U0BOB"), view=modal("Three"))
    assert [v.title for v in state.open_views("U0BOB")] == ["One", "Two", "Three"]
    assert two["previous_view_id"] == state.open_views("U0BOB")[0].id
    extra = state.issue_trigger("U0BOB")
    assert err(client.views_push, trigger_id=extra, view=modal("Four")) == "push_limit_reached"
    nothing_open = state.issue_trigger("U0CAROL")
    assert err(client.views_push, trigger_id=nothing_open, view=modal()) == "not_found"


def test_publish_home(client: WebClient, state: SlackState) -> None:
    home = {
        "type": "home",
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "hi"}}],
    }
    first = client.views_publish(user_id="U0ALICE", view=home)["view"]
    assert first["type"] == "home"
    second = client.views_publish(user_id="U0ALICE", view=home, hash=first["hash"])["view"]
    assert second["id"] == first["id"]
    assert err(client.views_publish, user_id="U0ALICE", view=home, hash="stale") == (
        "hash_conflict"
    )
    assert state.home_views["U0ALICE"] == first["id"]
