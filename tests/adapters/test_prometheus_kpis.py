"""``bot.adapters.prometheus_kpis`` without a Prometheus: result parsing, error mapping,
and ``read``'s two queries against a stubbed client."""

from __future__ import annotations

import asyncio
import socket
import time
from typing import Any

import pytest
from prometheus_api_client.exceptions import PrometheusApiClientException
from requests.adapters import HTTPAdapter

from bot.adapters.prometheus_kpis import (
    PrometheusKpis,
    error_for,
    parse_series,
    parse_value,
    with_threshold,
)
from bot.domain.ports import PermanentError, TransientError
from bot.domain.runs import KpiReading

T = 1_795_869_523.022


def sample(value: str, **labels: str) -> dict[str, Any]:
    return {"metric": labels, "value": [T, value]}


# --------------------------------------------------------------------------- parsing


def test_scalar() -> None:
    assert parse_value([T, "42.5"]) == 42.5


def test_single_series_vector() -> None:
    assert parse_value([sample("7", __name__="workflow_queue_depth", job="w")]) == 7.0


def test_several_series_are_summed() -> None:
    result = [sample("0.25", pool="a"), sample("0.5", pool="b"), sample("1", pool="c")]
    assert parse_value(result) == pytest.approx(1.75)


def test_empty_vector_is_none() -> None:
    assert parse_value([]) is None


@pytest.mark.parametrize("raw", ["NaN", "+Inf", "-Inf"])
def test_non_finite_is_none(raw: str) -> None:
    assert parse_value([T, raw]) is None
    assert parse_value([sample(raw)]) is None


def test_non_finite_series_are_left_out_of_the_sum() -> None:
    assert parse_value([sample("NaN", a="1"), sample("3", a="2")]) == 3.0


def test_string_result_is_none() -> None:
    assert parse_value([T, "abc"]) is None


def test_range_vector_is_refused() -> None:
    with pytest.raises(PermanentError, match="range vector"):
        parse_value([{"metric": {}, "values": [[T, "1"], [T + 1, "2"]]}])


@pytest.mark.parametrize("result", [{"resultType": "vector"}, ["x"], [{"metric": {}}], None])
def test_other_shapes_are_refused(result: Any) -> None:
    with pytest.raises(PermanentError, match="unexpected"):
        parse_value(result)


def test_series_keep_their_labels_and_drop_nan() -> None:
    result = [
        sample("3", status="success", workflow="ops"),
        sample("NaN", status="error", workflow="idle"),
        sample("1", status="error", workflow="ops"),
    ]
    assert parse_series(result) == [
        ({"status": "success", "workflow": "ops"}, 3.0),
        ({"status": "error", "workflow": "ops"}, 1.0),
    ]


def test_scalar_is_one_series_without_labels() -> None:
    assert parse_series([T, "2"]) == [({}, 2.0)]
    assert parse_series([T, "NaN"]) == []


def test_with_threshold() -> None:
    reading = KpiReading(name="csat", value=3.9, previous=4.2)
    low = with_threshold(reading, 4.0, above_is_bad=False)
    assert (low.threshold, low.above_is_bad, low.breached) == (4.0, False, True)
    assert (low.value, low.previous) == (3.9, 4.2)
    assert not with_threshold(reading, None).breached


# --------------------------------------------------------------------------- errors


def api_error(status: int, body: bytes) -> PrometheusApiClientException:
    # The client's own wording (prometheus-api-client 0.7, custom_query).
    return PrometheusApiClientException(f"HTTP Status Code {status} ({body!r})")


def test_bad_data_is_permanent_with_prometheus_text() -> None:
    body = (
        b'{"status":"error","errorType":"bad_data","error":"invalid parameter \\"query\\": '
        b'1:17: parse error: unclosed left parenthesis"}'
    )
    error = error_for(api_error(400, body))
    assert isinstance(error, PermanentError)
    assert str(error) == (
        "prometheus refused the query (HTTP 400): bad_data: "
        'invalid parameter "query": 1:17: parse error: unclosed left parenthesis'
    )


def test_execution_error_is_permanent() -> None:
    body = b'{"status":"error","errorType":"execution","error":"many-to-many matching not allowed"}'
    error = error_for(api_error(422, body))
    assert isinstance(error, PermanentError)
    assert "many-to-many matching not allowed" in str(error)


@pytest.mark.parametrize("status", [429, 500, 503])
def test_overload_and_server_errors_are_transient(status: int) -> None:
    body = b'{"status":"error","errorType":"timeout","error":"query timed out in expression"}'
    error = error_for(api_error(status, body))
    assert isinstance(error, TransientError)
    assert f"HTTP {status}" in str(error)


def test_non_json_error_body_is_kept_as_text() -> None:
    error = error_for(api_error(404, b"404 page not found\n"))
    assert isinstance(error, PermanentError)
    assert str(error).endswith("(HTTP 404): 404 page not found")


# --------------------------------------------------------------------------- the client


def test_url_scheme_decides_certificate_checks_and_retries_are_off() -> None:
    plain, tls = PrometheusKpis("http://prom:9090/"), PrometheusKpis("https://prom.example")
    try:
        assert plain.url == "http://prom:9090"
        assert tls._client._session.verify is True
        adapter = tls._client._session.get_adapter("https://prom.example/api/v1/query")
        assert isinstance(adapter, HTTPAdapter)
        assert adapter.max_retries.total == 0
    finally:
        plain.close()
        tls.close()
    with pytest.raises(ValueError, match="http"):
        PrometheusKpis("prom:9090")


class StubClient:
    """Stands in for ``PrometheusConnect``: answers by the ``time`` parameter."""

    def __init__(self, answers: dict[str, Any]) -> None:
        self.answers = answers
        self.calls: list[tuple[str, dict[str, str]]] = []

    def custom_query(self, query: str, params: dict[str, str]) -> Any:
        self.calls.append((query, params))
        answer = self.answers[params["time"]]
        if isinstance(answer, Exception):
            raise answer
        return answer

    def close(self) -> None:
        pass


def stubbed(answers: dict[str, Any]) -> tuple[PrometheusKpis, StubClient]:
    kpis = PrometheusKpis("http://prom:9090", timeout=1.5, clock=lambda: 10_000.0)
    stub = StubClient(answers)
    kpis._client = stub  # type: ignore[assignment]
    return kpis, stub


def test_read_queries_now_and_an_hour_ago() -> None:
    kpis, stub = stubbed({"10000.000": [T, "9"], "6400.000": [sample("5")]})

    reading = asyncio.run(kpis.read("queue_depth", "workflow_queue_depth"))

    assert reading == KpiReading(name="queue_depth", value=9.0, previous=5.0)
    assert stub.calls == [
        ("workflow_queue_depth", {"timeout": "1.5s", "time": "10000.000"}),
        ("workflow_queue_depth", {"timeout": "1.5s", "time": "6400.000"}),
    ]


def test_a_failing_trend_query_leaves_previous_empty() -> None:
    down = PrometheusApiClientException("HTTP Status Code 503 (b'')")
    kpis, _ = stubbed({"10000.000": [T, "9"], "6400.000": down})

    assert asyncio.run(kpis.read("q", "x")) == KpiReading(name="q", value=9.0, previous=None)


def test_a_bad_query_raises_permanent() -> None:
    bad = api_error(400, b'{"status":"error","errorType":"bad_data","error":"parse error"}')
    kpis, _ = stubbed({"10000.000": bad, "6400.000": bad})

    with pytest.raises(PermanentError, match="parse error"):
        asyncio.run(kpis.read("q", "sum("))


def test_a_silent_server_is_transient_within_the_timeout() -> None:
    # Accepts connections (the backlog does) but never answers.
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        port = server.getsockname()[1]
        kpis = PrometheusKpis(f"http://127.0.0.1:{port}", timeout=0.5)
        started = time.monotonic()
        try:
            with pytest.raises(TransientError, match=r"timed out|no answer"):
                asyncio.run(kpis.read("q", "up"))
        finally:
            kpis.close()
        assert time.monotonic() - started < 0.5 + 0.5 + 0.3  # timeout + grace + slack


def test_a_hanging_client_call_is_abandoned_at_the_deadline() -> None:
    class Hanging(StubClient):
        def custom_query(self, query: str, params: dict[str, str]) -> Any:
            time.sleep(1.5)
            return [T, "1"]

    kpis = PrometheusKpis("http://prom:9090", timeout=0.2)
    kpis._client = Hanging({})  # type: ignore[assignment]
    started = time.monotonic()

    with pytest.raises(TransientError, match=r"no answer within 0\.2s"):
        asyncio.run(kpis.read("q", "up"))

    assert time.monotonic() - started < 1.0
