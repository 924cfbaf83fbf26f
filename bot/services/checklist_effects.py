"""Deliver the checklist message and the RCA document to the incident channel. Each effect
re-reads the current state, and message ids already recorded are edited, never re-posted."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from anyio import to_thread

from bot.adapters.slack.cards import Rendered
from bot.adapters.slack.checklist_cards import checklist_message, rca_document
from bot.clock import Clock
from bot.domain.checklists import COMMS, PLAYBOOK, CommsEvent
from bot.domain.incident import IncidentView
from bot.domain.ports import ChatPort
from bot.policy import Policy
from bot.services import checklists, rca
from bot.services import incident_state as state
from bot.services.incident_state import SlackRefs
from storage.db import Database
from storage.repositories.outbox import Claimed

__all__ = ["ChecklistEffects", "render_checklist"]


@dataclass
class ChecklistEffects:
    """The checklist message and the RCA document."""

    db: Database
    chat: ChatPort
    policy: Policy
    clock: Clock

    async def opened(self, view: IncidentView, refs: SlackRefs, *, announced: bool) -> None:
        """After the card (and the announcement, which ticks its item): post the checklist
        message once."""
        if announced:
            await to_thread.run_sync(
                lambda: checklists.record_event(
                    self.db, view.id, CommsEvent.ANNOUNCED, self.clock()
                )
            )
        if refs.channel_id and refs.comms_ts is None:
            text, blocks = await self._render(view)
            ts = await self.chat.post(refs.channel_id, text, blocks)
            await to_thread.run_sync(
                lambda: state.save_refs(self.db, view.id, now=self.clock(), slack_comms_ts=ts)
            )

    async def changed(self, effect: Claimed) -> None:
        """Edit the checklist message to what is true now."""
        loaded = await self._load(effect)
        if loaded is None:
            return
        view, refs = loaded
        if refs.channel_id is None or refs.comms_ts is None:
            return  # not posted yet: the opening effect posts the current state
        text, blocks = await self._render(view)
        await self.chat.update(refs.channel_id, refs.comms_ts, text, blocks)

    async def rca_doc(self, effect: Claimed) -> None:
        """Post the finished RCA as Markdown (edit it in place when it changes later)."""
        loaded = await self._load(effect)
        if loaded is None:
            return
        view, refs = loaded
        if refs.channel_id is None:
            return
        markdown = await to_thread.run_sync(lambda: rca.markdown(db=self.db, incident_id=view.id))
        if markdown is None:
            return
        parts = rca_document(view.number, markdown)
        if refs.rca_ts is not None and len(parts) == 1:
            text, blocks = parts[0]
            await self.chat.update(refs.channel_id, refs.rca_ts, text, blocks)
            return
        first: str | None = None
        for text, blocks in parts:
            ts = await self.chat.post(refs.channel_id, text, blocks)
            first = first or ts
        if first is not None:
            await to_thread.run_sync(
                lambda: state.save_refs(self.db, view.id, now=self.clock(), slack_rca_ts=first)
            )

    async def _load(self, effect: Claimed) -> tuple[IncidentView, SlackRefs] | None:
        incident_id = effect.incident_id
        if incident_id is None:
            return None
        return await to_thread.run_sync(
            lambda: state.load_incident(self.db, self.policy, incident_id)
        )

    async def _render(self, view: IncidentView) -> Rendered:
        return await to_thread.run_sync(
            lambda: render_checklist(self.db, self.policy, view, now=self.clock())
        )


def render_checklist(
    db: Database, policy: Policy, view: IncidentView, *, now: datetime
) -> Rendered:
    """The incident's checklist message as it stands (blocking: reads the items)."""
    lists = checklists.load_lists(db, view.id)
    return checklist_message(
        incident_id=view.id,
        number=view.number,
        comms=lists.get(COMMS, []),
        playbook=lists.get(PLAYBOOK, []),
        playbook_title=checklists.playbook_for(policy, view.service).title,
        now=now,
    )
