"""Slack Web API client construction and the app manifest."""

from bot.adapters.slack.client import BotIdentity, make_web_client

__all__ = ["BotIdentity", "make_web_client"]
