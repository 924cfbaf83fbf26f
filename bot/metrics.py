"""Prometheus metrics, one registry per app instance (no process-global state)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from bot import __version__

__all__ = ["Metrics"]

#: MTTA/MTTR buckets: 30 s to a week.
_RESPONSE_BUCKETS = (30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 28800, 86400, 604800)


class Metrics:
    """The metrics opsbot exports on ``/metrics``."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.info = Gauge(
            "opsbot_info", "opsbot build information", ["version"], registry=self.registry
        )
        self.info.labels(version=__version__).set(1)
        self.integration_enabled = Gauge(
            "opsbot_integration_enabled",
            "1 when the integration is configured, else 0",
            ["integration"],
            registry=self.registry,
        )
        self.http_requests = Counter(
            "opsbot_http_requests",
            "HTTP requests answered",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.http_latency = Histogram(
            "opsbot_http_request_duration_seconds",
            "Time to answer an HTTP request",
            ["route"],
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
        )
        self.slack_events_duplicate = Counter(
            "opsbot_slack_event_retries_ignored",
            "Slack Events API deliveries dropped as retries of an event already handled",
            registry=self.registry,
        )

        self.webhook_latency = Histogram(
            "opsbot_webhook_duration_seconds",
            "Time to authenticate, parse and store a webhook delivery",
            ["source"],
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )
        self.alerts_received = Counter(
            "opsbot_alerts_received", "Alerts received from Alertmanager", registry=self.registry
        )
        self.intake_applied = Counter(
            "opsbot_intake_applied",
            "Alertmanager deliveries applied by the intake queue",
            registry=self.registry,
        )
        self.intake_failed = Counter(
            "opsbot_intake_failed",
            "Alertmanager deliveries that could not be applied (kept, error id logged)",
            registry=self.registry,
        )
        self.incidents_opened = Counter(
            "opsbot_incidents_opened", "Incidents opened from alerts", registry=self.registry
        )
        self.storm_held = Counter(
            "opsbot_storm_held_groups",
            "Alert groups held back by the storm guard",
            registry=self.registry,
        )
        self.outbox_delivered = Counter(
            "opsbot_outbox_delivered", "Outbox effects delivered", ["kind"], registry=self.registry
        )
        self.outbox_failures = Counter(
            "opsbot_outbox_failures",
            "Outbox delivery attempts that failed",
            ["kind", "final"],
            registry=self.registry,
        )

        self.timer_lag = Histogram(
            "opsbot_timer_lag_seconds",
            "How late a timer fired after its due time",
            ["kind"],
            registry=self.registry,
            buckets=(0.1, 0.25, 0.5, 1, 1.5, 2, 5, 10, 30, 60, 300),
        )
        self.mtta = Histogram(
            "opsbot_mtta_seconds",
            "Time from opening an incident to its acknowledgement",
            ["severity"],
            registry=self.registry,
            buckets=_RESPONSE_BUCKETS,
        )
        self.mttr = Histogram(
            "opsbot_mttr_seconds",
            "Time from opening an incident to its resolution",
            ["severity"],
            registry=self.registry,
            buckets=_RESPONSE_BUCKETS,
        )
        self.slack_api_errors = Counter(
            "opsbot_slack_api_errors",
            "Slack Web API calls that failed after the client's retries",
            ["method", "error"],
            registry=self.registry,
        )
        self.runs_latency = Histogram(
            "opsbot_runs_seconds",
            "Time to answer /runs (asking the run sources included)",
            ["kind"],
            registry=self.registry,
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 30),
        )

    def slack_api_error(self, method: str, error: str) -> None:
        """Count one failed Slack Web API call (``error``: Slack's code, or the failure)."""
        self.slack_api_errors.labels(method, error[:64]).inc()

    def watch(self, name: str, read: Callable[[], dict[str, float]], help_text: str) -> None:
        """Export gauges ``opsbot_<name>_<key>`` read at scrape time (a failed read is skipped)."""
        self.registry.register(_ReadAtScrape(name, read, help_text))

    def watch_labelled(
        self, name: str, label: str, read: Callable[[], dict[str, float]], help_text: str
    ) -> None:
        """Export the gauge ``opsbot_<name>{<label>=key}`` read at scrape time."""
        self.registry.register(_ReadAtScrape(name, read, help_text, label=label))

    def render(self) -> bytes:
        """The registry in the Prometheus text exposition format."""
        return generate_latest(self.registry)


class _ReadAtScrape(Collector):
    def __init__(
        self,
        name: str,
        read: Callable[[], dict[str, float]],
        help_text: str,
        *,
        label: str | None = None,
    ) -> None:
        self._name = name
        self._read = read
        self._help = help_text
        self._label = label

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            values = self._read()
        except Exception:  # a scrape must not fail because one source did
            logging.getLogger("opsbot.metrics").warning("metrics source %s failed", self._name)
            return
        if self._label is not None:
            family = GaugeMetricFamily(f"opsbot_{self._name}", self._help, labels=[self._label])
            for key, value in values.items():
                family.add_metric([key], value)
            yield family
            return
        for key, value in values.items():
            yield GaugeMetricFamily(f"opsbot_{self._name}_{key}", f"{self._help}: {key}", value)

    def describe(self) -> list[GaugeMetricFamily]:
        return []
