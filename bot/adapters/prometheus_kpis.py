"""Business KPIs from Prometheus (``KpiSource``) through ``prometheus-api-client``.

Each KPI is a named PromQL query. ``read`` evaluates it twice at the bot's clock: now (the
value) and ``trend`` earlier (one hour by default; the previous value for the trend). The
query should give one number: a scalar or an instant vector; a vector with several series is
**summed** (write ``sum by () (...)`` or pick one series yourself if that is not what you
mean), an empty vector is ``None`` (no data, e.g. a metric nobody exports), and NaN or
infinite samples count as no data (``histogram_quantile`` over no observations is NaN). A
range vector (``foo[5m]``) is refused as a bad query. Thresholds come from the config, not
Prometheus: ``read`` leaves ``threshold`` None; :func:`with_threshold` adds it.

The client is synchronous, so every call runs on a worker thread, with ``timeout`` applied to
the connection, the read, Prometheus's own evaluation (``timeout`` query parameter) and, as a
hard bound, the wait for the thread. The client's retries are off (callers decide). Errors:
connection failures, timeouts, 429 and 5xx raise ``TransientError``; a query Prometheus
rejects (400 ``bad_data``, 422 ``execution``) and other 4xx raise ``PermanentError`` carrying
Prometheus's error text.
"""

from __future__ import annotations

import ast
import contextlib
import dataclasses
import json
import math
import re
import time
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

import anyio
import requests
from anyio import to_thread
from prometheus_api_client.exceptions import PrometheusApiClientException
from prometheus_api_client.prometheus_connect import PrometheusConnect
from urllib3.util.retry import Retry

from bot.domain.ports import PermanentError, TransientError
from bot.domain.runs import KpiReading

__all__ = [
    "PrometheusKpis",
    "Series",
    "error_for",
    "parse_series",
    "parse_value",
    "with_threshold",
]

Series = list[tuple[dict[str, str], float]]

_GRACE = 0.5  # seconds on top of the timeout before the worker thread is abandoned
_STATUS = re.compile(r"HTTP Status Code (\d+) \((.*)\)\Z", re.DOTALL)
_BAD_URL = (
    requests.exceptions.InvalidURL,
    requests.exceptions.MissingSchema,
    requests.exceptions.InvalidSchema,
)


class PrometheusKpis:
    """One Prometheus server (``url`` like ``http://prometheus:9090``, no ``/api/v1``)."""

    def __init__(
        self,
        url: str,
        timeout: float = 2.0,
        *,
        trend: timedelta = timedelta(hours=1),
        headers: Mapping[str, str] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        scheme = url.split("://", 1)[0].lower() if "://" in url else ""
        if scheme not in ("http", "https"):
            raise ValueError(f"prometheus url must start with http:// or https://: {url!r}")
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        self.url = url.rstrip("/")
        self._timeout = timeout
        self._trend = trend.total_seconds()
        self._clock = clock
        self._client = PrometheusConnect(
            url=self.url,
            headers=dict(headers or {}),
            disable_ssl=scheme != "https",  # verify certificates whenever there are any
            retry=Retry(total=0, read=False),  # no retries: fail fast, callers decide
            timeout=timeout,  # type: ignore[arg-type]  # annotated int; requests takes float
        )

    def close(self) -> None:
        """Close the HTTP session."""
        self._client.close()

    async def read(self, name: str, query: str) -> KpiReading:
        """The query's value now and ``trend`` ago (``previous``, best effort: None when
        absent or when that second query fails). Errors of the first query propagate."""
        deadline = anyio.current_time() + self._timeout + _GRACE
        now = self._clock()
        value = parse_value(await self._query(query, at=now, deadline=deadline))
        previous = None
        with contextlib.suppress(TransientError, PermanentError):
            earlier = await self._query(query, at=now - self._trend, deadline=deadline)
            previous = parse_value(earlier)
        return KpiReading(name=name, value=value, previous=previous)

    async def query_series(self, query: str) -> Series:
        """An instant query's series with their labels (``__name__`` included when the
        result keeps it), for the workflow-health objectives. Non-finite samples are left
        out; a scalar result is one series without labels."""
        deadline = anyio.current_time() + self._timeout + _GRACE
        return parse_series(await self._query(query, at=None, deadline=deadline))

    async def _query(self, query: str, *, at: float | None, deadline: float) -> Any:
        params = {"timeout": f"{self._timeout:g}s"}
        if at is not None:
            params["time"] = f"{at:.3f}"

        def work() -> Any:
            return self._client.custom_query(query, params=params)

        with anyio.CancelScope(deadline=deadline):
            try:
                return await to_thread.run_sync(work, abandon_on_cancel=True)
            except PrometheusApiClientException as exc:
                raise error_for(exc) from exc
            except _BAD_URL as exc:
                raise PermanentError(f"prometheus at {self.url}: {exc}") from exc
            except requests.RequestException as exc:
                raise TransientError(f"prometheus at {self.url}: {_reason(exc)}") from exc
            except (ValueError, KeyError, TypeError) as exc:  # 200 but not the API's JSON
                raise PermanentError(f"prometheus at {self.url}: not an API answer") from exc
        raise TransientError(f"prometheus at {self.url}: no answer within {self._timeout:g}s")


def with_threshold(
    reading: KpiReading, threshold: float | None, above_is_bad: bool = True
) -> KpiReading:
    """The reading with the configured threshold and direction."""
    return dataclasses.replace(reading, threshold=threshold, above_is_bad=above_is_bad)


def parse_value(result: Any) -> float | None:
    """One number from ``data.result`` of an instant query: a scalar's value, or the sum of
    a vector's finite samples; None for an empty vector or when nothing is finite."""
    if _is_scalar(result):
        return _finite(result[1])
    values = [value for _, value in parse_series(result)]
    return math.fsum(values) if values else None


def parse_series(result: Any) -> Series:
    """``(labels, value)`` per series of an instant query's ``data.result``; non-finite
    samples are left out. A range vector or any other shape raises ``PermanentError``."""
    if _is_scalar(result):
        value = _finite(result[1])
        return [] if value is None else [({}, value)]
    if not isinstance(result, list):
        raise PermanentError(f"unexpected prometheus result: {str(result)[:200]}")
    series: Series = []
    for item in result:
        if not isinstance(item, dict):
            raise PermanentError(f"unexpected prometheus result: {str(item)[:200]}")
        if "values" in item:
            raise PermanentError(
                "the query returns a range vector; wrap it in a function such as rate()"
            )
        sample = item.get("value")
        if not (isinstance(sample, list) and len(sample) == 2):
            raise PermanentError(f"unexpected prometheus sample: {str(item)[:200]}")
        value = _finite(sample[1])
        if value is not None:
            labels = item.get("metric") or {}
            series.append(({str(k): str(v) for k, v in labels.items()}, value))
    return series


def error_for(exc: PrometheusApiClientException) -> TransientError | PermanentError:
    """The port error for a non-200 answer, with Prometheus's own error text.

    The client only keeps ``"HTTP Status Code <n> (<body repr>)"``; the body is Prometheus's
    ``{"status": "error", "errorType": ..., "error": ...}``."""
    match = _STATUS.match(str(exc))
    if match is None:
        return TransientError(f"prometheus: {exc}")
    status = int(match.group(1))
    kind, text = _error_body(match.group(2))
    detail = f"{kind}: {text}" if kind else text
    if status == 429 or status >= 500:
        return TransientError(f"prometheus: HTTP {status} {detail}".rstrip())
    return PermanentError(f"prometheus refused the query (HTTP {status}): {detail}".rstrip())


def _error_body(literal: str) -> tuple[str, str]:
    """(errorType, error) from the repr of the answer's bytes; ("", raw text) otherwise."""
    try:
        raw = ast.literal_eval(literal)
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    except (ValueError, SyntaxError):
        return "", literal[:300]
    try:
        body = json.loads(text)
    except ValueError:
        return "", text.strip()[:300]
    if not isinstance(body, dict):
        return "", text.strip()[:300]
    return str(body.get("errorType") or ""), str(body.get("error") or text.strip()[:300])


def _is_scalar(result: Any) -> bool:
    """A scalar (or string) result is ``[<unix time>, "<value>"]``."""
    return (
        isinstance(result, list)
        and len(result) == 2
        and isinstance(result[0], int | float)
        and isinstance(result[1], str)
    )


def _finite(raw: Any) -> float | None:
    try:
        value = float(raw)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def _reason(exc: requests.RequestException) -> str:
    if isinstance(exc, requests.Timeout):
        return "timed out"
    if isinstance(exc, requests.ConnectionError):
        return "connection failed"
    return type(exc).__name__
