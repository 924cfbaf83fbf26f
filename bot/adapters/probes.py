"""Reachability probes for ``opsbot check``: one small authenticated read per integration."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx

from bot.policy import Policy
from bot.settings import Settings

__all__ = ["PROBES", "ProbeResult"]

NOTION_VERSION = "2025-09-03"


@dataclass(frozen=True)
class ProbeResult:
    """What a probe found: OK or failed, with the reason."""

    ok: bool
    detail: str


Probe = Callable[[httpx.AsyncClient, Settings, Policy], Awaitable[ProbeResult]]


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


async def probe_slack(client: httpx.AsyncClient, s: Settings, p: Policy) -> ProbeResult:
    token = _secret(s.slack_bot_token)
    status, body = await _get_json(
        client, "POST", s.slack_api_url + "auth.test", headers={"Authorization": f"Bearer {token}"}
    )
    if isinstance(body, dict) and body.get("ok"):
        return ProbeResult(True, f"team {body.get('team')}, bot {body.get('user')}")
    error = body.get("error") if isinstance(body, dict) else f"HTTP {status}"
    return ProbeResult(False, f"auth.test failed: {error}")


async def probe_jira(client: httpx.AsyncClient, s: Settings, p: Policy) -> ProbeResult:
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
    wanted = p.jira.issue_type
    problem = await _jira_create_meta(
        client, f"{base}/rest/api/2", s.jira_project or "", wanted, auth
    )
    if problem:
        return ProbeResult(False, problem)
    return ProbeResult(True, f"project {s.jira_project} ({name}), issue type {wanted}")


# What opsbot fills in itself when it creates an issue.
_FILLED = {"project", "issuetype", "summary", "description", "labels", "priority", "components"}


async def _jira_create_meta(
    client: httpx.AsyncClient, api: str, project: str, wanted: str, auth: tuple[str, str]
) -> str | None:
    """None when opsbot can create issues of type ``wanted``, else what is missing."""
    status, body = await _get_json(
        client, "GET", f"{api}/issue/createmeta/{project}/issuetypes", auth=auth
    )
    types = body.get("issueTypes") or body.get("values") or [] if isinstance(body, dict) else []
    match = next((t for t in types if str(t.get("name", "")).lower() == wanted.lower()), None)
    if status != 200 or match is None:
        names = ", ".join(str(t.get("name")) for t in types) or f"HTTP {status}"
        return f"issue type {wanted} not in project {project} (available: {names})"
    status, body = await _get_json(
        client, "GET", f"{api}/issue/createmeta/{project}/issuetypes/{match['id']}", auth=auth
    )
    fields = body.get("fields") or body.get("values") or [] if isinstance(body, dict) else []
    missing = [
        f"{f.get('name')} ({f.get('fieldId')})"
        for f in fields
        if f.get("required") and not f.get("hasDefaultValue") and f.get("fieldId") not in _FILLED
    ]
    if missing:
        return f"issue type {wanted} requires fields opsbot does not fill: {', '.join(missing)}"
    return None


async def probe_notion(client: httpx.AsyncClient, s: Settings, p: Policy) -> ProbeResult:
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


async def probe_prometheus(client: httpx.AsyncClient, s: Settings, p: Policy) -> ProbeResult:
    url = f"{(s.prometheus_url or '').rstrip('/')}/api/v1/status/buildinfo"
    status, body = await _get_json(client, "GET", url)
    if status == 200 and isinstance(body, dict):
        return ProbeResult(True, f"version {body.get('data', {}).get('version', '?')}")
    return ProbeResult(False, f"buildinfo answered HTTP {status}")


async def probe_langgraph(client: httpx.AsyncClient, s: Settings, p: Policy) -> ProbeResult:
    status, _ = await _get_json(client, "GET", f"{(s.langgraph_url or '').rstrip('/')}/ok")
    detail = "server answers" if status == 200 else f"/ok answered HTTP {status}"
    return ProbeResult(status == 200, detail)


async def probe_n8n(client: httpx.AsyncClient, s: Settings, p: Policy) -> ProbeResult:
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
