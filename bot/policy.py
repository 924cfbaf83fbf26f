"""The YAML policy file (``OPSBOT_CONFIG``, default ``./opsbot.yml``): channels, alerting, services.

Loaded once at start-up by the CLI; a bad file raises ``ConfigError`` naming each bad key.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from bot.domain.durations import parse_duration
from bot.domain.playbooks import PlaybookError
from bot.errors import ConfigError
from bot.playbook_files import load_playbook

__all__ = [
    "AccessRoles",
    "AlertingPolicy",
    "ClientPolicy",
    "HitlPolicy",
    "JiraPolicy",
    "KpiPolicy",
    "ObjectivePolicy",
    "OutboxPolicy",
    "Policy",
    "RedactionPolicy",
    "RunsPolicy",
    "ServicePolicy",
    "SeverityPolicy",
    "SlackPolicy",
    "load_policy",
]

SeverityName = Literal["S1", "S2", "S3"]


def _duration(value: Any) -> Any:
    if isinstance(value, str):
        return parse_duration(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return timedelta(seconds=value)
    return value


def _default_severity_map() -> dict[str, SeverityName]:
    return {"critical": "S1", "error": "S2", "warning": "S2", "info": "S3"}


def _default_auto_resolve() -> list[SeverityName]:
    return ["S3"]


Duration = Annotated[timedelta, BeforeValidator(_duration)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SlackPolicy(_Section):
    """Where opsbot talks in Slack."""

    incidents_channel: str | None = None
    alerts_channel: str | None = None
    timeline_emoji: str = "memo"  # a reaction with it adds the message to the timeline
    # At most one edit of an incident's card and alert list per this, for alert churn
    # (state changes such as severity, ack or resolve edit them at once).
    alerts_refresh_every: Duration = timedelta(seconds=30)


class AlertingPolicy(_Section):
    """How Alertmanager alerts become incidents."""

    severity_label: str = "severity"
    severity_map: dict[str, SeverityName] = Field(default_factory=_default_severity_map)
    service_label: str = "service"
    min_incident_severity: SeverityName = "S3"
    reopen_window: Duration = timedelta(hours=1)
    max_new_incidents_per_minute: int = Field(default=10, ge=1)
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    auto_resolve: list[SeverityName] = Field(default_factory=_default_auto_resolve)
    correlation_window: Duration | None = None
    notice_every: Duration = timedelta(hours=1)


class SeverityPolicy(_Section):
    """Response times of one severity."""

    ack_within: Duration
    update_every: Duration
    escalate_every: Duration
    escalate_max: int = Field(ge=0)
    rca_due: Duration


def _default_severities() -> dict[SeverityName, SeverityPolicy]:
    def row(ack: str, update: str, every: str, times: int, rca: str) -> SeverityPolicy:
        return SeverityPolicy.model_validate(
            {
                "ack_within": ack,
                "update_every": update,
                "escalate_every": every,
                "escalate_max": times,
                "rca_due": rca,
            }
        )

    return {
        "S1": row("5m", "30m", "5m", 3, "2d"),
        "S2": row("15m", "1h", "15m", 3, "5d"),
        "S3": row("1h", "4h", "1h", 1, "10d"),
    }


class ServicePolicy(_Section):
    """One service's routing: on-call, client, playbook, Jira component, default severity."""

    oncall: list[str] = Field(default_factory=list)
    client: str | None = None
    playbook: str | None = None
    jira_component: str | None = None
    default_severity: SeverityName | None = None
    escalation_target: list[str] = Field(default_factory=list)


def _default_priorities() -> dict[SeverityName, str]:
    return {"S1": "Highest", "S2": "High", "S3": "Medium"}


def _default_transitions() -> dict[str, str]:
    return {"resolve": "Resolve", "close": "Close", "reopen": "Reopen"}


class JiraPolicy(_Section):
    """How incidents look in Jira (the connection itself comes from ``JIRA_*``)."""

    issue_type: str = "Incident"
    priority_map: dict[SeverityName, str] = Field(default_factory=_default_priorities)
    transitions: dict[Literal["resolve", "close", "reopen"], str] = Field(
        default_factory=_default_transitions  # type: ignore[arg-type]
    )
    labels: list[str] = Field(default_factory=lambda: ["opsbot"])
    timeout: Duration = timedelta(seconds=10)


class OutboxPolicy(_Section):
    """How the outbox retries effects toward Slack, Jira and Notion."""

    retry_base: Duration = timedelta(seconds=1)
    retry_cap: Duration = timedelta(minutes=5)
    max_attempts: int = Field(default=12, ge=1)


def _s1_only() -> list[SeverityName]:
    return ["S1"]


class ClientPolicy(_Section):
    """A client: their Slack Connect shared channel, teams, services, notice rules."""

    name: str
    shared_channel: str
    team_ids: list[str] = Field(default_factory=list)
    services: list[str] = Field(default_factory=list)
    notice_within: dict[SeverityName, Duration] = Field(default_factory=dict)
    approval_required: list[SeverityName] = Field(default_factory=_s1_only)
    template: str | None = None  # the client update form's starting text ({status}, {next_update})


class KpiPolicy(_Section):
    """A named KPI: its PromQL query, and optionally a threshold."""

    query: str
    threshold: float | None = None
    above_is_bad: bool = True
    unit: str = ""


def _kpi(value: Any) -> Any:
    return {"query": value} if isinstance(value, str) else value


class RunsPolicy(_Section):
    """``/runs``: the default window, per-source timeout, answer cache, page size, KPIs."""

    window: Duration = timedelta(hours=24)
    source_timeout: Duration = timedelta(seconds=2)
    cache_for: Duration = timedelta(seconds=5)
    page_size: int = Field(default=10, ge=1, le=25)
    check_every: Duration = timedelta(minutes=1)  # how often workflow objectives are judged
    kpis: dict[str, Annotated[KpiPolicy, BeforeValidator(_kpi)]] = Field(default_factory=dict)


class HitlPolicy(_Section):
    """Where runs waiting for a human are posted, and the least role that may decide."""

    channel: str | None = None
    role: Literal["viewer", "responder", "commander", "admin"] = "responder"
    poll_every: Duration = timedelta(seconds=10)


class ObjectivePolicy(_Section):
    """A workflow's health objective; breaking it opens (or updates) an incident."""

    error_rate_above: float | None = Field(default=None, gt=0, le=1)
    over: Duration = timedelta(minutes=15)
    consecutive_failures: int | None = Field(default=None, ge=1)
    severity: SeverityName = "S3"


class AccessRoles(_Section):
    """Who holds opsbot-wide roles (Slack user ids U…/W… and user group ids S…). Everyone else
    in the home team is a responder; users of other teams are clients."""

    admin: list[str] = Field(default_factory=list)
    commander: list[str] = Field(default_factory=list)
    viewer: list[str] = Field(default_factory=list)


class RedactionPolicy(_Section):
    """What else to remove before text leaves for a client."""

    extra_patterns: list[str] = Field(default_factory=list)
    names: list[str] = Field(default_factory=list)

    @field_validator("extra_patterns")
    @classmethod
    def _compiles(cls, patterns: list[str]) -> list[str]:
        for pattern in patterns:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"{pattern!r} is not a valid regular expression: {exc}") from exc
        return patterns


class Policy(_Section):
    """The whole policy file. Unknown keys are refused so typos do not pass silently."""

    slack: SlackPolicy = Field(default_factory=SlackPolicy)
    alerting: AlertingPolicy = Field(default_factory=AlertingPolicy)
    services: dict[str, ServicePolicy] = Field(
        default_factory=lambda: {"default": ServicePolicy(default_severity="S3")}
    )
    severities: dict[SeverityName, SeverityPolicy] = Field(default_factory=_default_severities)
    escalation_target: list[str] = Field(default_factory=list)
    stale_after: Duration = timedelta(hours=8)
    incident_roles: list[str] = Field(default_factory=lambda: ["commander", "comms", "scribe"])
    roles: AccessRoles = Field(default_factory=AccessRoles)
    runs: RunsPolicy = Field(default_factory=RunsPolicy)
    hitl: HitlPolicy = Field(default_factory=HitlPolicy)
    workflow_objectives: dict[str, ObjectivePolicy] = Field(default_factory=dict)
    jira: JiraPolicy = Field(default_factory=JiraPolicy)
    outbox: OutboxPolicy = Field(default_factory=OutboxPolicy)
    clients: dict[str, ClientPolicy] = Field(default_factory=dict)
    redaction: RedactionPolicy = Field(default_factory=RedactionPolicy)
    _base_dir: Path = PrivateAttr(default_factory=Path.cwd)

    @property
    def base_dir(self) -> Path:
        """Where relative paths in the file (playbooks) start: the file's folder."""
        return self._base_dir

    def client_of(self, service: str, declared: str | None = None) -> str | None:
        """The client key of an incident: declared, else the service's, else by service list."""
        if declared:
            return declared
        routed = self.service(service).client
        if routed:
            return routed
        return next((key for key, c in self.clients.items() if service in c.services), None)

    @model_validator(mode="after")
    def _complete(self) -> Policy:
        defaults = _default_severities()
        if set(defaults) - set(self.severities):
            merged: dict[SeverityName, SeverityPolicy] = {**defaults, **self.severities}
            object.__setattr__(self, "severities", merged)
        if "default" not in self.services:
            services = {"default": ServicePolicy(default_severity="S3"), **self.services}
            object.__setattr__(self, "services", services)
        return self

    def playbook_ref(self, service: str) -> str | None:
        """The playbook reference of ``service``: its own, else the default route's."""
        return self.service(service).playbook or self.services["default"].playbook

    def escalation_targets(self, service: str) -> list[str]:
        """Who an escalation mentions: the service's target, else the global one."""
        return self.service(service).escalation_target or self.escalation_target

    def service(self, name: str) -> ServicePolicy:
        """The route for ``name``; unknown services take the ``default`` route."""
        return self.services.get(name) or self.services["default"]


def load_policy(path: Path | None) -> Policy:
    """Read and validate the policy file; ``None`` or a missing default file gives the defaults."""
    if path is None:
        return Policy()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError([f"OPSBOT_CONFIG: cannot read {path}: {exc.strerror}"]) from exc
    except yaml.YAMLError as exc:
        raise ConfigError([f"{path}: not valid YAML: {exc}"]) from exc
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError([f"{path}: the top level must be a mapping of sections"])
    try:
        policy = Policy.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError([f"{path}: {problem}" for problem in describe(exc)]) from exc
    policy._base_dir = path.parent
    problems = _playbook_problems(policy)
    if problems:
        raise ConfigError([f"{path}: {problem}" for problem in problems])
    return policy


def _playbook_problems(policy: Policy) -> list[str]:
    problems = []
    for name, route in policy.services.items():
        try:
            load_playbook(route.playbook, base_dir=policy.base_dir)
        except PlaybookError as exc:
            problems.append(f"services.{name}.playbook: {exc}")
    return problems


def describe(exc: ValidationError) -> list[str]:
    """Turn a pydantic error into ``key.path: what is wrong`` lines."""
    lines = []
    for error in exc.errors():
        key = ".".join(str(part) for part in error["loc"]) or "(top level)"
        message = error["msg"]
        if error["type"] == "extra_forbidden":
            message = "unknown key (check the spelling against opsbot.example.yml)"
        lines.append(f"{key}: {message}")
    return lines
