"""The sandbox OTLP receiver's state: spans received, exports seen, faults to answer with."""

from __future__ import annotations

import threading
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

from ._models import OtlpExport, OtlpFault, ReceivedEvent, ReceivedSpan

__all__ = ["OtlpState", "decode_spans"]


class OtlpState:
    """Thread-safe: the receiver's request threads write, tests read."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._spans: list[ReceivedSpan] = []
        self._exports: list[OtlpExport] = []
        self._faults: list[OtlpFault] = []

    def spans(self, *, trace_id: str | None = None, name: str | None = None) -> list[ReceivedSpan]:
        """Spans received so far (of one trace, with one name), in arrival order."""
        with self._lock:
            found = list(self._spans)
        return [
            s
            for s in found
            if (trace_id is None or s.trace_id == trace_id) and (name is None or s.name == name)
        ]

    def trace(self, trace_id: str) -> dict[str, ReceivedSpan]:
        """The spans of one trace by span id."""
        return {s.span_id: s for s in self.spans(trace_id=trace_id)}

    def exports(self) -> list[OtlpExport]:
        """Every export request received, accepted or not."""
        with self._lock:
            return list(self._exports)

    def add_fault(self, fault: OtlpFault) -> None:
        """Refuse upcoming exports as ``fault`` says."""
        with self._lock:
            self._faults.append(fault)

    def take_fault(self) -> OtlpFault | None:
        """The fault that answers the export being received now, if any (used up by one)."""
        with self._lock:
            while self._faults and self._faults[0].times <= 0:
                self._faults.pop(0)
            if not self._faults:
                return None
            self._faults[0].times -= 1
            return self._faults[0]

    def record(self, export: OtlpExport, spans: list[ReceivedSpan]) -> None:
        """Keep an export and the spans it brought."""
        with self._lock:
            self._exports.append(export)
            self._spans.extend(spans)


def decode_spans(request: ExportTraceServiceRequest) -> list[ReceivedSpan]:
    """Every span of an export request, with its resource's ``service.name``."""
    found = []
    for resource_spans in request.resource_spans:
        service = _attributes(resource_spans.resource.attributes).get("service.name")
        for scope_spans in resource_spans.scope_spans:
            found += [_span(s, service) for s in scope_spans.spans]
    return found


def _span(span: Span, service: Any) -> ReceivedSpan:
    kind = Span.SpanKind.Name(span.kind).removeprefix("SPAN_KIND_").lower()
    status = Status.StatusCode.Name(span.status.code).removeprefix("STATUS_CODE_").lower()
    return ReceivedSpan(
        trace_id=span.trace_id.hex(),
        span_id=span.span_id.hex(),
        parent_span_id=span.parent_span_id.hex() or None,
        name=span.name,
        kind=kind,
        attributes=_attributes(span.attributes),
        status=status,
        status_message=span.status.message,
        events=tuple(ReceivedEvent(e.name, _attributes(e.attributes)) for e in span.events),
        service_name=str(service) if service is not None else None,
        start_ns=span.start_time_unix_nano,
        end_ns=span.end_time_unix_nano,
    )


def _attributes(pairs: Any) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for pair in pairs:
        assert isinstance(pair, KeyValue)
        found[pair.key] = _value(pair.value)
    return found


def _value(value: AnyValue) -> Any:
    which = value.WhichOneof("value")
    if which is None:
        return None
    if which == "array_value":
        return [_value(v) for v in value.array_value.values]
    if which == "kvlist_value":
        return _attributes(value.kvlist_value.values)
    return getattr(value, which)
