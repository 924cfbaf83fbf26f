"""Value types of the sandbox n8n: workflows, executions, faults, journal entries, errors."""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from .._faults import FaultRule

Json = dict[str, Any]
"""A JSON object as the API sends it."""

DEFAULT_API_KEY = "n8n_api_sandbox_key"  # a sandbox key, not a secret
API_PREFIX = "/api/v1"

STATUSES = ("canceled", "crashed", "error", "new", "running", "success", "unknown", "waiting")
"""Every ``status`` an execution may have (the spec's ``execution.status`` enum)."""
FILTER_STATUSES = ("canceled", "error", "running", "success", "waiting")
"""What ``GET /executions?status=`` accepts (``error`` also matches ``crashed``)."""
ACTIVE_STATUSES = frozenset({"new", "running"})
"""Executions n8n holds in memory: left out of lists unless ``status=running`` is asked."""
MODES = ("cli", "error", "integrated", "internal", "manual", "retry", "trigger", "webhook")

WAIT_INDEFINITELY = datetime(3000, 1, 1, tzinfo=UTC)
"""n8n's ``waitTill`` for a Wait node resumed by a webhook or a form, not by time."""

# Upstream messages, verbatim (express-openapi-validator and the v1 handlers).
KEY_REQUIRED = "'X-N8N-API-KEY' header required"
UNAUTHORIZED = "unauthorized"
NOT_FOUND = "Not Found"
ROUTE_NOT_FOUND = "not found"
INVALID_CURSOR = "An invalid cursor was provided"
CRASHED_MESSAGE = "Workflow did not finish, possible out-of-memory issue"
CANCELED_MESSAGE = "The execution was cancelled"

FaultKind = Literal["rate_limited", "error", "delay"]


class N8nError(Exception):
    """An API error; n8n renders every one as ``{"message": ...}``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message

    def body(self) -> Json:
        """The error body n8n answers with."""
        return {"message": self.message}


def invalid(message: str) -> N8nError:
    """A 400 from request validation (``request/query/...`` wording)."""
    return N8nError(400, message)


@dataclass
class Workflow:
    """A workflow: its nodes run in the order listed (a straight chain)."""

    id: str
    name: str
    nodes: list[str]
    active: bool = True
    archived: bool = False
    tags: list[str] = field(default_factory=list)
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    version_id: str = ""


@dataclass
class Execution:
    """One execution. ``node`` is where it stopped: the failing node (error, crashed,
    canceled), the Wait node (waiting), or the node running now (running)."""

    id: str
    workflow_id: str
    status: str
    mode: str
    started_at: datetime | None
    stopped_at: datetime | None
    node: str | None = None
    message: str | None = None
    wait_till: datetime | None = None
    retry_of: str | None = None
    retry_success_id: str | None = None
    custom_data: dict[str, str] = field(default_factory=dict)


@dataclass
class N8nFault(FaultRule):
    """An injected failure for ``/api/v1`` requests whose path starts with ``path_prefix``.

    ``method=None`` matches every HTTP method. ``kind``:

    - ``rate_limited``: 429 with ``Retry-After: retry_after`` (seconds, or an HTTP date given
      as a string), as a proxy in front of n8n sends it;
    - ``error``: ``status``; 500 is n8n's own ``{"message": ...}``, 502/503/504 a proxy's
      HTML page;
    - ``delay``: wait ``delay`` s, then answer; if the client hung up meanwhile the request
      is dropped (journal status 499).

    ``every=N`` fires on the N-th, 2N-th, … matching call; ``times=N`` fires at most N times.
    """

    path_prefix: str = API_PREFIX
    method: str | None = None
    kind: FaultKind = "error"
    status: int = 503
    retry_after: int | str = 1
    delay: float = 2.0
    times: int | None = None
    every: int | None = None
    seen: int = 0
    fired: int = 0


@dataclass(frozen=True)
class N8nCall:
    """One recorded request: what was asked (query included), how it was answered."""

    seq: int
    t: float
    method: str
    path: str
    query: dict[str, str]
    status: int
    message: str | None = None
    fault: str | None = None


_ALPHABET = string.ascii_letters + string.digits


def new_workflow_id() -> str:
    """A 16-character nanoid, as n8n gives workflows."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(16))


def iso(moment: datetime | None) -> str | None:
    """n8n's timestamp format: UTC, milliseconds, ``Z`` (``2026-11-28T08:58:00.306Z``)."""
    if moment is None:
        return None
    utc = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def epoch_ms(moment: datetime) -> int:
    """Milliseconds since the epoch (``runData`` ``startTime``)."""
    return int(moment.timestamp() * 1000)
