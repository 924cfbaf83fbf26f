"""Slack effects of client updates: the preview in the incident channel, and the post to the
client's shared channel, which is refused unless Slack reports the channel as shared."""

from __future__ import annotations

from dataclasses import dataclass

from anyio import to_thread

from bot.adapters.slack.client_cards import client_post, client_preview
from bot.clock import Clock
from bot.domain.ports import ChatPort
from bot.policy import Policy
from bot.services import client_updates
from bot.services import incident_state as state
from bot.services.client_updates import ClientUpdateView
from storage.db import Database
from storage.repositories.outbox import Claimed

__all__ = ["ClientEffects"]


@dataclass
class ClientEffects:
    """Deliver ``slack.client_preview`` and ``slack.client_post``."""

    db: Database
    chat: ChatPort
    policy: Policy
    clock: Clock

    async def _update(self, effect: Claimed) -> ClientUpdateView | None:
        update_id = int(effect.payload["update_id"])
        return await to_thread.run_sync(
            lambda: client_updates.load(db=self.db, policy=self.policy, update_id=update_id)
        )

    async def _channel(self, incident_id: int) -> str | None:
        loaded = await to_thread.run_sync(
            lambda: state.load_incident(self.db, self.policy, incident_id)
        )
        return loaded[1].channel_id if loaded else None

    def _render(self, update: ClientUpdateView) -> tuple[str, list[dict[str, object]]]:
        return client_preview(
            update_id=update.id,
            client_name=update.client_name,
            text=update.text,
            redactions=update.redactions,
            needs_approval=update.needs_approval,
            drafted_by=update.drafted_by,
            status=update.status,
            approved_by=update.approved_by,
            reason=update.reason,
        )

    async def preview(self, effect: Claimed) -> None:
        """Post the draft's preview (once) in the incident channel."""
        update = await self._update(effect)
        channel = await self._channel(effect.incident_id or 0)
        if update is None or channel is None or update.preview_ts:
            return
        text, blocks = self._render(update)
        ts = await self.chat.post(channel, text, blocks)
        await self._record(update.id, preview_ts=ts)

    async def post(self, effect: Claimed) -> None:
        """Post the approved update to the client, or refuse and say why."""
        update = await self._update(effect)
        if update is None or update.status != "approved":
            return
        if not update.shared_channel or not await self.chat.is_ext_shared(update.shared_channel):
            reason = (
                f"{update.shared_channel or 'no channel'} is not a Slack Connect channel shared "
                f"with {update.client_name}; opsbot only posts client updates there"
            )
            await self._record(update.id, refused=reason)
        else:
            view = await to_thread.run_sync(
                lambda: state.load_incident(self.db, self.policy, update.incident_id)
            )
            service, severity = (view[0].service, view[0].severity.value) if view else ("", "")
            text, blocks = client_post(
                client_name=update.client_name,
                service=service,
                severity=severity,
                text=update.text,
                incident_id=update.incident_id,
            )
            ts = await self.chat.post(update.shared_channel, text, blocks)
            await self._record(update.id, posted_ts=ts, channel=update.shared_channel)
        await self._refresh_preview(effect, update.id)

    async def _refresh_preview(self, effect: Claimed, update_id: int) -> None:
        update = await to_thread.run_sync(
            lambda: client_updates.load(db=self.db, policy=self.policy, update_id=update_id)
        )
        channel = await self._channel(effect.incident_id or 0)
        if update is not None and channel and update.preview_ts:
            text, blocks = self._render(update)
            await self.chat.update(channel, update.preview_ts, text, blocks)

    async def _record(self, update_id: int, **result: str) -> None:
        now = self.clock()
        await to_thread.run_sync(
            lambda: client_updates.record_result(db=self.db, update_id=update_id, now=now, **result)
        )
