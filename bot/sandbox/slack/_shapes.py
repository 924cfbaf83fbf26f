"""JSON shapes of Slack objects (channel, user, message, view) as the Web API returns them."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from ._errors import SlackError
from ._models import Channel, Message, User, View

if TYPE_CHECKING:
    from ._state import SlackState

AVATAR = "https://a.slack-edge.com/80588/img/avatars/ava_0001-{size}.png"


def find_channel(state: SlackState, ref: str | None, *, dm_users: bool = False) -> Channel:
    """Resolve a channel id or ``#name`` (or a user id when ``dm_users``) or raise."""
    if not ref:
        raise SlackError("channel_not_found")
    chan = state.channel(ref) or state.channel_by_name(ref)
    if chan is None and dm_users and ref.startswith(("U", "W")) and state.user(ref):
        chan = state.dm_channel(ref)
    if chan is None:
        raise SlackError("channel_not_found")
    return chan


def find_message(
    state: SlackState, chan: Channel, ts: str | None, error: str = "message_not_found"
) -> Message:
    """A live, non-ephemeral message or raise ``error``."""
    msg = state.message(chan.id, ts) if ts else None
    if msg is None or msg.ephemeral:
        raise SlackError(error)
    return msg


def bot_is_member(state: SlackState, chan: Channel) -> bool:
    """True when the bot can act in the channel."""
    return state.bot_user_id in chan.members


def channel_json(state: SlackState, chan: Channel, *, num_members: bool = False) -> dict[str, Any]:
    """A conversation object."""
    if chan.is_im:
        return {
            "id": chan.id,
            "created": chan.created,
            "is_im": True,
            "is_org_shared": False,
            "user": chan.im_user,
            "is_user_deleted": False,
            "priority": 0,
            "context_team_id": state.team_id,
            "is_open": True,
        }
    out: dict[str, Any] = {
        "id": chan.id,
        "name": chan.name,
        "is_channel": not chan.is_private,
        "is_group": chan.is_private,
        "is_im": False,
        "is_mpim": False,
        "is_private": chan.is_private,
        "created": chan.created,
        "is_archived": chan.is_archived,
        "is_general": chan.is_general,
        "unlinked": 0,
        "name_normalized": chan.name,
        "is_shared": chan.is_ext_shared,
        "is_org_shared": False,
        "is_ext_shared": chan.is_ext_shared,
        "is_pending_ext_shared": False,
        "pending_shared": [],
        "pending_connected_team_ids": [],
        "context_team_id": state.team_id,
        "updated": chan.created * 1000,
        "parent_conversation": None,
        "creator": chan.creator,
        "shared_team_ids": list(chan.shared_team_ids),
        "internal_team_ids": [],
        "is_member": state.bot_user_id in chan.members,
        "last_read": "0000000000.000000",
        "topic": {
            "value": chan.topic,
            "creator": chan.topic_set_by,
            "last_set": chan.topic_last_set,
        },
        "purpose": {
            "value": chan.purpose,
            "creator": chan.purpose_set_by,
            "last_set": chan.purpose_last_set,
        },
        "previous_names": [],
        "priority": 0,
    }
    if num_members:
        out["num_members"] = len(chan.members)
    return out


def user_json(state: SlackState, user: User) -> dict[str, Any]:
    """A user object with a realistic profile."""
    first, _, last = user.real_name.partition(" ")
    profile: dict[str, Any] = {
        "title": user.title,
        "phone": "",
        "skype": "",
        "real_name": user.real_name,
        "real_name_normalized": user.real_name,
        "display_name": user.name,
        "display_name_normalized": user.name,
        "fields": None,
        "status_text": "",
        "status_emoji": "",
        "status_expiration": 0,
        "avatar_hash": "g0000sandbox",
        "first_name": first,
        "last_name": last,
        "team": user.team_id,
        **{f"image_{s}": AVATAR.format(size=s) for s in (24, 32, 48, 72, 192, 512)},
    }
    if user.email:
        profile["email"] = user.email
    if user.is_bot:
        profile.update(bot_id=user.bot_id, always_active=True, api_app_id=state.app_id)
    return {
        "id": user.id,
        "team_id": user.team_id,
        "name": user.name,
        "deleted": user.deleted,
        "color": "9f69e7",
        "real_name": user.real_name,
        "tz": user.tz,
        "tz_label": "Central European Time",
        "tz_offset": user.tz_offset,
        "profile": profile,
        "is_admin": user.is_admin,
        "is_owner": False,
        "is_primary_owner": False,
        "is_restricted": False,
        "is_ultra_restricted": False,
        "is_bot": user.is_bot,
        "is_app_user": False,
        "updated": state.started,
        "is_email_confirmed": True,
        "who_can_share_contact_card": "EVERYONE",
        "is_stranger": user.team_id != state.team_id,
    }


def message_json(state: SlackState, msg: Message) -> dict[str, Any]:
    """A message object as found in history, postMessage or block_actions payloads."""
    out: dict[str, Any] = {
        "type": "message",
        "user": msg.user,
        "text": msg.text,
        "ts": msg.ts,
        "team": state.team_id,
    }
    if msg.bot_id:
        out.update(bot_id=msg.bot_id, app_id=state.app_id, bot_profile=bot_profile(state))
    if msg.blocks:
        out["blocks"] = msg.blocks
    if msg.attachments:
        out["attachments"] = msg.attachments
    if msg.thread_ts:
        out["thread_ts"] = msg.thread_ts
    if msg.edits:
        out["edited"] = {"user": msg.user, "ts": msg.ts}
    if msg.pinned:
        out["pinned_to"] = [msg.channel]
    if msg.reactions:
        out["reactions"] = [
            {"name": n, "users": list(u), "count": len(u)} for n, u in msg.reactions.items()
        ]
    if msg.metadata:
        out["metadata"] = msg.metadata
    return out


def bot_profile(state: SlackState) -> dict[str, Any]:
    """The ``bot_profile`` object attached to bot messages."""
    icons = {f"image_{s}": AVATAR.format(size=s) for s in (36, 48, 72)}
    return {
        "id": state.bot_id,
        "deleted": False,
        "name": state.bot_name,
        "updated": state.started,
        "app_id": state.app_id,
        "icons": icons,
        "team_id": state.team_id,
        "user_id": state.bot_user_id,
    }


def view_json(state: SlackState, view: View) -> dict[str, Any]:
    """A view object like views.open returns and interaction payloads carry."""
    payload = view.payload
    out: dict[str, Any] = {
        "id": view.id,
        "team_id": state.team_id,
        "type": view.type,
        "blocks": payload.get("blocks", []),
        "private_metadata": view.private_metadata,
        "callback_id": view.callback_id,
        "state": {"values": view.state_values},
        "hash": view.hash,
        "title": payload.get("title"),
        "clear_on_close": bool(payload.get("clear_on_close", False)),
        "notify_on_close": bool(payload.get("notify_on_close", False)),
        "close": payload.get("close"),
        "submit": payload.get("submit"),
        "previous_view_id": view.previous_view_id,
        "root_view_id": view.root_view_id,
        "app_id": state.app_id,
        "external_id": view.external_id,
        "app_installed_team_id": state.team_id,
        "bot_id": state.bot_id,
    }
    if view.type == "modal":
        out["submit_disabled"] = bool(payload.get("submit_disabled", False))
    return out


def new_hash() -> str:
    """A view hash like ``"1700000000.abcdef12"``."""
    return f"{time.time():.0f}.{time.monotonic_ns() & 0xFFFFFFFF:08x}"
