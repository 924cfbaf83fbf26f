"""Inbound surfaces: Slack listeners, webhooks and REST. Parse, call one service, render."""
