"""``/incident report`` through signed slash commands: the review answered privately."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from bot.clock import utcnow
from bot.domain.lifecycle import Action
from bot.domain.severity import Severity
from bot.policy import Policy
from bot.services import lifecycle
from bot.services.lifecycle import Actor, Change
from tests.conftest import Opsbot, OpsbotFactory
from tests.waiting import wait_until

POLICY = Policy.model_validate(
    {"slack": {"incidents_channel": "C0INCIDENTS"}, "roles": {"viewer": ["U0AUDITOR"]}}
)
ALICE = Actor("U0ALICE", "test", role="admin")


def _seed(opsbot: Opsbot) -> None:
    """An S1 acked after 4m and resolved after 50m two days ago; an S2 opened 40 days ago."""
    now = utcnow()
    for severity, service, ago in [(Severity.S1, "api", 2), (Severity.S2, "db", 40)]:
        opened = now - timedelta(days=ago)
        view = lifecycle.declare(
            db=opsbot.db,
            policy=POLICY,
            title=f"{service} down",
            severity=severity,
            service=service,
            client=None,
            actor=ALICE,
            now=opened,
            slack=False,
        )
        if severity is Severity.S1:
            for action, minutes in [(Action.ACK, 4), (Action.RESOLVE, 50)]:
                lifecycle.apply(
                    db=opsbot.db,
                    policy=POLICY,
                    incident_id=view.id,
                    change=Change(action, text="ok"),
                    actor=ALICE,
                    now=opened + timedelta(minutes=minutes),
                    slack=False,
                )


def _report(opsbot: Opsbot, text: str, user: str = "U0ALICE") -> tuple[str, list[Any]]:
    mark = opsbot.slack.state.last_seq
    reply = opsbot.driver.command(text, user_id=user)
    assert reply.status_code == 200

    def answered() -> tuple[str, list[Any]] | None:
        for message in opsbot.slack.state.messages("C0INCIDENTS"):
            if message.seq > mark and message.visible_to == user:
                return message.text or "", list(message.blocks or [])
        return None

    found: tuple[str, list[Any]] = wait_until(answered, what="the review")
    return found


def test_report_answers_privately_with_the_review(opsbot_factory: OpsbotFactory) -> None:
    opsbot = opsbot_factory(POLICY)
    _seed(opsbot)
    text, blocks = _report(opsbot, "report --since 7d")
    assert text.startswith("Incident review:")
    assert "1 incident opened (S1 1 · S2 0 · S3 0)" in text
    shown = json.dumps(blocks, ensure_ascii=False)
    assert "`api`: 1 (S1 1)" in shown
    assert "MTTA 4m mean" in shown and "MTTR 50m mean" in shown
    assert "Completed for 0 of 1 resolved incident (0%)" in shown
    assert "does not know when an action item" in shown
    wider, _ = _report(opsbot, "report", user="U0AUDITOR")  # a viewer may read it; 90 days
    assert "2 incidents opened (S1 1 · S2 1 · S3 0)" in wider


def test_report_wrong_window_gets_the_usage_in_the_ack(opsbot: Opsbot) -> None:
    for text, expected in [
        ("report --since soon", "`--since soon`: give a duration"),
        ("report 30d", "`/incident report [--since 90d]`."),
    ]:
        reply = opsbot.driver.command(text)
        assert reply.status_code == 200
        assert reply.json is not None, text
        assert expected in reply.json["text"], (text, reply.json["text"])
    help_reply = opsbot.driver.command("help")
    assert help_reply.json is not None
    assert "/incident report [--since 90d]" in help_reply.json["text"]
