"""Deliver the Slack side of incidents from the outbox: each effect re-reads current state,
so retries and late deliveries post what is true now, and ids already recorded are reused."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from anyio import to_thread

from bot.adapters.slack import cards, lifecycle_cards
from bot.clock import Clock
from bot.domain.incident import AlertView, IncidentView
from bot.domain.naming import incident_channel_name
from bot.domain.ports import ChannelNameTaken, ChatError, ChatPort
from bot.domain.severity import Severity
from bot.policy import Policy
from bot.services import effect_kinds as fx
from bot.services import incident_state as state
from bot.services.checklist_effects import ChecklistEffects
from bot.services.client_effects import ClientEffects
from bot.services.hitl_effects import HitlEffects
from bot.services.incident_state import SlackRefs
from storage.db import Database
from storage.repositories.outbox import Claimed

__all__ = ["SlackEffects"]

log = logging.getLogger("opsbot.slack.effects")
MAX_NAME_ATTEMPTS = 20


@dataclass
class SlackEffects:
    """One method per effect kind; ``deliver`` dispatches."""

    db: Database
    chat: ChatPort
    policy: Policy
    clock: Clock

    def __post_init__(self) -> None:
        clients = ClientEffects(db=self.db, chat=self.chat, policy=self.policy, clock=self.clock)
        hitl = HitlEffects(db=self.db, chat=self.chat, policy=self.policy, clock=self.clock)
        self._lists = ChecklistEffects(
            db=self.db, chat=self.chat, policy=self.policy, clock=self.clock
        )
        self._handlers: dict[str, Callable[[Claimed], Awaitable[None]]] = {
            fx.INCIDENT_OPENED: self._opened,
            fx.ALERTS_CHANGED: self._alerts_changed,
            fx.SEVERITY_RAISED: self._severity_raised,
            fx.REOPENED: self._reopened,
            fx.ALL_CLEARED: self._all_cleared,
            fx.BELOW_THRESHOLD: self._below_threshold,
            fx.STORM_DIGEST: self._storm_digest,
            fx.INCIDENT_CHANGED: self._alerts_changed,
            fx.STATUS_POST: self._status_post,
            fx.ESCALATION: self._escalation,
            fx.REMINDER: self._reminder,
            fx.DEAD_LETTER: self._dead_letter,
            fx.CLIENT_PREVIEW: clients.preview,
            fx.CLIENT_POST: clients.post,
            fx.CHECKLIST_CHANGED: self._lists.changed,
            fx.RCA_DOC: self._lists.rca_doc,
            fx.HITL_REQUEST: hitl.request,
            fx.HITL_DECIDED: hitl.decided,
        }

    async def deliver(self, effect: Claimed) -> None:
        """Perform ``effect``; raises ``TransientChatError``/``ChatError`` to be retried."""
        handler = self._handlers.get(effect.kind)
        if handler is None:
            raise ChatError("unknown_effect", effect.kind)
        await handler(effect)

    async def _load(self, incident_id: int | None) -> tuple[IncidentView, SlackRefs] | None:
        if incident_id is None:
            return None
        return await to_thread.run_sync(
            lambda: state.load_incident(self.db, self.policy, incident_id)
        )

    async def _save(self, incident_id: int, **refs: Any) -> None:
        await to_thread.run_sync(
            lambda: state.save_refs(self.db, incident_id, now=self.clock(), **refs)
        )

    async def _opened(self, effect: Claimed) -> None:
        loaded = await self._load(effect.incident_id)
        if loaded is None:
            return
        view, refs = loaded
        if refs.channel_id is None:
            await self._provision_channel(view)
            loaded = await self._load(view.id)
            assert loaded is not None
            view, refs = loaded
        assert refs.channel_id is not None
        if refs.card_ts is None:
            text, blocks = cards.incident_card(view, now=self.clock())
            ts = await self.chat.post(refs.channel_id, text, blocks)
            await self._save(view.id, slack_card_ts=ts)
            await self.chat.pin(refs.channel_id, ts)
        if refs.alerts_ts is None:
            text, blocks = cards.alerts_message(view)
            await self._save(
                view.id, slack_alerts_ts=await self.chat.post(refs.channel_id, text, blocks)
            )
        announce_to = self.policy.slack.incidents_channel
        if announce_to and refs.announce_ts is None:
            text, blocks = cards.announcement(view)
            await self._save(
                view.id, slack_announce_ts=await self.chat.post(announce_to, text, blocks)
            )
        await self._lists.opened(view, refs, announced=announce_to is not None)
        every = self.policy.slack.alerts_refresh_every
        await self._save(view.id, alerts_refresh_at=self.clock() + every)

    async def _provision_channel(self, view: IncidentView) -> None:
        channel_id, name = await self._create_channel(view.opened_at, view.title)
        await self._save(view.id, slack_channel_id=channel_id, slack_channel_name=name)
        await self.chat.set_purpose(channel_id, f"opsbot incident #{view.number}")
        await self.chat.set_topic(channel_id, cards.channel_topic(view))
        members = await self.chat.expand_members(list(view.oncall))
        if members:
            await self.chat.invite(channel_id, members)

    async def _create_channel(self, opened_at: datetime, title: str) -> tuple[str, str]:
        for attempt in range(1, MAX_NAME_ATTEMPTS + 1):
            name = incident_channel_name(opened_at, title, attempt=attempt)
            try:
                return await self.chat.create_channel(name), name
            except ChannelNameTaken:
                continue
        raise ChatError("name_taken", "conversations.create")

    async def _refresh(self, view: IncidentView, refs: SlackRefs, *, topic: bool = False) -> None:
        if refs.channel_id is None:
            return
        if refs.card_ts:
            text, blocks = cards.incident_card(view, now=self.clock())
            await self.chat.update(refs.channel_id, refs.card_ts, text, blocks)
        if refs.alerts_ts:
            text, blocks = cards.alerts_message(view)
            await self.chat.update(refs.channel_id, refs.alerts_ts, text, blocks)
        if topic:
            await self.chat.set_topic(refs.channel_id, cards.channel_topic(view))

    async def _post_in_channel(
        self, effect: Claimed, render: Callable[[IncidentView], cards.Rendered], *, topic: bool
    ) -> None:
        loaded = await self._load(effect.incident_id)
        if loaded is None or loaded[1].channel_id is None:
            return
        view, refs = loaded
        assert refs.channel_id is not None
        text, blocks = render(view)
        await self.chat.post(refs.channel_id, text, blocks)
        await self._refresh(view, refs, topic=topic)

    async def _alerts_changed(self, effect: Claimed) -> None:
        loaded = await self._load(effect.incident_id)
        if loaded is not None:
            await self._refresh(*loaded)
            every = self.policy.slack.alerts_refresh_every
            await self._save(loaded[0].id, alerts_refresh_at=self.clock() + every)

    async def _severity_raised(self, effect: Claimed) -> None:
        old, reason = Severity(effect.payload["old"]), str(effect.payload["reason"])
        await self._post_in_channel(
            effect, lambda v: cards.severity_raised_message(v, old, reason), topic=True
        )

    async def _reopened(self, effect: Claimed) -> None:
        reason = str(effect.payload.get("reason", ""))
        await self._post_in_channel(effect, lambda v: cards.reopened_message(v, reason), topic=True)

    async def _all_cleared(self, effect: Claimed) -> None:
        auto = bool(effect.payload.get("auto_resolved"))
        await self._post_in_channel(
            effect, lambda v: cards.all_cleared_message(v, auto_resolved=auto), topic=auto
        )

    async def _status_post(self, effect: Claimed) -> None:
        event, actor = str(effect.payload["event"]), str(effect.payload["actor"])
        text = str(effect.payload.get("text", ""))
        await self._post_in_channel(
            effect,
            lambda v: lifecycle_cards.status_post(v, event=event, actor=actor, text=text),
            topic=event in {"sev", "resolve", "reopen", "close"},
        )

    async def _escalation(self, effect: Claimed) -> None:
        loaded = await self._load(effect.incident_id)
        if loaded is None:
            return
        view, refs = loaded
        targets = self.policy.escalation_targets(view.service)
        limit = self.policy.severities[view.severity.value].escalate_max
        by = effect.payload.get("by")
        text, blocks = lifecycle_cards.escalation_message(
            view,
            attempt=int(effect.payload.get("attempt", 0)),
            limit=limit,
            targets=targets,
            by=str(by) if by else None,
        )
        for channel in (refs.channel_id, self.policy.slack.incidents_channel):
            if channel:
                await self.chat.post(channel, text, blocks)
        commander = view.roles.get("commander")
        if commander:
            await self.chat.post(commander, text, blocks)

    async def _reminder(self, effect: Claimed) -> None:
        kind = str(effect.payload.get("timer", "update"))
        await self._post_in_channel(
            effect, lambda v: lifecycle_cards.reminder_message(v, kind=kind), topic=False
        )

    async def _dead_letter(self, effect: Claimed) -> None:
        channel = self.policy.slack.incidents_channel
        if channel is None:
            return
        what = str(effect.payload.get("kind", "an effect"))
        number = f" for incident #{effect.incident_id}" if effect.incident_id else ""
        text = (
            f":warning: `{what}`{number} gave up after {effect.payload.get('attempts')} attempts:"
            f" {cards.escape(str(effect.payload.get('error', '')))[:500]}."
            " `opsbot outbox retry` sends it again; `/incident sync` shows the state."
        )
        await self.chat.post(
            channel, text, [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]
        )

    async def _below_threshold(self, effect: Claimed) -> None:
        channel = self.policy.slack.alerts_channel
        if channel is None:
            log.info("below-threshold alerts not posted: slack.alerts_channel is not set")
            return
        alerts = [_alert_from_payload(a) for a in effect.payload.get("alerts", [])]
        text, blocks = cards.below_threshold_notice(
            alerts,
            service=str(effect.payload["service"]),
            minimum=Severity(effect.payload["minimum"]),
        )
        await self.chat.post(channel, text, blocks)

    async def _storm_digest(self, effect: Claimed) -> None:
        now = self.clock()
        entries = await to_thread.run_sync(lambda: state.held_digest(self.db))
        channel = self.policy.slack.alerts_channel or self.policy.slack.incidents_channel
        if entries and channel:
            text, blocks = cards.storm_digest(
                entries,
                window_start=now,
                opened_limit=self.policy.alerting.max_new_incidents_per_minute,
            )
            await self.chat.post(channel, text, blocks)
        elif entries:
            log.warning("storm digest not posted: no alerts or incidents channel configured")
        await to_thread.run_sync(lambda: state.release_digest(self.db, now))


def _alert_from_payload(data: dict[str, object]) -> AlertView:
    starts = datetime.fromisoformat(str(data["starts_at"]))
    return AlertView(
        fingerprint=str(data["fingerprint"]),
        name=str(data["name"]),
        status=str(data["status"]),
        severity=Severity(str(data["severity"])),
        labels=dict(data.get("labels") or {}),  # type: ignore[call-overload]
        annotations=dict(data.get("annotations") or {}),  # type: ignore[call-overload]
        starts_at=starts,
        ends_at=None,
        generator_url=str(data.get("generator_url", "")),
        last_seen_at=starts,
    )
