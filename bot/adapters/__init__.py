"""Outbound adapters: Slack, Jira, Notion, Prometheus, LangGraph, n8n."""
