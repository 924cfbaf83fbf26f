"""The app factory: the only place where opsbot is wired together. Nothing is built at import."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from sqlalchemy.exc import SQLAlchemyError

from bot import __version__, telemetry
from bot.adapters.jira_tickets import JiraTickets
from bot.adapters.langgraph_runs import LangGraphRuns
from bot.adapters.n8n_runs import N8nRuns
from bot.adapters.notion_docs import NotionDocs
from bot.adapters.prometheus_kpis import PrometheusKpis
from bot.adapters.slack import BotIdentity, make_web_client
from bot.adapters.slack.chat import SlackChat
from bot.clock import Clock, utcnow
from bot.domain.runs import HitlSource, RunSource
from bot.logs import logging_setup
from bot.metrics import Metrics
from bot.policy import Policy
from bot.services import instances
from bot.services.alert_intake import intake_figures
from bot.services.intake_process import ProcessApplier
from bot.services.outbox_worker import Deliverer, EffectRouter, OutboxWorker
from bot.services.registry import Services, build_services, outbox_figures
from bot.services.runs import RunsService
from bot.services.self_metrics import register as register_self_metrics
from bot.services.slack_effects import SlackEffects
from bot.services.sync import SyncTargets
from bot.services.sync_effects import SyncEffects
from bot.services.timer_runner import TimerRunner
from bot.services.workflow_health import WorkflowHealth
from bot.settings import INTEGRATIONS, Settings
from handlers import slack as slack_handlers
from handlers.http.alertmanager import alertmanager_router
from handlers.http.api import api_router
from handlers.http.health import health_router
from handlers.http.middleware import RequestContextMiddleware
from handlers.http.slack import slack_router
from storage.db import Database

__all__ = ["create_app"]

log = logging.getLogger("opsbot")


def create_app(
    settings: Settings,
    policy: Policy | None = None,
    *,
    db: Database | None = None,
    clock: Clock = utcnow,
    heartbeat_every: float = instances.HEARTBEAT_SECONDS,
) -> FastAPI:
    """Build the FastAPI app with its Slack app, services and routes."""
    database = db or Database(settings.database_url)
    policy = policy or Policy()
    metrics = Metrics()
    sync = SyncTargets(jira=settings.enabled("jira"), notion=settings.enabled("notion"))
    runs, hitl_source = _run_sources(settings, policy, clock)
    services = build_services(
        db=database,
        policy=policy,
        clock=clock,
        metrics=metrics,
        slack=settings.enabled("slack"),
        sync=sync,
        runs=runs,
        hitl=hitl_source,
        api_token=settings.opsbot_api_token.get_secret_value()
        if settings.opsbot_api_token
        else None,
    )
    tracing = telemetry.TracingConfig(
        settings.otlp_traces_endpoint(), settings.otlp_headers(), settings.otel_service_name
    )
    applier = _intake_applier(settings, policy, database, clock, sync, tracing)
    services.intake.applier = applier
    if applier is not None:  # a batch costs a round trip to the child: gather a few
        services.intake.worker.gather_s = INTAKE_GATHER_SECONDS
    health = WorkflowHealth(
        db=database, policy=policy, clock=clock, runs=services.runs, intake=services.intake
    )
    identity = BotIdentity()
    bolt = _slack_app(settings, services, identity)
    slack_token = settings.slack_bot_token
    tickets, documents = _sync_adapters(settings, policy)
    worker = _outbox_worker(settings, policy, database, clock, metrics, tickets, documents)
    if worker is not None:
        services.intake.waker = worker.wake
        services.lifecycle.waker = worker.wake
        services.client_updates.waker = worker.wake
        services.checklists.waker = worker.wake
        services.hitl.waker = worker.wake
    timers = TimerRunner(
        db=database,
        policy=policy,
        clock=clock,
        metrics=metrics,
        slack=settings.enabled("slack"),
        on_fired=worker.wake if worker is not None else (lambda: None),
    )
    _log_integrations(settings, metrics)
    telemetry.configure_tracing(tracing)  # process-wide; replaced only when it differs
    metrics.watch(
        "outbox",
        lambda: outbox_figures(db=database, clock=clock),
        "Effects waiting in the outbox",
    )
    metrics.watch(
        "intake",
        lambda: intake_figures(db=database, clock=clock),
        "Alertmanager deliveries waiting to be applied",
    )
    register_self_metrics(metrics, db=database, clock=clock)
    heartbeat = instances.Heartbeat(db=database, every=heartbeat_every)  # wall clock
    instances.watch(metrics, db=database, every=heartbeat_every)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        timers.start()
        await heartbeat.start()
        background = [asyncio.create_task(services.intake.worker.run())]
        if worker is not None:
            background.append(asyncio.create_task(worker.run()))
        if services.hitl.enabled and settings.enabled("slack"):
            background.append(asyncio.create_task(services.hitl.run()))
        if health.enabled:
            background.append(asyncio.create_task(health.run()))
        if slack_token is not None and _named_groups(policy):
            chat = SlackChat(
                make_web_client(
                    token=slack_token.get_secret_value(), base_url=settings.slack_api_url
                )
            )
            background.append(asyncio.create_task(_refresh_groups(services, chat)))
        if slack_token is not None:
            client = make_web_client(
                token=slack_token.get_secret_value(), base_url=settings.slack_api_url, timeout=5
            )
            # never delays start-up
            background.append(asyncio.create_task(identity.resolve(client)))
        await _record_start(services, settings, policy)
        yield
        await timers.stop()
        await heartbeat.stop()
        for job in background:
            job.cancel()
        for job in background:
            with contextlib.suppress(asyncio.CancelledError):
                await job
        if applier is not None:
            await asyncio.to_thread(applier.close)
        await services.runs.aclose()
        if documents is not None:
            await documents.aclose()
        if tickets is not None:
            tickets.close()
        if db is None:
            database.dispose()
        await asyncio.to_thread(telemetry.flush)  # the last deliveries' spans

    app = FastAPI(title="opsbot", version=__version__, lifespan=lifespan)
    app.add_middleware(RequestContextMiddleware, metrics=metrics)
    app.include_router(health_router(db=database, metrics=metrics))
    app.include_router(slack_router(bolt))
    app.include_router(
        alertmanager_router(
            intake=services.intake,
            token=settings.alertmanager_token,
            max_body=policy.alerting.max_body_bytes,
            metrics=metrics,
        )
    )
    app.include_router(
        api_router(
            queries=services.incidents,
            access=services.access,
            audit=services.audit,
            intake=services.intake,
        )
    )
    return app


def _slack_app(settings: Settings, services: Services, identity: BotIdentity) -> AsyncApp | None:
    if not settings.enabled("slack"):
        return None
    assert settings.slack_bot_token is not None and settings.slack_signing_secret is not None
    token = settings.slack_bot_token.get_secret_value()
    # Bolt takes its token from ``authorize`` on each request; its own client stays tokenless.
    client = make_web_client(token=None, base_url=settings.slack_api_url)

    async def authorize(
        enterprise_id: str | None, team_id: str | None, **_: Any
    ) -> AuthorizeResult:
        return AuthorizeResult(
            enterprise_id=enterprise_id,
            team_id=team_id or identity.team_id,
            bot_token=token,
            bot_user_id=identity.user_id,
            bot_id=identity.bot_id,
        )

    bolt = AsyncApp(
        signing_secret=settings.slack_signing_secret.get_secret_value(),
        client=client,
        authorize=authorize,
        logger=logging.getLogger("opsbot.bolt"),
    )
    slack_handlers.register(
        bolt,
        services,
        timeline_emoji=services.lifecycle.policy.slack.timeline_emoji,
        home_team=lambda: identity.team_id,
    )
    return bolt


def _outbox_worker(
    settings: Settings,
    policy: Policy,
    db: Database,
    clock: Clock,
    metrics: Metrics,
    tickets: JiraTickets | None,
    documents: NotionDocs | None,
) -> OutboxWorker | None:
    lanes: dict[str, Deliverer] = {}
    if settings.slack_bot_token is not None and settings.enabled("slack"):
        client = make_web_client(
            token=settings.slack_bot_token.get_secret_value(), base_url=settings.slack_api_url
        )
        chat = SlackChat(client, on_error=metrics.slack_api_error)
        lanes["slack"] = SlackEffects(db=db, chat=chat, policy=policy, clock=clock)
    if tickets is not None or documents is not None:
        sync_effects = SyncEffects(
            db=db,
            policy=policy,
            clock=clock,
            tickets=tickets,
            documents=documents,
            jira_project=settings.jira_project or "",
            slack="slack" in lanes,
        )
        if tickets is not None:
            lanes["jira"] = sync_effects
        if documents is not None:
            lanes["notion"] = sync_effects
    if not lanes:
        return None
    return OutboxWorker(
        db=db,
        effects=EffectRouter(lanes),
        clock=clock,
        metrics=metrics,
        notify_lanes=frozenset(lanes),
        max_attempts=policy.outbox.max_attempts,
        retry_base=policy.outbox.retry_base.total_seconds(),
        retry_cap=policy.outbox.retry_cap.total_seconds(),
    )


def _sync_adapters(
    settings: Settings, policy: Policy
) -> tuple[JiraTickets | None, NotionDocs | None]:
    tickets = documents = None
    if settings.enabled("jira"):
        assert settings.jira_url and settings.jira_user and settings.jira_api_token
        tickets = JiraTickets(
            url=settings.jira_url,
            user=settings.jira_user,
            token=settings.jira_api_token.get_secret_value(),
            timeout=policy.jira.timeout.total_seconds(),
        )
    if settings.enabled("notion"):
        assert settings.notion_token and settings.notion_database_id
        documents = NotionDocs(
            token=settings.notion_token.get_secret_value(),
            base_url=settings.notion_api_url,
            database_id=settings.notion_database_id,
            timeout=policy.jira.timeout.total_seconds(),
        )
    return tickets, documents


INTAKE_GATHER_SECONDS = 0.02


def _intake_applier(
    settings: Settings,
    policy: Policy,
    db: Database,
    clock: Clock,
    sync: SyncTargets,
    tracing: telemetry.TracingConfig,
) -> ProcessApplier | None:
    """The child process that applies Alertmanager deliveries: on PostgreSQL unless
    ``INTAKE_PROCESS=false`` (SQLite, or a clock other than the wall clock: none)."""
    wanted = settings.intake_process
    if wanted is False or db.is_sqlite or clock is not utcnow:
        if wanted:
            log.warning("INTAKE_PROCESS ignored: it needs PostgreSQL and the wall clock")
        return None
    return ProcessApplier(
        database_url=db.url,
        policy=policy,
        slack=settings.enabled("slack"),
        sync=sync,
        logging_setup=logging_setup(),
        tracing=tracing,
    )


GROUP_REFRESH_SECONDS = 300


def _named_groups(policy: Policy) -> bool:
    return any(i.startswith("S") for ids in policy.roles.model_dump().values() for i in ids)


async def _refresh_groups(services: Services, chat: SlackChat) -> None:
    """Keep the members of the user groups named in ``roles:`` fresh."""
    while True:
        await services.access.refresh_groups(chat)
        await asyncio.sleep(GROUP_REFRESH_SECONDS)


async def _record_start(services: Services, settings: Settings, policy: Policy) -> None:
    """Record the policy in force; a database that is down now must not stop the start."""
    try:
        await asyncio.to_thread(
            services.audit.record,
            actor="opsbot",
            surface="cli",
            action="config.loaded",
            detail={
                "policy_sha256": policy_digest(policy),
                "integrations": [name for name in INTEGRATIONS if settings.enabled(name)],
            },
        )
    except SQLAlchemyError:
        log.warning("start not recorded in the audit log: the database is unavailable")


def policy_digest(policy: Policy) -> str:
    """A fingerprint of the policy in force (recorded in the audit log at start-up)."""
    return hashlib.sha256(policy.model_dump_json().encode()).hexdigest()


def _run_sources(
    settings: Settings, policy: Policy, clock: Clock
) -> tuple[RunsService, HitlSource | None]:
    """The ``/runs`` service over the configured sources, and the HITL source (LangGraph)."""
    timeout = policy.runs.source_timeout.total_seconds()
    sources: list[RunSource] = []
    langgraph = None
    if settings.langgraph_url:
        langgraph = LangGraphRuns(url=settings.langgraph_url, timeout=timeout)
        sources.append(langgraph)
    if settings.n8n_url and settings.n8n_api_key:
        key = settings.n8n_api_key.get_secret_value()
        sources.append(N8nRuns(url=settings.n8n_url, api_key=key, timeout=timeout))
    prometheus = settings.prometheus_url
    kpis = PrometheusKpis(url=prometheus, timeout=timeout) if prometheus else None
    return RunsService(policy=policy, clock=clock, sources=sources, kpis=kpis), langgraph


def _log_integrations(settings: Settings, metrics: Metrics) -> None:
    for name, keys in INTEGRATIONS.items():
        enabled = settings.enabled(name)
        metrics.integration_enabled.labels(integration=name).set(1 if enabled else 0)
        if not enabled:
            needed = ", ".join(key.upper() for key in keys)
            log.info(f"{name} integration off (set {needed} to turn it on)")
