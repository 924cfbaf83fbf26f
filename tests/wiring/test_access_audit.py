"""Roles on every Slack request and API call, API tokens, and the audit chain."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import httpx
from sqlalchemy import text

from bot.policy import Policy
from bot.sandbox.slack import SandboxSlack
from bot.services.access import Access
from bot.services.audit import AuditService
from tests.conftest import Opsbot, OpsbotFactory
from tests.waiting import wait_until

POLICY: dict[str, Any] = {
    "slack": {"incidents_channel": "C0INCIDENTS"},
    "roles": {"admin": ["U0ADMIN"], "commander": ["S0LEADS"], "viewer": ["U0VIEW"]},
}


def _said(opsbot: Opsbot, user: str, contains: str, since: int) -> str:
    def found() -> str | None:
        for message in opsbot.slack.state.messages("C0INCIDENTS"):
            if message.seq > since and message.visible_to == user and contains in message.text:
                return message.text
        return None

    return str(wait_until(found, what=f"{user} told {contains!r}"))


def _ask(opsbot: Opsbot, command: str, user: str, expect: str) -> str:
    mark = opsbot.slack.state.last_seq
    reply = opsbot.driver.command(command, user_id=user)
    assert reply.status_code == 200
    if expect in reply.text:  # answered in the ack (refusals, usage)
        return reply.text
    return _said(opsbot, user, expect, mark)


def _audit(opsbot: Opsbot) -> AuditService:
    return AuditService(db=opsbot.db, clock=_now)


def test_roles_gate_slack_requests_and_denials_are_audited(
    opsbot_factory: OpsbotFactory, slack: SandboxSlack
) -> None:
    slack.state.add_usergroup("S0LEADS", "incident-leads", ["U0CAROL"])
    opsbot = opsbot_factory(Policy.model_validate(POLICY))
    _ask(opsbot, 'declare "DB down" --sev S2 --service api', "U0ALICE", "declared")
    refused = _ask(opsbot, "ack 1", "U0VIEW", "needs the responder role; you are a viewer")
    assert "needs the responder role" in refused
    _ask(opsbot, "status 1", "U0VIEW", "#1 is open")
    _ask(opsbot, "sev 1 S3 calmer", "U0BOB", "Lowering the severity needs the commander role")
    assert opsbot.api("/incidents/1")["severity"] == "S2"
    # Carol is a commander through the S0LEADS user group (expanded through Slack).
    _ask(opsbot, "sev 1 S3 calmer", "U0CAROL", "Done: #1")
    assert opsbot.api("/incidents/1")["severity"] == "S3"
    denials = [e for e in _audit(opsbot).read(limit=100) if e["action"] == "access.denied"]
    assert [(e["actor"], e["target"], e["detail"]["role"]) for e in denials] == [
        ("U0VIEW", "command:/incident ack", "viewer")
    ]


def test_api_tokens_are_scoped_hashed_and_revocable(opsbot_factory: OpsbotFactory) -> None:
    opsbot = opsbot_factory(Policy.model_validate(POLICY))
    access = Access(db=opsbot.db, policy=Policy(), clock=_now)
    viewer, _ = access.create_token(name="grafana", role="viewer")
    admin, _ = access.create_token(name="auditor", role="admin")
    with httpx.Client(base_url=opsbot.url, timeout=10) as client:

        def get(path: str, token: str) -> httpx.Response:
            return client.get(path, headers={"Authorization": f"Bearer {token}"})

        assert get("/api/v1/incidents", viewer).status_code == 200
        denied = get("/api/v1/audit", viewer)
        assert denied.status_code == 403 and "needs the admin role" in denied.json()["detail"]
        entries = get("/api/v1/audit?limit=1000", admin).json()["entries"]
        assert any(e["action"] == "api.get" and e["actor"] == "token:grafana" for e in entries)
        assert get("/api/v1/incidents", "opsbot_not-a-token").status_code == 401
        access.revoke_token("grafana")
        assert get("/api/v1/incidents", viewer).status_code == 401
    with opsbot.db.session() as session:
        stored = session.execute(text("SELECT token_hash, last_used_at FROM api_tokens")).all()
    assert all(viewer not in row[0] and admin not in row[0] for row in stored)
    assert all(row[1] is not None for row in stored)


def test_the_audit_chain_verifies_and_names_a_tampered_entry(
    opsbot_factory: OpsbotFactory,
) -> None:
    opsbot = opsbot_factory(Policy.model_validate(POLICY))
    _ask(opsbot, 'declare "Queue stuck" --sev S3 --service api', "U0ALICE", "declared")
    _ask(opsbot, "ack 1", "U0BOB", "acknowledged")
    audit = _audit(opsbot)
    verified = audit.verify()
    assert verified.first_broken is None and verified.entries >= 3
    actions = [e["action"] for e in audit.read(limit=100)]
    assert "config.loaded" in actions and "incident.opened" in actions
    assert "incident.ack" in actions
    ack = next(e for e in audit.read(limit=100) if e["action"] == "incident.ack")
    with opsbot.db.session() as session:
        session.execute(
            text("UPDATE audit_log SET actor = 'U0MALLORY' WHERE id = :id"), {"id": ack["id"]}
        )
    assert audit.verify().first_broken == ack["id"]


def test_cli_tokens_and_audit(tmp_path: Any) -> None:
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'opsbot.db'}",
        "OPSBOT_ENV": "development",
    }

    def opsbot(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bot.cli", *args],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    created = opsbot("token", "create", "--name", "grafana", "--role", "viewer")
    assert created.returncode == 0, created.stderr
    value = created.stdout.strip()
    assert value.startswith("opsbot_") and "not shown again" in created.stderr
    assert opsbot("token", "create", "--name", "grafana").returncode == 2
    listed = opsbot("token", "list").stdout
    assert "grafana\tviewer" in listed and value not in listed
    assert opsbot("token", "revoke", "grafana").returncode == 0
    assert opsbot("token", "revoke", "grafana").returncode == 2
    verified = opsbot("audit", "verify")
    assert verified.returncode == 0 and "intact: 2 entries" in verified.stdout
    exported = opsbot("audit", "export").stdout.splitlines()
    assert [line.count('"action"') for line in exported] == [1, 1]
    assert '"token.created"' in exported[0] and '"token.revoked"' in exported[1]


def _now() -> Any:
    from datetime import UTC, datetime

    return datetime.now(UTC)
