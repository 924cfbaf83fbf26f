"""Reachability probes for ``opsbot check``: one small authenticated read per integration."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx

from bot.settings import Settings

__all__ = ["PROBES", "ProbeResult"]

NOTION_VERSION = "2025-09-03"


@dataclass(frozen=True)
class ProbeResult:
    """What a probe found: OK or failed, with the reason."""

    ok: bool
    detail: str


Probe = Callable[[httpx.AsyncClient, Settings], Awaitable[ProbeResult]]


def _secret(value: object) -> str:
    getter = getattr(value, "get_secret_value", None)
    return str(getter()) if getter else ""


async def _get_json(
    client: httpx.AsyncClient, method: str, url: str, **kwargs: object
) -> tuple[int, object]:
    response = await client.request(method, url, **kwargs)  # type: ignore[arg-type]
    try:
        return response.status_code, response.json()
    except ValueError:
        return response.status_code, None


async def probe_slack(client: httpx.AsyncClient, s: Settings) -> ProbeResult:
    token = _secret(s.slack_bot_token)
    status, body = await _get_json(
        client, "POST", s.slack_api_url + "auth.test", headers={"Authorization": f"Bearer {token}"}
    )
    if isinstance(body, dict) and body.get("ok"):
        return ProbeResult(True, f"team {body.get('team')}, bot {body.get('user')}")
    error = body.get("error") if isinstance(body, dict) else f"HTTP {status}"
    return ProbeResult(False, f"auth.test failed: {error}")


async def probe_jira(client: httpx.AsyncClient, s: Settings) -> ProbeResult:
    auth = (s.jira_user or "", _secret(s.jira_api_token))
    base = (s.jira_url or "").rstrip("/")
    status, _ = await _get_json(client, "GET", f"{base}/rest/api/2/myself", auth=auth)
    if status != 200:
        return ProbeResult(False, f"/rest/api/2/myself answered HTTP {status}")
    project_url = f"{base}/rest/api/2/project/{s.jira_project}"
    status, body = await _get_json(client, "GET", project_url, auth=auth)
    if status != 200:
        return ProbeResult(False, f"project {s.jira_project} not readable (HTTP {status})")
    name = body.get("name") if isinstance(body, dict) else s.jira_project
    return ProbeResult(True, f"project {s.jira_project} ({name})")


async def probe_notion(client: httpx.AsyncClient, s: Settings) -> ProbeResult:
    url = f"{s.notion_api_url.rstrip('/')}/v1/databases/{s.notion_database_id}"
    headers = {
        "Authorization": f"Bearer {_secret(s.notion_token)}",
        "Notion-Version": NOTION_VERSION,
    }
    status, body = await _get_json(client, "GET", url, headers=headers)
    if status == 200:
        return ProbeResult(True, f"database {s.notion_database_id}")
    code = body.get("code") if isinstance(body, dict) else None
    return ProbeResult(False, f"database not readable (HTTP {status}{', ' + code if code else ''})")


async def probe_prometheus(client: httpx.AsyncClient, s: Settings) -> ProbeResult:
    url = f"{(s.prometheus_url or '').rstrip('/')}/api/v1/status/buildinfo"
    status, body = await _get_json(client, "GET", url)
    if status == 200 and isinstance(body, dict):
        return ProbeResult(True, f"version {body.get('data', {}).get('version', '?')}")
    return ProbeResult(False, f"buildinfo answered HTTP {status}")


async def probe_langgraph(client: httpx.AsyncClient, s: Settings) -> ProbeResult:
    status, _ = await _get_json(client, "GET", f"{(s.langgraph_url or '').rstrip('/')}/ok")
    detail = "server answers" if status == 200 else f"/ok answered HTTP {status}"
    return ProbeResult(status == 200, detail)


async def probe_n8n(client: httpx.AsyncClient, s: Settings) -> ProbeResult:
    url = f"{(s.n8n_url or '').rstrip('/')}/api/v1/workflows?limit=1"
    headers = {"X-N8N-API-KEY": _secret(s.n8n_api_key)}
    status, _ = await _get_json(client, "GET", url, headers=headers)
    return ProbeResult(status == 200, "API key accepted" if status == 200 else f"HTTP {status}")


PROBES: dict[str, Probe] = {
    "slack": probe_slack,
    "jira": probe_jira,
    "notion": probe_notion,
    "prometheus": probe_prometheus,
    "langgraph": probe_langgraph,
    "n8n": probe_n8n,
}
