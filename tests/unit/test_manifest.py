"""The shipped manifest matches the generator, and listeners match its slash commands."""

import json
from pathlib import Path

import yaml

from bot.adapters.slack.manifest import BOT_EVENTS, build_manifest, render_manifest
from handlers.slack import SLASH_COMMANDS

ROOT = Path(__file__).resolve().parents[2]


def test_shipped_manifest_is_generated() -> None:
    assert (ROOT / "manifest.yml").read_text() == render_manifest()


def test_every_manifest_command_has_a_listener_and_back() -> None:
    manifest = yaml.safe_load((ROOT / "manifest.yml").read_text())
    declared = {c["command"] for c in manifest["features"]["slash_commands"]}
    assert declared == set(SLASH_COMMANDS)


def test_urls_point_at_slack_events() -> None:
    manifest = build_manifest("https://ops.example.com/")
    urls = {c["url"] for c in manifest["features"]["slash_commands"]}
    urls.add(manifest["settings"]["interactivity"]["request_url"])
    urls.add(manifest["settings"]["event_subscriptions"]["request_url"])
    assert urls == {"https://ops.example.com/slack/events"}


def test_http_mode_with_app_home() -> None:
    manifest = build_manifest()
    assert manifest["settings"]["socket_mode_enabled"] is False
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    assert set(manifest["settings"]["event_subscriptions"]["bot_events"]) == set(BOT_EVENTS)
    assert "commands" in manifest["oauth_config"]["scopes"]["bot"]


def test_manifest_scopes_cover_every_method_opsbot_calls() -> None:
    from bot.adapters.slack.manifest import BOT_SCOPES, WEB_API_METHODS
    from tests.sandbox.conftest import reference_dir

    methods = reference_dir() / "slack" / "methods"
    missing = {}
    for method in WEB_API_METHODS:
        spec = json.loads((methods / f"{method}.json").read_text())
        needed = set(spec.get("scope", {}).get("bot") or [])
        if needed and not needed & set(BOT_SCOPES):
            missing[method] = sorted(needed)
    assert missing == {}
