"""Prometheus metrics, one registry per app instance (no process-global state)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from bot import __version__

__all__ = ["Metrics"]


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
            "Time to store and apply a webhook delivery",
            ["source"],
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )
        self.alerts_received = Counter(
            "opsbot_alerts_received", "Alerts received from Alertmanager", registry=self.registry
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

    def watch(self, name: str, read: Callable[[], dict[str, float]], help_text: str) -> None:
        """Export gauges ``opsbot_<name>_<key>`` read at scrape time (a failed read is skipped)."""
        self.registry.register(_ReadAtScrape(name, read, help_text))

    def render(self) -> bytes:
        """The registry in the Prometheus text exposition format."""
        return generate_latest(self.registry)


class _ReadAtScrape(Collector):
    def __init__(self, name: str, read: Callable[[], dict[str, float]], help_text: str) -> None:
        self._name = name
        self._read = read
        self._help = help_text

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            values = self._read()
        except Exception:  # a scrape must not fail because one source did
            logging.getLogger("opsbot.metrics").warning("metrics source %s failed", self._name)
            return
        for key, value in values.items():
            yield GaugeMetricFamily(f"opsbot_{self._name}_{key}", f"{self._help}: {key}", value)

    def describe(self) -> list[GaugeMetricFamily]:
        return []
