"""What the sandbox OTLP receiver keeps: spans as plain values, exports, faults."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["OtlpExport", "OtlpFault", "ReceivedEvent", "ReceivedSpan"]


@dataclass(frozen=True)
class ReceivedEvent:
    """A span event (``exception`` for a recorded exception)."""

    name: str
    attributes: dict[str, Any]


@dataclass(frozen=True)
class ReceivedSpan:
    """One span as exported: ids in lower-case hex, kind and status as short words."""

    trace_id: str
    span_id: str
    parent_span_id: str | None
    name: str
    kind: str  # internal | server | client | producer | consumer | unspecified
    attributes: dict[str, Any]
    status: str  # unset | ok | error
    status_message: str
    events: tuple[ReceivedEvent, ...]
    service_name: str | None
    start_ns: int
    end_ns: int

    @property
    def traceparent(self) -> str:
        """This span as a W3C ``traceparent`` (sampled)."""
        return f"00-{self.trace_id}-{self.span_id}-01"


@dataclass(frozen=True)
class OtlpExport:
    """One ``POST`` received: its path, headers (names lower case) and the answer given."""

    path: str
    headers: dict[str, str]
    span_count: int
    status: int


@dataclass
class OtlpFault:
    """Answer the next ``times`` exports with ``status`` (and ``reason`` as the HTTP reason
    phrase, ``retry_after`` seconds as ``Retry-After``) instead of accepting them."""

    status: int = 503
    reason: str | None = None
    times: int = 1
    retry_after: float | None = None
    extra: dict[str, str] = field(default_factory=dict)  # more response headers
