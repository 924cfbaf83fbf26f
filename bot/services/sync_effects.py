"""Deliver Jira and Notion effects from the outbox. Each effect is idempotent: the issue is
found by its label before one is created, comments carry a marker checked before posting,
the Notion page is found by its ``opsbot id`` and its properties set to the current truth.
RCA action items become issues found by their own label and linked once to the incident's
issue; the RCA is appended to the page after a marker, continuing where an attempt stopped."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from anyio import to_thread

from bot.adapters.notion_blocks import markdown_to_blocks
from bot.adapters.sync_render import (
    action_fields,
    action_label,
    incident_label,
    jira_fields,
    notion_properties,
    rca_marker,
)
from bot.clock import Clock
from bot.domain.incident import IncidentView
from bot.domain.ports import DocumentPort, PermanentError, TicketPort
from bot.policy import Policy
from bot.services import incident_state as state
from bot.services import rca, sync
from bot.services.effect_kinds import INCIDENT_CHANGED
from storage.db import Database
from storage.repositories.outbox import Claimed

__all__ = ["SyncEffects"]

log = logging.getLogger("opsbot.sync")


@dataclass
class SyncEffects:
    """Jira and Notion delivery; a missing port means that integration is off."""

    db: Database
    policy: Policy
    clock: Clock
    tickets: TicketPort | None = None
    documents: DocumentPort | None = None
    jira_project: str = ""
    slack: bool = False  # refresh the Slack card when an issue or page appears

    async def deliver(self, effect: Claimed) -> None:
        """Perform ``effect``; raises ``TransientError``/``PermanentError`` to be retried."""
        handlers: dict[str, Callable[[Claimed], Awaitable[None]]] = {
            sync.JIRA_OPEN: self._jira_open,
            sync.JIRA_COMMENT: self._jira_comment,
            sync.JIRA_TRANSITION: self._jira_transition,
            sync.NOTION_SYNC: self._notion_sync,
            sync.JIRA_ACTIONS: self._jira_actions,
            sync.NOTION_RCA: self._notion_rca,
        }
        handler = handlers.get(effect.kind)
        if handler is None:
            raise PermanentError(f"unknown effect {effect.kind}")
        await handler(effect)

    async def _view(self, effect: Claimed) -> IncidentView | None:
        incident_id = effect.incident_id
        if incident_id is None:
            return None
        loaded = await to_thread.run_sync(
            lambda: state.load_incident(self.db, self.policy, incident_id)
        )
        return loaded[0] if loaded else None

    async def _save(self, incident_id: int, **refs: str) -> None:
        refresh = INCIDENT_CHANGED if self.slack else None
        await to_thread.run_sync(
            lambda: state.save_refs(self.db, incident_id, now=self.clock(), refresh=refresh, **refs)
        )

    def _jira(self) -> TicketPort:
        if self.tickets is None:
            raise PermanentError("Jira is not configured")
        return self.tickets

    async def _jira_key(self, view: IncidentView) -> str:
        """The incident's issue: recorded, else found by label, else created."""
        if view.jira_key:
            return view.jira_key
        tickets = self._jira()
        key = await tickets.find_by_label(incident_label(view.id))
        if key is None:
            component = self.policy.service(view.service).jira_component
            fields = jira_fields(
                view, project=self.jira_project, policy=self.policy.jira, component=component
            )
            key = await tickets.create(fields)
            log.info("jira issue created", extra={"incident_id": view.id, "jira_key": key})
        await self._save(view.id, jira_key=key)
        return key

    async def _jira_open(self, effect: Claimed) -> None:
        view = await self._view(effect)
        if view is not None:
            await self._jira_key(view)

    async def _jira_comment(self, effect: Claimed) -> None:
        view = await self._view(effect)
        if view is None:
            return
        key = await self._jira_key(view)
        text = str(effect.payload.get("text", ""))
        await self._jira().comment(key, text, marker=f"[opsbot effect {effect.id}]")

    async def _jira_transition(self, effect: Claimed) -> None:
        view = await self._view(effect)
        if view is None:
            return
        action = str(effect.payload["action"])
        name = self.policy.jira.transitions.get(action)  # type: ignore[call-overload]
        if not name:
            return
        key = await self._jira_key(view)
        if not await self._jira().transition(key, name):
            log.warning(
                "jira transition not offered now; skipped",
                extra={"jira_key": key, "transition": name},
            )

    async def _jira_actions(self, effect: Claimed) -> None:
        """An issue per action item that has none yet, linked to the incident's issue; each
        key is recorded as soon as it is known, so a retry only does what is left."""
        view = await self._view(effect)
        if view is None:
            return
        pending = await to_thread.run_sync(
            partial(rca.pending_actions, db=self.db, incident_id=view.id)
        )
        if not pending:
            return
        incident_key = await self._jira_key(view)
        for action_id, item in pending:
            fields = action_fields(
                item,
                action_id=action_id,
                incident_id=view.number,
                incident_key=incident_key,
                project=self.jira_project,
                policy=self.policy.jira,
            )
            key = await self._jira().create_linked(
                fields, label=action_label(action_id), link_to=incident_key
            )
            await to_thread.run_sync(
                partial(rca.save_action_key, db=self.db, action_id=action_id, key=key)
            )
            log.info(
                "jira action issue linked",
                extra={"incident_id": view.id, "jira_key": key, "action_id": action_id},
            )

    def _docs(self) -> DocumentPort:
        if self.documents is None:
            raise PermanentError("Notion is not configured")
        return self.documents

    async def _page(self, view: IncidentView, properties: dict[str, Any]) -> tuple[str, bool]:
        """The incident's page id (created with ``properties`` when missing; then True)."""
        label = incident_label(view.id)
        found = await self._docs().find(label)
        if found is None:
            page_id, url = await self._docs().create(label, properties)
            await self._save(view.id, notion_page_id=page_id, notion_url=url)
            return page_id, True
        page_id, url = found
        if view.notion_url != url:
            await self._save(view.id, notion_page_id=page_id, notion_url=url)
        return page_id, False

    def _properties(self, view: IncidentView) -> dict[str, Any]:
        jira_url = (
            self.tickets.browse_url(view.jira_key) if self.tickets and view.jira_key else None
        )
        return notion_properties(view, jira_url=jira_url)

    async def _notion_sync(self, effect: Claimed) -> None:
        view = await self._view(effect)
        if view is None:
            return
        properties = self._properties(view)
        page_id, created = await self._page(view, properties)
        if not created:
            await self._docs().update(page_id, properties)

    async def _notion_rca(self, effect: Claimed) -> None:
        view = await self._view(effect)
        if view is None:
            return
        document = await to_thread.run_sync(partial(rca.markdown, db=self.db, incident_id=view.id))
        if document is None:
            return
        page_id, _ = await self._page(view, self._properties(view))
        await self._docs().append_rca(
            page_id, markdown_to_blocks(document), marker=rca_marker(view.id)
        )
