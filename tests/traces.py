"""Helpers for trace tests: the spans the sandbox OTLP receiver got, and opsbot's log lines.

Use with the ``otlp`` fixture (``tests/conftest.py``) and an opsbot started with
``otel_exporter_otlp_endpoint=otlp.url``:

    reply = opsbot.driver.command("resolve 1 done")
    trace_id, server_span = ids_of(header(reply.headers, "traceparent"))
    spans = wait_for_spans(otlp, trace_id, {"incident.resolve", "jira.comment"})
    assert names_to_root(spans, spans_named(spans, "jira.comment")[0]) == [...]
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Collection, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from bot import telemetry
from bot.logs import configure_logging
from bot.sandbox.otlp import ReceivedSpan, SandboxOtlp
from tests.waiting import wait_until

__all__ = [
    "LogLines",
    "capture_logs",
    "header",
    "ids_of",
    "names_to_root",
    "spans_named",
    "wait_for_spans",
]


def header(headers: Mapping[str, str], name: str) -> str:
    """A response header, whatever the case of its name (fails when absent)."""
    found = {key.lower(): value for key, value in headers.items()}
    assert name.lower() in found, f"no {name} header in {sorted(found)}"
    return found[name.lower()]


def ids_of(traceparent: str) -> tuple[str, str]:
    """``(trace id, span id)`` of a W3C ``traceparent``."""
    version, trace_id, span_id, _flags = traceparent.split("-")
    assert version == "00" and len(trace_id) == 32 and len(span_id) == 16, traceparent
    return trace_id, span_id


def wait_for_spans(
    otlp: SandboxOtlp, trace_id: str, names: Collection[str], *, timeout: float = 30.0
) -> dict[str, ReceivedSpan]:
    """The trace's spans by span id, once a span of each name in ``names`` has arrived (the
    process's buffered spans are flushed while waiting)."""

    def arrived() -> dict[str, ReceivedSpan] | None:
        telemetry.flush()
        spans = otlp.state.trace(trace_id)
        have = {span.name for span in spans.values()}
        return spans if set(names) <= have else None

    found: dict[str, ReceivedSpan] = wait_until(
        arrived, timeout=timeout, what=f"spans {sorted(names)} of trace {trace_id}"
    )
    return found


def spans_named(spans: Mapping[str, ReceivedSpan], name: str) -> list[ReceivedSpan]:
    """The spans called ``name``, oldest first."""
    return sorted((s for s in spans.values() if s.name == name), key=lambda s: s.start_ns)


def names_to_root(spans: Mapping[str, ReceivedSpan], span: ReceivedSpan) -> list[str]:
    """``span``'s name and its ancestors' up to the trace's root (fails on a missing link)."""
    names = [span.name]
    while span.parent_span_id is not None:
        assert span.parent_span_id in spans, f"{span.name}: parent {span.parent_span_id} missing"
        span = spans[span.parent_span_id]
        names.append(span.name)
    return names


class LogLines:
    """What opsbot logged as JSON lines while captured."""

    def __init__(self, stream: io.StringIO) -> None:
        self._stream = stream

    def text(self) -> str:
        """Everything printed."""
        return self._stream.getvalue()

    def lines(self) -> list[dict[str, Any]]:
        """Every line, decoded."""
        return [json.loads(line) for line in self.text().splitlines() if line.strip()]

    def where(self, **fields: Any) -> list[dict[str, Any]]:
        """The lines with these field values."""
        return [line for line in self.lines() if _has(line, fields.items())]


def _has(line: Mapping[str, Any], fields: Iterable[tuple[str, Any]]) -> bool:
    return all(line.get(key) == value for key, value in fields)


@contextmanager
def capture_logs(secrets: Iterable[str] = (), level: str = "INFO") -> Iterator[LogLines]:
    """Log as ``opsbot serve`` does (JSON lines, ``secrets`` scrubbed), into memory."""
    root = logging.getLogger()
    handlers, old_level = list(root.handlers), root.level
    stream = io.StringIO()
    configure_logging(level=level, fmt="json", secrets=secrets, stream=stream)
    try:
        yield LogLines(stream)
    finally:
        root.handlers[:] = handlers
        root.setLevel(old_level)
