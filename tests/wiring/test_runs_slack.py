"""``/runs`` through signed Slack requests against the n8n emulator, with a LangGraph server
that is down: the answer is partial and names what is missing, never an error."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.policy import Policy
from bot.sandbox.n8n import DEFAULT_API_KEY, N8nState, SandboxN8n
from tests.conftest import Opsbot, OpsbotFactory
from tests.e2e.promstack import free_port
from tests.waiting import wait_until


@pytest.fixture
def n8n() -> Iterator[SandboxN8n]:
    with SandboxN8n(N8nState(api_key=DEFAULT_API_KEY)) as sandbox:
        yield sandbox


def _runs(opsbot: Opsbot, text: str, expect: str) -> str:
    mark = opsbot.slack.state.last_seq
    reply = opsbot.driver.command(text, command="/runs")
    assert reply.status_code == 200

    def found() -> str | None:
        for message in opsbot.slack.state.messages("C0INCIDENTS"):
            seen = (message.text or "") + str(message.blocks)
            if message.seq > mark and message.visible_to == "U0ALICE" and expect in seen:
                return seen
        return None

    return str(wait_until(found, timeout=15, what=f"/runs {text}"))


def test_runs_from_n8n_with_langgraph_down(opsbot_factory: OpsbotFactory, n8n: SandboxN8n) -> None:
    wf = n8n.state.add_workflow("invoices", ["Webhook", "Fetch", "Post"], active=True)
    for ago in (600, 500, 400):
        n8n.state.success(wf, ago=ago, duration=2.0)
    n8n.state.error(wf, "Fetch", "ETIMEDOUT talking to the ERP", ago=300)
    policy = Policy.model_validate({"runs": {"source_timeout": 1}})
    opsbot = opsbot_factory(
        policy,
        n8n_url=n8n.url,
        n8n_api_key=DEFAULT_API_KEY,
        langgraph_url=f"http://127.0.0.1:{free_port()}",
    )
    overview = _runs(opsbot, "", "Workflow runs")
    assert "*invoices* (n8n) · 4 runs" in overview and "Errors 25%" in overview
    assert "ETIMEDOUT talking to the ERP (x1)" in overview
    assert "Partial answer, missing: langgraph" in overview
    failed = _runs(opsbot, "invoices --status error", "recent runs")
    assert "ETIMEDOUT talking to the ERP" in failed and failed.count(":x:") == 1
    kpis = _runs(opsbot, "kpi", "KPIs")
    assert "No KPIs configured" in kpis
    help_text = opsbot.driver.command("help", command="/runs").text
    assert "/runs show" in help_text
    assert DEFAULT_API_KEY not in str(opsbot.slack.state.messages("C0INCIDENTS"))


def test_runs_without_sources_says_how_to_configure_them(opsbot_factory: OpsbotFactory) -> None:
    opsbot = opsbot_factory(Policy())
    reply = opsbot.driver.command("", command="/runs")
    assert "No run sources are configured" in reply.text and "LANGGRAPH_URL" in reply.text
