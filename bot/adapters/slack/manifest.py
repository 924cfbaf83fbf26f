"""The Slack app manifest (HTTP mode), generated so the shipped ``manifest.yml`` never drifts."""

from __future__ import annotations

from typing import Any

import yaml

__all__ = [
    "BOT_EVENTS",
    "BOT_SCOPES",
    "SLASH_COMMANDS",
    "WEB_API_METHODS",
    "build_manifest",
    "render_manifest",
]

PLACEHOLDER_URL = "https://opsbot.example.com"

SLASH_COMMANDS: dict[str, tuple[str, str]] = {
    "/incident": ("Run incidents: declare, ack, update, resolve, rca", "help"),
    "/runs": ("Workflow runs (LangGraph, n8n) and KPIs", "[workflow | show <run-id> | kpi]"),
}
# Only what opsbot calls today; each feature adds the scopes it needs.
BOT_SCOPES: tuple[str, ...] = (
    "commands",
    "chat:write",
    "channels:manage",
    "channels:read",
    "channels:history",
    "pins:write",
    "pins:read",
    "reactions:read",
    "usergroups:read",
    "im:write",
)
BOT_EVENTS: tuple[str, ...] = ("app_home_opened", "pin_added", "reaction_added")
# Every Web API method opsbot calls (the tests hold the scopes above against Slack's specs).
WEB_API_METHODS: tuple[str, ...] = (
    "auth.test",
    "chat.postMessage",
    "chat.postEphemeral",
    "chat.update",
    "conversations.create",
    "conversations.info",
    "conversations.list",
    "conversations.setTopic",
    "conversations.setPurpose",
    "conversations.invite",
    "conversations.history",
    "pins.add",
    "usergroups.users.list",
    "views.open",
    "views.publish",
)


def build_manifest(base_url: str = PLACEHOLDER_URL) -> dict[str, Any]:
    """The manifest with every request URL pointing at ``base_url``'s ``/slack/events``."""
    request_url = base_url.rstrip("/") + "/slack/events"
    return {
        "_metadata": {"major_version": 1, "minor_version": 1},
        "display_information": {
            "name": "opsbot",
            "description": "Alerts to incidents, severity timers, checklists and run status.",
            "background_color": "#1d3557",
        },
        "features": {
            "app_home": {
                "home_tab_enabled": True,
                "messages_tab_enabled": False,
                "messages_tab_read_only_enabled": True,
            },
            "bot_user": {"display_name": "opsbot", "always_online": True},
            "slash_commands": [
                {
                    "command": name,
                    "url": request_url,
                    "description": description,
                    "usage_hint": hint,
                    "should_escape": False,
                }
                for name, (description, hint) in SLASH_COMMANDS.items()
            ],
        },
        "oauth_config": {"scopes": {"bot": list(BOT_SCOPES)}},
        "settings": {
            "event_subscriptions": {"request_url": request_url, "bot_events": list(BOT_EVENTS)},
            "interactivity": {"is_enabled": True, "request_url": request_url},
            "org_deploy_enabled": False,
            "socket_mode_enabled": False,
            "token_rotation_enabled": False,
        },
    }


def render_manifest(base_url: str = PLACEHOLDER_URL) -> str:
    """The manifest as YAML text, as shipped in ``manifest.yml``."""
    header = (
        "# Slack app manifest for opsbot (HTTP mode). Regenerate with your URL:\n"
        "#   opsbot manifest --url https://opsbot.your-company.com\n"
    )
    return header + yaml.safe_dump(build_manifest(base_url), sort_keys=False, width=100)
