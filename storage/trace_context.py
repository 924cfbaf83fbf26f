"""The current span's W3C ``traceparent``, stored with queued work (outbox effects, webhook
deliveries) so that the work done later joins the trace; ``bot.telemetry`` answers with it too.

The OpenTelemetry API only (no opsbot module): storage stays below the services."""

from __future__ import annotations

from opentelemetry import trace

__all__ = ["current_traceparent"]


def current_traceparent() -> str | None:
    """``00-<trace id>-<span id>-<flags>`` of the current span, or None outside any span."""
    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return None
    return f"00-{context.trace_id:032x}-{context.span_id:016x}-{int(context.trace_flags):02x}"
