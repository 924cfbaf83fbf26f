"""Workflow objectives → incidents: every ``runs.check_every`` the runs of each workflow with
an objective are judged; a breach is fed to the Alertmanager intake as an alert (so grouping,
severity, storm guard and Slack work as for Prometheus alerts) and recovery resolves it.

The alert's start is the first failed run of the breach, or the start recorded for the alert
already firing, so repeated checks and several opsbot processes agree on one occurrence."""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from anyio import to_thread

from bot.clock import Clock
from bot.domain.alertmanager import AMNotification
from bot.domain.objectives import Objective, Verdict, as_alert, evaluate, fingerprint
from bot.policy import Policy
from bot.services.registry import IntakeService
from bot.services.runs import RunsService
from storage.db import Database
from storage.repositories import objectives as repo

__all__ = ["WorkflowHealth"]

log = logging.getLogger("opsbot.objectives")


@dataclass
class WorkflowHealth:
    """Judges the configured objectives and feeds breaches to the intake."""

    db: Database
    policy: Policy
    clock: Clock
    runs: RunsService
    intake: IntakeService

    @property
    def enabled(self) -> bool:
        """Objectives and at least one run source are configured."""
        return bool(self.policy.workflow_objectives) and bool(self.runs.sources)

    def objectives(self) -> list[Objective]:
        """The objectives from the policy."""
        return [
            Objective(
                workflow=name,
                severity=o.severity,
                over=o.over,
                error_rate_above=o.error_rate_above,
                consecutive_failures=o.consecutive_failures,
            )
            for name, o in self.policy.workflow_objectives.items()
        ]

    async def check(self) -> dict[str, Verdict]:
        """Judge every objective once; returns the verdicts (skipped when runs are missing)."""
        objectives = self.objectives()
        if not objectives:
            return {}
        window = max(o.over for o in objectives) + timedelta(hours=1)
        found = await self.runs.recent(window)
        if found.missing:
            log.warning(
                "objectives not judged: a run source did not answer",
                extra={"missing": list(found.missing)},
            )
            return {}
        now = self.clock()
        verdicts = {}
        for objective in objectives:
            verdict = evaluate(objective, found.value, now=now)
            verdicts[objective.workflow] = verdict
            await to_thread.run_sync(partial(self._report, objective, verdict))
        return verdicts

    def _report(self, objective: Objective, verdict: Verdict) -> None:
        with self.db.session() as session:
            firing = repo.firing_since(session, fingerprint(objective.workflow))
        if not verdict.breached and firing is None:
            return
        since = firing or verdict.since or self.clock()
        body = as_alert(
            objective,
            verdict,
            since=since,
            now=self.clock(),
            service_label=self.policy.alerting.service_label,
            severity_label=self.policy.alerting.severity_label,
        )
        self.intake.submit(AMNotification.model_validate(body), json.dumps(body))

    async def run(self) -> None:
        """Check every ``runs.check_every`` until cancelled."""
        every = self.policy.runs.check_every.total_seconds()
        while True:
            try:
                await self.check()
            except Exception:  # a bad check must not stop the loop; the next one retries
                log.exception("objective check failed")
            await asyncio.sleep(every)
