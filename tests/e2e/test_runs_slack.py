"""``/runs`` and HITL decisions from Slack, against the real LangGraph dev server: signed
slash commands and button clicks, answers read from the sandbox Slack."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest

from bot.policy import Policy
from bot.sandbox.langgraph import LangGraphServer
from tests.conftest import Opsbot, OpsbotFactory
from tests.waiting import wait_until

from .test_langgraph_runs import start
from .workflow_exporter import WorkflowStack

pytestmark = pytest.mark.e2e
POLICY: dict[str, Any] = {
    "hitl": {"channel": "C0APPROVALS", "role": "responder", "poll_every": 0.3},
    "roles": {"viewer": ["U0VIEW"]},
    "runs": {"source_timeout": 5},
}


def _answer(
    opsbot: Opsbot, text: str, expect: str, user: str = "U0ALICE", timeout: float = 15
) -> str:
    mark = opsbot.slack.state.last_seq
    reply = opsbot.driver.command(text, command="/runs", user_id=user)
    assert reply.status_code == 200

    def found() -> str | None:
        for message in opsbot.slack.state.messages("C0INCIDENTS"):
            seen = (message.text or "") + str(message.blocks)
            if message.seq > mark and message.visible_to == user and expect in seen:
                return seen
        return None

    return str(wait_until(found, timeout=timeout, what=f"/runs {text}: {expect!r}"))


def _asked(opsbot: Opsbot, text: str, expect: str) -> str | None:
    """Ask once (the answer cache lasts 5 s, so wait that long between tries)."""
    try:
        return _answer(opsbot, text, expect, timeout=6)
    except AssertionError:
        return None


def _hitl_message(opsbot: Opsbot, task: str) -> Any:
    def found() -> Any:
        for message in opsbot.slack.state.messages("C0APPROVALS"):
            if f"Deploy the fix for {task}?" in str(message.blocks):
                return message
        return None

    return wait_until(found, timeout=15, what="the HITL request in #approvals")


def test_runs_answers_and_a_hitl_approval_from_slack(
    opsbot_factory: OpsbotFactory, langgraph_server: LangGraphServer
) -> None:
    tag = uuid.uuid4().hex[:6]
    ids = asyncio.run(
        start(
            langgraph_server.url,
            {
                "ok": {"task": f"ok-{tag}"},
                "err": {"task": f"err-{tag}", "fail": True},
                "gate": {"task": f"gate-{tag}", "need_approval": True},
            },
        )
    )
    opsbot = opsbot_factory(Policy.model_validate(POLICY), langgraph_url=langgraph_server.url)
    overview = _answer(opsbot, "", "Workflow runs, last 1d")
    assert "*ops* (langgraph)" in overview and "error" in overview and "waiting" in overview
    failures = _answer(opsbot, "ops --status error", "recent runs")
    assert f"work failed on purpose for task='err-{tag}'" in failures
    thread, run = ids["gate"]
    detail = _answer(opsbot, f"show {thread}/{run}", "Waiting for a human")
    assert f"Deploy the fix for gate-{tag}?" in detail and "prepare" in detail
    unknown = _answer(opsbot, "opz", "I know no workflow")
    assert "Did you mean `ops`?" in unknown
    wrong = opsbot.driver.command("ops --since soon", command="/runs")
    assert "give a duration" in wrong.text

    request = _hitl_message(opsbot, f"gate-{tag}")
    value = next(
        e["value"] for b in request.blocks if b["type"] == "actions" for e in b["elements"]
    )
    opsbot.driver.block_action(
        "hitl_approve",
        value=value,
        channel_id="C0APPROVALS",
        message_ts=request.ts,
        user_id="U0VIEW",
    )
    refused = wait_until(
        lambda: [m for m in opsbot.slack.state.messages("C0APPROVALS") if m.visible_to == "U0VIEW"],
        what="the viewer's refusal",
    )
    assert "needs the responder role" in refused[-1].text
    opsbot.driver.block_action(
        "hitl_approve",
        value=value,
        channel_id="C0APPROVALS",
        message_ts=request.ts,
        user_id="U0BOB",
    )
    wait_until(
        lambda: (
            "Approved by <@U0BOB>"
            in str(opsbot.slack.state.message("C0APPROVALS", request.ts).blocks)
        ),
        timeout=15,
        what="the request edited to show the decision",
    )
    done = wait_until(
        lambda: _asked(opsbot, f"show {thread}", ":white_check_mark: *ops*"),
        timeout=30,
        what="the resumed run succeeded",
    )
    assert "approve" in done and "U0BOB" in done
    opsbot.driver.block_action(
        "hitl_reject",
        value=value,
        channel_id="C0APPROVALS",
        message_ts=request.ts,
        user_id="U0CAROL",
    )
    again = wait_until(
        lambda: [
            m for m in opsbot.slack.state.messages("C0APPROVALS") if m.visible_to == "U0CAROL"
        ],
        what="the second click refused",
    )
    assert "Already approved by <@U0BOB>" in again[-1].text


def test_runs_kpi_from_the_real_prometheus(
    opsbot_factory: OpsbotFactory, workflow_stack: WorkflowStack
) -> None:
    workflow_stack.exporter.set_queue_depth(140)
    workflow_stack.exporter.set_csat_score(4.6)
    workflow_stack.wait_for("sum(workflow_queue_depth)", lambda v: v == 140)
    policy = Policy.model_validate(
        {
            "runs": {
                "source_timeout": 5,
                "kpis": {
                    "queue_depth": {"query": "sum(workflow_queue_depth)", "threshold": 100},
                    "csat": {
                        "query": "avg(workflow_csat_score)",
                        "threshold": 4.0,
                        "above_is_bad": False,
                    },
                    "broken": "sum(rate(",
                },
            }
        }
    )
    opsbot = opsbot_factory(policy, prometheus_url=workflow_stack.url)
    answer = _answer(opsbot, "kpi", "*KPIs*")
    assert "*queue_depth*: 140 · max 100 :rotating_light:" in answer
    assert "*csat*: 4.6 · min 4" in answer and "*broken*: n/a" in answer
    assert "Partial answer, missing: prometheus (broken)" in answer
