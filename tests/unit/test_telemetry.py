"""``bot.telemetry``: spans, their parents, incident ids, errors, context across threads and
tasks; spans exported to the sandbox OTLP receiver; ids in log lines (JSON and text)."""

from __future__ import annotations

import asyncio
import io
import logging
import re
import secrets
from collections.abc import Iterator

import anyio
import pytest
from anyio import to_thread

from bot import telemetry
from bot.logs import REDACTED, configure_logging, request_id_var
from bot.sandbox.otlp import SandboxOtlp
from tests.traces import LogLines, capture_logs, ids_of, wait_for_spans

TRACEPARENT = re.compile(r"^00-[0-9a-f]{32}-[0-9a-f]{16}-0[13]$")  # sampled (and random)
log = logging.getLogger("opsbot.test")


@pytest.fixture
def logs() -> Iterator[LogLines]:
    with capture_logs() as lines:
        yield lines


@pytest.fixture
def exported(otlp: SandboxOtlp) -> SandboxOtlp:
    """Spans of this process go to the receiver (the ``otlp`` fixture undoes it)."""
    telemetry.configure_tracing(telemetry.TracingConfig(otlp.traces_url))
    return otlp


def test_spans_and_log_ids_exist_without_an_exporter(logs: LogLines) -> None:
    telemetry.configure_tracing()
    assert telemetry.traceparent() is None
    log.info("outside")
    with telemetry.span("work"):
        current = telemetry.traceparent()
        log.info("inside")
    assert current is not None and TRACEPARENT.match(current)
    outside, inside = logs.lines()
    assert "trace_id" not in outside and "span_id" not in outside
    assert (inside["trace_id"], inside["span_id"]) == ids_of(current)


def test_span_works_before_any_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(telemetry, "_current", None)  # as in a fresh process
    with telemetry.span("first"):
        assert TRACEPARENT.match(telemetry.traceparent() or "")


def test_a_span_continues_a_saved_traceparent(exported: SandboxOtlp) -> None:
    with telemetry.span("request"):
        saved = telemetry.traceparent()
    assert saved is not None
    with telemetry.span("unrelated"), telemetry.span("later", parent=saved):
        later = telemetry.traceparent()
    with telemetry.span("outer"):
        outer = telemetry.traceparent()
        with telemetry.span("bad parent", parent="00-not-a-traceparent"):
            orphan = telemetry.traceparent()
    trace_id, request_id = ids_of(saved)
    spans = wait_for_spans(exported, trace_id, {"request", "later"})
    assert spans[ids_of(str(later))[1]].parent_span_id == request_id
    assert ids_of(str(orphan))[0] == ids_of(str(outer))[0]  # the current span's child instead
    bad = wait_for_spans(exported, ids_of(str(outer))[0], {"bad parent"})
    assert bad[ids_of(str(orphan))[1]].parent_span_id == ids_of(str(outer))[1]


def test_the_incident_id_holds_for_the_block(exported: SandboxOtlp, logs: LogLines) -> None:
    with telemetry.span("incident.ack", incident_id=7):
        log.info("acking")
        with telemetry.span("inner"):
            log.info("nested")
        trace_id = ids_of(telemetry.traceparent() or "")[0]
    log.info("after")
    with telemetry.span("incident.declare"):
        log.info("before the id")
        telemetry.set_incident(8)
        log.info("declared")
    log.info("after the declaration")
    assert [line.get("incident_id") for line in logs.lines()] == [7, 7, None, None, 8, None]
    spans = wait_for_spans(exported, trace_id, {"incident.ack", "inner"})
    by_name = {span.name: span for span in spans.values()}
    assert by_name["incident.ack"].attributes["opsbot.incident_id"] == 7
    assert "opsbot.incident_id" not in by_name["inner"].attributes
    declared = exported.state.spans(name="incident.declare")
    assert [span.attributes["opsbot.incident_id"] for span in declared] == [8]


def test_an_exception_marks_the_span_failed_scrubbed(exported: SandboxOtlp) -> None:
    secret = secrets.token_hex(12)
    configure_logging(level="INFO", fmt="json", secrets=[secret], stream=io.StringIO())
    try:
        with pytest.raises(ValueError), telemetry.span("failing"):
            failing = telemetry.traceparent() or ""
            raise ValueError(f"Jira said no to token {secret}")
        with telemetry.span("handled"):
            handled = telemetry.traceparent() or ""
            telemetry.record_error(f"gave up with {secret}")
        with pytest.raises(asyncio.CancelledError), telemetry.span("cancelled"):
            cancelled = telemetry.traceparent() or ""
            raise asyncio.CancelledError
    finally:
        logging.getLogger().handlers.clear()
    failed = wait_for_spans(exported, ids_of(failing)[0], {"failing"})[ids_of(failing)[1]]
    assert failed.status == "error"
    assert failed.status_message == f"ValueError: Jira said no to token {REDACTED}"
    [event] = failed.events
    assert event.name == "exception" and event.attributes["exception.type"] == "ValueError"
    assert secret not in str(event.attributes) and REDACTED in event.attributes["exception.message"]
    assert "Traceback" in event.attributes["exception.stacktrace"]
    told = wait_for_spans(exported, ids_of(handled)[0], {"handled"})[ids_of(handled)[1]]
    assert (told.status, told.status_message) == ("error", f"gave up with {REDACTED}")
    stopped = wait_for_spans(exported, ids_of(cancelled)[0], {"cancelled"})
    assert stopped[ids_of(cancelled)[1]].status == "unset"  # stopping is not failing


def test_the_span_crosses_threads_and_tasks(logs: LogLines) -> None:
    def in_thread() -> str | None:
        log.info("thread")
        return telemetry.traceparent()

    async def in_task() -> str | None:
        await asyncio.sleep(0)
        return telemetry.traceparent()

    async def main() -> list[str | None]:
        with telemetry.span("request", incident_id=3):
            here = telemetry.traceparent()
            task = asyncio.create_task(in_task())  # like Bolt's listener after the ack
            seen = [
                await to_thread.run_sync(in_thread),
                await asyncio.to_thread(in_thread),
            ]
        return [here, *seen, await task]

    here, *elsewhere = anyio.run(main)
    assert here is not None and elsewhere == [here] * 3
    assert [(line["trace_id"], line["incident_id"]) for line in logs.lines()] == [
        (ids_of(here)[0], 3)
    ] * 2


def test_configuring_again_keeps_or_replaces_the_provider(
    otlp: SandboxOtlp, logs: LogLines
) -> None:
    config = telemetry.TracingConfig(otlp.traces_url, {"x-tenant": "t1"}, "svc")
    telemetry.configure_tracing(config)
    telemetry.configure_tracing(telemetry.TracingConfig(otlp.traces_url, {"x-tenant": "t1"}, "svc"))
    assert len(logs.where(msg="traces exported over OTLP/HTTP")) == 1  # the same: kept
    with telemetry.span("buffered"):
        trace_id = ids_of(telemetry.traceparent() or "")[0]
    telemetry.configure_tracing()  # replaced: the old provider sends what it buffered
    [span] = otlp.state.spans(trace_id=trace_id)
    assert (span.name, span.service_name) == ("buffered", "svc")
    assert otlp.state.exports()[0].headers["x-tenant"] == "t1"


def test_json_lines_carry_trace_span_and_incident_ids(logs: LogLines) -> None:
    token = request_id_var.set("req-9")
    try:
        with telemetry.span("work", incident_id=5):
            trace_id, span_id = ids_of(telemetry.traceparent() or "")
            log.info("inside")
        log.info("given", extra={"incident_id": 6})  # an explicit incident id is kept
    finally:
        request_id_var.reset(token)
    inside, given = logs.lines()
    assert (inside["request_id"], inside["incident_id"]) == ("req-9", 5)
    assert (inside["trace_id"], inside["span_id"]) == (trace_id, span_id)
    assert given["incident_id"] == 6 and "trace_id" not in given


def test_text_lines_show_the_ids_that_are_there() -> None:
    stream = io.StringIO()
    configure_logging(level="INFO", fmt="text", stream=stream)
    token = request_id_var.set("req-1")
    try:
        log.info("plain")
        with telemetry.span("work", incident_id=42):
            trace_id, span_id = ids_of(telemetry.traceparent() or "")
            log.info("traced")
    finally:
        request_id_var.reset(token)
        logging.getLogger().handlers.clear()
    plain, traced = stream.getvalue().splitlines()
    assert plain.endswith("opsbot.test [req-1] plain")
    assert traced.endswith(f"opsbot.test [req-1 #42 {trace_id}/{span_id}] traced")
