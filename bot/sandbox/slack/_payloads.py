"""Pure builders of the requests Slack sends to an app (shaped like the reference samples)."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlencode

from ._shapes import find_channel, message_json, view_json
from ._state import SlackState

Kind = Literal["command", "block_actions", "view_submission", "event", "url_verification"]
VERIFICATION_TOKEN = "sandbox-verification-token"  # noqa: S105 - legacy, unused by Bolt


def sign_request(signing_secret: str, timestamp: int | str, body: bytes) -> str:
    """``v0=`` + hex HMAC-SHA256 of ``v0:{timestamp}:{body}`` (Slack's request signature)."""
    base = b"v0:" + str(timestamp).encode() + b":" + body
    return "v0=" + hmac.new(signing_secret.encode(), base, hashlib.sha256).hexdigest()


@dataclass
class Outgoing:
    """One request to deliver to the app, plus what is needed to apply its answer."""

    kind: Kind
    payload: dict[str, Any]
    body: bytes
    content_type: str
    headers: dict[str, str] = field(default_factory=dict)
    channel: str | None = None
    user_id: str | None = None
    view_id: str | None = None


@dataclass(frozen=True)
class Env:
    """Workspace facts the builders need."""

    state: SlackState
    base_url: str
    team_id: str

    def response_url(self, channel: str, user_id: str, message_ts: str | None = None) -> str:
        rid = self.state.issue_response_url(channel, user_id, message_ts)
        return f"{self.base_url}/response/{rid}"

    def user_obj(self, user_id: str) -> dict[str, Any]:
        user = self.state.user(user_id)
        name = user.name if user else user_id
        return {
            "id": user_id,
            "username": name,
            "name": name,
            "team_id": user.team_id if user else self.team_id,
        }

    def team_obj(self) -> dict[str, Any]:
        return {"id": self.team_id, "domain": self.state.team_name}


def _form(kind: Kind, payload: dict[str, Any], **extra: Any) -> Outgoing:
    body = urlencode({"payload": json.dumps(payload, separators=(",", ":"))}).encode()
    return Outgoing(kind, payload, body, "application/x-www-form-urlencoded", **extra)


def build_command(env: Env, text: str, *, command: str, user_id: str, channel_id: str) -> Outgoing:
    """A slash-command invocation (form fields, as Slack sends them)."""
    chan = find_channel(env.state, channel_id)
    user = env.user_obj(user_id)
    fields = {
        "token": VERIFICATION_TOKEN,
        "team_id": env.team_id,
        "team_domain": env.state.team_name,
        "channel_id": chan.id,
        "channel_name": "directmessage" if chan.is_im else chan.name,
        "user_id": user_id,
        "user_name": user["name"],
        "command": command,
        "text": text,
        "api_app_id": env.state.app_id,
        "is_enterprise_install": "false",
        "response_url": env.response_url(chan.id, user_id),
        "trigger_id": env.state.issue_trigger(user_id),
    }
    env.state.log_activity(chan.id, user_id, "command", f"{command} {text}".strip())
    return Outgoing(
        "command",
        fields,
        urlencode(fields).encode(),
        "application/x-www-form-urlencoded",
        channel=chan.id,
        user_id=user_id,
    )


def _find_element(blocks: list[Any], action_id: str) -> tuple[str | None, dict[str, Any]]:
    for block in blocks:
        if not isinstance(block, dict):
            continue
        elements = list(block.get("elements") or [])
        for key in ("accessory", "element"):
            if isinstance(block.get(key), dict):
                elements.append(block[key])
        for el in elements:
            if isinstance(el, dict) and el.get("action_id") == action_id:
                return block.get("block_id"), el
    return None, {}


def _action(
    action_id: str, value: str | None, block_id: str | None, blocks: list[Any]
) -> dict[str, Any]:
    found_block, element = _find_element(blocks, action_id)
    action: dict[str, Any] = {
        "action_id": action_id,
        "block_id": block_id or found_block or "sandbox_block",
        "type": element.get("type", "button"),
        "action_ts": f"{time.time():.6f}",
    }
    if "text" in element:
        action["text"] = element["text"]
    chosen = value if value is not None else element.get("value")
    if chosen is not None:
        action["value"] = chosen
    if element.get("style"):
        action["style"] = element["style"]
    return action


def build_block_action(
    env: Env,
    action_id: str,
    *,
    value: str | None,
    block_id: str | None,
    user_id: str,
    channel_id: str | None,
    message_ts: str | None,
    view_id: str | None,
) -> Outgoing:
    """A ``block_actions`` interaction from a message button or a view element."""
    state = env.state
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": env.user_obj(user_id),
        "api_app_id": state.app_id,
        "token": VERIFICATION_TOKEN,
        "trigger_id": state.issue_trigger(user_id),
        "team": env.team_obj(),
        "enterprise": None,
        "is_enterprise_install": False,
    }
    blocks: list[Any] = []
    view = state.view(view_id) if view_id else None
    if view is not None:
        blocks = list(view.payload.get("blocks") or [])
        payload.update(
            container={"type": "view", "view_id": view.id},
            view=view_json(state, view),
            state={"values": view.state_values},
        )
    chan = find_channel(state, channel_id) if channel_id else None
    if chan is not None:
        msg = state.message(chan.id, message_ts) if message_ts else None
        payload["channel"] = {"id": chan.id, "name": chan.name}
        payload["response_url"] = env.response_url(chan.id, user_id, message_ts)
        if msg is not None:
            blocks = msg.blocks
            payload.update(
                container={
                    "type": "message",
                    "message_ts": msg.ts,
                    "channel_id": chan.id,
                    "is_ephemeral": msg.ephemeral,
                },
                message=message_json(state, msg),
                state={"values": {}},
            )
    payload["actions"] = [_action(action_id, value, block_id, blocks)]
    return _form(
        "block_actions",
        payload,
        channel=chan.id if chan else None,
        user_id=user_id,
        view_id=view_id,
    )


def build_view_submission(
    env: Env, view_id: str, values: dict[str, dict[str, Any]], *, user_id: str
) -> Outgoing:
    """A ``view_submission`` for a stored view; ``values`` become ``view.state.values``."""
    state = env.state
    view = state.view(view_id)
    if view is None:
        raise KeyError(f"unknown view {view_id!r}")
    view.state_values = values
    payload = {
        "type": "view_submission",
        "team": env.team_obj(),
        "user": env.user_obj(user_id),
        "api_app_id": state.app_id,
        "token": VERIFICATION_TOKEN,
        "trigger_id": state.issue_trigger(user_id),
        "view": view_json(state, view),
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    }
    return _form("view_submission", payload, user_id=user_id, view_id=view_id)


def build_event(
    env: Env,
    event: dict[str, Any],
    *,
    event_id: str | None,
    retry_num: int | None,
    retry_reason: str,
) -> Outgoing:
    """An Events API ``event_callback`` envelope (with retry headers when ``retry_num``)."""
    state = env.state
    event = dict(event)
    record_user_message(state, event)
    event.setdefault("event_ts", event.get("ts") or f"{time.time():.6f}")
    chan = state.channel(str(event.get("channel", "")))
    payload = {
        "token": VERIFICATION_TOKEN,
        "team_id": env.team_id,
        "api_app_id": state.app_id,
        "event": event,
        "type": "event_callback",
        "event_id": event_id or f"Ev{secrets.token_hex(5).upper()}",
        "event_time": int(time.time()),
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": env.team_id,
                "user_id": state.bot_user_id,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": bool(chan and chan.is_ext_shared),
        "event_context": f"4-{secrets.token_urlsafe(24)}",
    }
    headers = {}
    if retry_num is not None:
        headers = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": retry_reason}
    body = json.dumps(payload, separators=(",", ":")).encode()
    return Outgoing(
        "event",
        payload,
        body,
        "application/json",
        headers,
        channel=chan.id if chan else None,
        user_id=event.get("user"),
    )


def build_url_verification(challenge: str | None = None) -> Outgoing:
    """The ``url_verification`` handshake Slack sends when an events URL is configured."""
    payload = {
        "token": VERIFICATION_TOKEN,
        "challenge": challenge or secrets.token_urlsafe(32),
        "type": "url_verification",
    }
    return Outgoing("url_verification", payload, json.dumps(payload).encode(), "application/json")


def record_user_message(state: SlackState, event: dict[str, Any]) -> None:
    """Slack stores a user's message before emitting its event; mirror that for transcripts."""
    if event.get("type") not in ("message", "app_mention") or event.get("subtype"):
        return
    channel, user = event.get("channel"), event.get("user")
    if not isinstance(channel, str) or not isinstance(user, str) or state.channel(channel) is None:
        return
    ts = event.setdefault("ts", state.new_ts())
    if state.message(channel, ts) is None:
        state.store_message(
            channel,
            user,
            str(event.get("text", "")),
            ts=ts,
            thread_ts=event.get("thread_ts"),
            blocks=event.get("blocks"),
        )
