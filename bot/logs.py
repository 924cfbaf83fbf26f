"""Logging: JSON lines on stdout (or text for humans), a request id per line, secrets scrubbed.

Configured by the CLI through ``configure_logging``; nothing is configured at import time.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, Literal

__all__ = [
    "REDACTED",
    "SecretScrubber",
    "configure_logging",
    "current_request_id",
    "request_id_var",
]

REDACTED = "[REDACTED]"
request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "opsbot_request_id", default=None
)
incident_id_var: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "opsbot_incident_id", default=None
)

# Shapes of credentials that must never be printed even when opsbot does not know the value.
_TOKEN_SHAPES = re.compile(
    r"(xox[abposr]-[A-Za-z0-9-]{6,}"  # Slack tokens
    r"|xapp-[A-Za-z0-9-]{6,}"
    r"|(?i:bearer)\s+[A-Za-z0-9._~+/=-]{8,}"
    r"|(?i:basic)\s+[A-Za-z0-9+/=]{8,}"
    r"|AKIA[0-9A-Z]{16}"  # AWS access key id
    r"|eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{4,}"  # JWT
    r"|ATATT[A-Za-z0-9_=-]{16,}"  # Atlassian API token
    r"|(?:secret|ntn)_[A-Za-z0-9]{20,})"  # Notion tokens
)
_STANDARD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "taskName",
}


def current_request_id() -> str | None:
    """The request id of the request being handled, if any."""
    return request_id_var.get()


class SecretScrubber:
    """Replaces known secret values and token-shaped strings with ``[REDACTED]``."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        values = sorted({s for s in secrets if s}, key=len, reverse=True)
        self._known = re.compile("|".join(re.escape(v) for v in values)) if values else None

    def scrub(self, text: str) -> str:
        """The text with every secret replaced."""
        if self._known is not None:
            text = self._known.sub(REDACTED, text)
        return _TOKEN_SHAPES.sub(REDACTED, text)


class _JsonFormatter(logging.Formatter):
    def __init__(self, scrubber: SecretScrubber) -> None:
        super().__init__()
        self._scrubber = scrubber

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key in ("request_id", "incident_id"):
            if getattr(record, key, None) is not None:
                data[key] = getattr(record, key)
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRS and key not in data and value is not None:
                data[key] = value
        if record.exc_info:
            data["exc"] = self.formatException(record.exc_info)
        return self._scrubber.scrub(json.dumps(data, default=str))


class _TextFormatter(logging.Formatter):
    def __init__(self, scrubber: SecretScrubber) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s [%(request_id)s] %(message)s")
        self._scrubber = scrubber

    def format(self, record: logging.LogRecord) -> str:
        return self._scrubber.scrub(super().format(record))


class _ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        record.incident_id = incident_id_var.get()
        return True


def configure_logging(
    *,
    level: str = "INFO",
    fmt: Literal["json", "text"] = "json",
    secrets: Iterable[str] = (),
    stream: Any = None,
) -> None:
    """Send every log record to ``stream`` (stdout) as JSON lines or text, secrets scrubbed."""
    scrubber = SecretScrubber(secrets)
    handler = logging.StreamHandler(stream or sys.stdout)
    handler.addFilter(_ContextFilter())
    handler.setFormatter(_JsonFormatter(scrubber) if fmt == "json" else _TextFormatter(scrubber))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers = []
        logger.propagate = True
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
