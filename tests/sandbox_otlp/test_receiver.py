"""The sandbox OTLP receiver answers as the OTLP/HTTP spec says, and keeps what it got."""

from __future__ import annotations

import gzip

import httpx
from google.rpc.status_pb2 import Status as RpcStatus
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span, Status

from bot.sandbox.otlp import OtlpFault, SandboxOtlp

PROTOBUF = {"Content-Type": "application/x-protobuf"}
TRACE, SPAN, PARENT = bytes(range(16)), bytes(range(8)), bytes(range(8, 16))


def _request() -> ExportTraceServiceRequest:
    span = Span(
        trace_id=TRACE,
        span_id=SPAN,
        parent_span_id=PARENT,
        name="jira.comment",
        kind=Span.SPAN_KIND_CLIENT,
        attributes=[
            KeyValue(key="opsbot.incident_id", value=AnyValue(int_value=7)),
            KeyValue(key="opsbot.outbox.lane", value=AnyValue(string_value="jira")),
        ],
        status=Status(code=Status.STATUS_CODE_ERROR, message="HTTP 503"),
    )
    service = KeyValue(key="service.name", value=AnyValue(string_value="opsbot"))
    resource_spans = ResourceSpans(scope_spans=[ScopeSpans(spans=[span])])
    resource_spans.resource.attributes.append(service)
    return ExportTraceServiceRequest(resource_spans=[resource_spans])


def test_an_export_is_accepted_and_its_spans_kept(otlp: SandboxOtlp) -> None:
    body = _request().SerializeToString()
    reply = httpx.post(otlp.traces_url, content=body, headers=PROTOBUF | {"X-Key": "k"})
    assert reply.status_code == 200
    assert reply.headers["content-type"] == "application/x-protobuf"
    ExportTraceServiceResponse.FromString(reply.content)  # a well-formed (empty) answer
    [span] = otlp.state.spans(trace_id=TRACE.hex())
    assert (span.span_id, span.parent_span_id, span.name) == (
        SPAN.hex(),
        PARENT.hex(),
        "jira.comment",
    )
    assert (span.kind, span.status, span.status_message) == ("client", "error", "HTTP 503")
    assert span.attributes == {"opsbot.incident_id": 7, "opsbot.outbox.lane": "jira"}
    assert span.service_name == "opsbot"
    [export] = otlp.state.exports()
    assert (export.span_count, export.status, export.headers["x-key"]) == (1, 200, "k")


def test_gzip_bodies_are_read(otlp: SandboxOtlp) -> None:
    body = gzip.compress(_request().SerializeToString())
    headers = PROTOBUF | {"Content-Encoding": "gzip"}
    assert httpx.post(otlp.traces_url, content=body, headers=headers).status_code == 200
    assert len(otlp.state.spans()) == 1


def test_wrong_requests_get_the_spec_answers(otlp: SandboxOtlp) -> None:
    body = _request().SerializeToString()
    assert httpx.post(otlp.url + "/v1/metrics", content=body, headers=PROTOBUF).status_code == 404
    json_body = httpx.post(otlp.traces_url, json={}, timeout=5)
    assert json_body.status_code == 415
    assert httpx.get(otlp.traces_url).status_code == 405
    garbage = httpx.post(otlp.traces_url, content=b"\xff\xff\xff", headers=PROTOBUF)
    assert garbage.status_code == 400
    assert "ExportTraceServiceRequest" in RpcStatus.FromString(garbage.content).message
    assert otlp.state.spans() == []


def test_faults_refuse_exports_with_retry_after(otlp: SandboxOtlp) -> None:
    otlp.state.add_fault(OtlpFault(status=503, retry_after=2, times=1, reason="busy"))
    body = _request().SerializeToString()
    refused = httpx.post(otlp.traces_url, content=body, headers=PROTOBUF)
    assert (refused.status_code, refused.reason_phrase) == (503, "busy")
    assert refused.headers["retry-after"] == "2"
    assert httpx.post(otlp.traces_url, content=body, headers=PROTOBUF).status_code == 200
    assert [e.status for e in otlp.state.exports()] == [503, 200]
    assert len(otlp.state.spans()) == 1
