"""Deliver HITL requests to Slack: post the question once, edit it once decided."""

from __future__ import annotations

from dataclasses import dataclass

from anyio import to_thread

from bot.adapters.slack.hitl_cards import hitl_message
from bot.clock import Clock
from bot.domain.ports import ChatPort
from bot.policy import Policy
from storage.db import Database
from storage.repositories import hitl as repo
from storage.repositories.hitl import HitlRequest
from storage.repositories.outbox import Claimed

__all__ = ["HitlEffects"]


@dataclass
class HitlEffects:
    """The HITL channel's messages."""

    db: Database
    chat: ChatPort
    policy: Policy
    clock: Clock

    def _load(self, effect: Claimed) -> HitlRequest | None:
        with self.db.session() as session:
            return repo.get(session, int(effect.payload.get("request", 0)))

    async def request(self, effect: Claimed) -> None:
        """Post the waiting run with Approve / Reject (once)."""
        found = await to_thread.run_sync(lambda: self._load(effect))
        channel = self.policy.hitl.channel
        if found is None or channel is None or found.slack_ts is not None:
            return
        text, blocks = hitl_message(found)
        ts = await self.chat.post(channel, text, blocks)

        def save() -> None:
            with self.db.session() as session:
                repo.settle(session, found.id, slack_channel=channel, slack_ts=ts)

        await to_thread.run_sync(save)

    async def decided(self, effect: Claimed) -> None:
        """Show the decision (or that the run no longer waits) on the message."""
        found = await to_thread.run_sync(lambda: self._load(effect))
        if found is None or found.slack_ts is None or found.slack_channel is None:
            return
        text, blocks = hitl_message(found)
        await self.chat.update(found.slack_channel, found.slack_ts, text, blocks)
