"""Tracing (OpenTelemetry): spans from a webhook or command to the incident and its effects.

- ``span(name, parent=..., incident_id=..., attributes=...)``: a context manager (usable in
  threads and coroutines) that starts a span, a child of the current span or of ``parent``
  (a W3C ``traceparent`` string saved earlier), and makes it current. With ``incident_id``
  the span carries ``opsbot.incident_id`` and log lines inside it carry the incident id.
- ``traceparent()``: the W3C ``traceparent`` of the current span, or ``None``; stored with a
  queued delivery or an outbox effect so that the work done later joins the same trace.

One tracer provider per process, held here (the global OpenTelemetry provider is never
set). It is built on first use without an exporter: spans, and the trace ids in log lines,
exist either way. ``configure_tracing`` (called by the app factory) replaces it when the
configuration differs, adding an OTLP/HTTP exporter when an endpoint is given; ``flush``
sends what is buffered (the app does it when it stops); the provider shuts down at exit.
"""

from __future__ import annotations

import contextlib
import logging
import os
import random
import threading
import traceback
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Literal

from opentelemetry import trace
from opentelemetry.context import get_current
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.id_generator import IdGenerator
from opentelemetry.trace import SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from bot import __version__
from bot.logs import incident_id_var, scrub
from storage.trace_context import current_traceparent

__all__ = [
    "INCIDENT_ATTRIBUTE",
    "TracingConfig",
    "annotate",
    "configure_tracing",
    "flush",
    "record_error",
    "set_incident",
    "span",
    "traceparent",
]

AttributeValue = str | int | float | bool
Kind = Literal["internal", "server", "client", "producer", "consumer"]
INCIDENT_ATTRIBUTE = "opsbot.incident_id"

log = logging.getLogger("opsbot.telemetry")
_KINDS: dict[str, SpanKind] = {
    "internal": SpanKind.INTERNAL,
    "server": SpanKind.SERVER,
    "client": SpanKind.CLIENT,
    "producer": SpanKind.PRODUCER,
    "consumer": SpanKind.CONSUMER,
}
_PROPAGATOR = TraceContextTextMapPropagator()


@dataclass(frozen=True)
class TracingConfig:
    """Where spans go: ``endpoint`` is the full OTLP/HTTP traces URL (None: not exported)."""

    endpoint: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)  # secret values
    service_name: str = "opsbot"


@dataclass
class _Tracing:
    config: TracingConfig
    provider: TracerProvider
    tracer: trace.Tracer


_lock = threading.Lock()
_current: _Tracing | None = None


def configure_tracing(config: TracingConfig | None = None) -> None:
    """Use ``config`` from now on (nothing happens when it is the one in force). The provider
    it replaces is shut down: its buffered spans are sent first."""
    global _current
    config = config or TracingConfig()
    with _lock:
        old = _current
        if old is not None and old.config == config:
            return
        _current = _build(config)
    if old is not None:
        old.provider.shutdown()


def flush(timeout_s: float = 5.0) -> bool:
    """Send the spans buffered so far; False when the exporter did not finish in time."""
    tracing = _current
    return True if tracing is None else tracing.provider.force_flush(int(timeout_s * 1000))


class _Ids(IdGenerator):
    """Trace and span ids from a generator of tracing's own: the SDK's default draws from
    the ``random`` module's shared state, which other code (and tests that replay it)
    seed and read."""

    def __init__(self) -> None:
        self._random = random.Random(os.urandom(16))

    def generate_span_id(self) -> int:
        return self._random.getrandbits(64) or 1

    def generate_trace_id(self) -> int:
        return self._random.getrandbits(128) or 1


def _build(config: TracingConfig) -> _Tracing:
    resource = Resource.create(
        {"service.name": config.service_name, "service.version": __version__}
    )
    provider = TracerProvider(resource=resource, id_generator=_Ids())
    if config.endpoint:
        # Imported only when used: the exporter brings an HTTP client with it.
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        exporter = OTLPSpanExporter(endpoint=config.endpoint, headers=dict(config.headers))
        provider.add_span_processor(BatchSpanProcessor(exporter))
        log.info("traces exported over OTLP/HTTP", extra={"endpoint": config.endpoint})
    return _Tracing(config, provider, provider.get_tracer("opsbot", __version__))


def _tracer() -> trace.Tracer:
    global _current
    tracing = _current
    if tracing is None:
        with _lock:
            if _current is None:
                _current = _build(TracingConfig())
            tracing = _current
    return tracing.tracer


@contextlib.contextmanager
def span(
    name: str,
    *,
    parent: str | None = None,
    incident_id: int | None = None,
    attributes: Mapping[str, AttributeValue] | None = None,
    kind: Kind = "internal",
) -> Iterator[None]:
    """Run the block inside a new span, a child of ``parent`` (a ``traceparent``) when given
    and valid, else of the current span. An exception leaving the block is recorded on the
    span (scrubbed of secrets, like log lines) and marks it failed. The incident id (and one
    set by ``set_incident`` in the block) holds for log lines until the block ends."""
    attrs = dict(attributes or {})
    if incident_id is not None:
        attrs[INCIDENT_ATTRIBUTE] = incident_id
    context = _PROPAGATOR.extract({"traceparent": parent}, get_current()) if parent else None
    token = incident_id_var.set(incident_id if incident_id is not None else incident_id_var.get())
    try:
        with _tracer().start_as_current_span(
            name,
            context=context,
            kind=_KINDS[kind],
            attributes=attrs,
            record_exception=False,  # unscrubbed otherwise: ``record_error`` does it
            set_status_on_exception=False,
        ):
            try:
                yield
            except Exception as exc:
                record_error(exc)
                raise
    finally:
        incident_id_var.reset(token)


def traceparent() -> str | None:
    """The current span's W3C ``traceparent``, or ``None`` outside any span."""
    return current_traceparent()


def set_incident(incident_id: int) -> None:
    """The work of the current span turned out to concern ``incident_id`` (a declared
    incident gets its id mid-span): the span says so, and so do log lines until the
    enclosing ``span`` block ends. Call it inside a ``span`` block."""
    trace.get_current_span().set_attribute(INCIDENT_ATTRIBUTE, incident_id)
    incident_id_var.set(incident_id)


def annotate(attributes: Mapping[str, AttributeValue], *, name: str | None = None) -> None:
    """Add ``attributes`` to the current span, and rename it (once the name is known)."""
    current = trace.get_current_span()
    current.set_attributes(attributes)
    if name is not None:
        current.update_name(name)


def record_error(error: BaseException | str) -> None:
    """Mark the current span failed: an exception (recorded as the span's ``exception``
    event) or a description; secrets are scrubbed from both, as from log lines."""
    current = trace.get_current_span()
    if not current.is_recording():
        return
    if isinstance(error, str):
        current.set_status(Status(StatusCode.ERROR, scrub(error)))
        return
    message = scrub(str(error))
    kind = type(error)
    qualified = (
        kind.__qualname__
        if kind.__module__ == "builtins"
        else f"{kind.__module__}.{kind.__qualname__}"
    )
    current.add_event(
        "exception",
        {
            "exception.type": qualified,
            "exception.message": message,
            "exception.stacktrace": scrub("".join(traceback.format_exception(error))),
        },
    )
    current.set_status(Status(StatusCode.ERROR, f"{kind.__name__}: {message}"))
