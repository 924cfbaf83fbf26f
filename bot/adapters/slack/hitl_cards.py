"""Block Kit for runs waiting for a human (pure): the question with Approve / Reject, and the
same message once decided."""

from __future__ import annotations

from typing import Any

from bot.adapters.slack.cards import Rendered, button, escape, mention, section, when
from storage.repositories.hitl import HitlRequest

__all__ = ["APPROVE", "REJECT", "hitl_message"]

APPROVE, REJECT = "hitl_approve", "hitl_reject"


def hitl_message(request: HitlRequest) -> Rendered:
    """The request: waiting (with buttons) or decided (with who, when, why, the new state)."""
    head = (
        f":raised_hand: *{escape(request.workflow)}* run `{escape(request.run_id)}`"
        f" waits for a decision\n>{escape(request.question)}"
    )
    blocks: list[dict[str, Any]] = [section(head)]
    if request.status in ("waiting", "deciding"):
        value = str(request.id)
        blocks.append(
            {
                "type": "actions",
                "block_id": "hitl_actions",
                "elements": [
                    button("Approve", APPROVE, value, "primary"),
                    button("Reject", REJECT, value, "danger"),
                ],
            }
        )
        return f"{request.workflow} waits for a decision: {request.question}"[:3000], blocks
    if request.status == "gone":
        said = "No longer waiting (decided elsewhere, or the run ended)."
    else:
        mark = ":white_check_mark:" if request.status == "approved" else ":no_entry:"
        at = f" {when(request.decided_at)}" if request.decided_at else ""
        who = mention(request.decided_by) if request.decided_by else "someone"
        why = f": {escape(request.comment)}" if request.comment else ""
        state = f" · run now {escape(request.result_state)}" if request.result_state else ""
        said = f"{mark} {request.status.capitalize()} by {who}{at}{why}{state}"
    blocks.append(section(said))
    return f"{request.workflow}: {request.status}", blocks
