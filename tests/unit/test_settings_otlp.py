"""The OpenTelemetry settings: where spans go, the exporter's headers, and their secrecy."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.logs import SecretScrubber
from bot.settings import Settings, get_settings


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no stray .env
    for name in [*os.environ]:
        if name.removesuffix("_FILE").lower() in Settings.model_fields:
            monkeypatch.delenv(name)


def test_spans_go_nowhere_by_default() -> None:
    settings = get_settings()
    assert settings.otlp_traces_endpoint() is None
    assert settings.otlp_headers() == {}
    assert settings.otel_service_name == "opsbot"


def test_the_endpoint_from_the_standard_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318/")
    monkeypatch.setenv("OTEL_SERVICE_NAME", "opsbot-eu")
    settings = get_settings()
    assert settings.otlp_traces_endpoint() == "http://collector:4318/v1/traces"
    assert settings.otel_service_name == "opsbot-eu"
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "https://traces.example/otlp")
    assert get_settings().otlp_traces_endpoint() == "https://traces.example/otlp"


def test_an_endpoint_must_be_http() -> None:
    with pytest.raises(ConfigError, match="OTEL_EXPORTER_OTLP_ENDPOINT: must be an http"):
        get_settings(otel_exporter_otlp_endpoint="grpc://collector:4317")


def test_headers_are_decoded_and_the_traces_ones_win(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_HEADERS", "Authorization=Bearer%20abc123 , x-tenant=a")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_HEADERS", "x-tenant=b")
    assert get_settings().otlp_headers() == {"authorization": "Bearer abc123", "x-tenant": "b"}


def test_malformed_headers_stop_start_up_without_showing_them() -> None:
    value = "x-key=s3cret-value,oops-no-equals-sign"
    with pytest.raises(ConfigError) as caught:
        get_settings(otel_exporter_otlp_endpoint="http://c:4318", otel_exporter_otlp_headers=value)
    message = str(caught.value)
    assert "OTEL_EXPORTER_OTLP_HEADERS: entry 2 is not name=value" in message
    assert "s3cret" not in message and "oops" not in message
    assert get_settings(otel_exporter_otlp_headers=value).otlp_traces_endpoint() is None


def test_every_header_value_is_a_secret_for_the_scrubber() -> None:
    settings = get_settings(
        otel_exporter_otlp_headers="x-api-key=k3y%2Fvalue,authorization=Bearer%20t0ken-xyz",
        otel_exporter_otlp_traces_headers="x-other=plain-value",
    )
    scrubber = SecretScrubber(settings.secret_values())
    said = "k3y/value k3y%2Fvalue t0ken-xyz plain-value"
    assert scrubber.scrub(said) == " ".join(["[REDACTED]"] * 4)
