"""Logging: JSON lines on stdout (or text for humans), a request id per line, secrets scrubbed.

Configured by the CLI through ``configure_logging``; nothing is configured at import time.
Every record is scrubbed (message, arguments, extras, exception text and traceback): known
secret values, also URL- and JSON-escaped, and anything shaped like a credential. In a plain
interpreter (not under a test runner) uncaught exceptions and warnings go through the same
path instead of straight to stderr. ``scrub`` serves text that leaves by other ways (Slack).
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
import threading
from collections.abc import Iterable
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Literal
from urllib.parse import quote, quote_plus

from opentelemetry import trace

__all__ = [
    "REDACTED",
    "SecretScrubber",
    "configure_logging",
    "current_request_id",
    "incident_id_var",
    "logging_setup",
    "request_id_var",
    "scrub",
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
    r"(xox[a-z]-[A-Za-z0-9-]{6,}"  # Slack tokens (bot, user, app-level, refresh ...)
    r"|xapp-[A-Za-z0-9-]{6,}"
    r"|(?i:bearer)\s+[A-Za-z0-9._~+/=-]{8,}"
    r"|(?i:basic)\s+[A-Za-z0-9+/=]{8,}"
    r"|AKIA[0-9A-Z]{16}"  # AWS access key id
    r"|eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{4,}"  # JWT
    r"|ATATT[A-Za-z0-9_=-]{16,}"  # Atlassian API token
    r"|(?:secret|ntn)_[A-Za-z0-9]{20,})"  # Notion tokens
)
# The password of ``scheme://user:password@host``; the rest of the URL stays readable.
_URL_PASSWORD = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^\s:/?#@\[\]]*:)[^\s/?#@]+@")
_STANDARD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "taskName",
    "opsbot_ids",  # the text formatter's
}


def current_request_id() -> str | None:
    """The request id of the request being handled, if any."""
    return request_id_var.get()


class SecretScrubber:
    """Replaces known secret values and token-shaped strings with ``[REDACTED]``."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        variants = {
            form
            for s in secrets
            if s
            for form in (s, quote(s, safe=""), quote_plus(s), json.dumps(s)[1:-1])
        }
        values = sorted(variants, key=len, reverse=True)
        self._known = re.compile("|".join(re.escape(v) for v in values)) if values else None

    def scrub(self, text: str) -> str:
        """The text with every secret replaced."""
        if self._known is not None:
            text = self._known.sub(REDACTED, text)
        text = _URL_PASSWORD.sub(rf"\1{REDACTED}@", text)
        return _TOKEN_SHAPES.sub(REDACTED, text)

    def scrub_value(self, value: Any) -> Any:
        """``value`` with every string in it scrubbed (containers copied, others as text)."""
        if isinstance(value, str):
            return self.scrub(value)
        if value is None or isinstance(value, bool | int | float):
            return value
        if isinstance(value, dict):
            return {self.scrub(str(k)): self.scrub_value(v) for k, v in value.items()}
        if isinstance(value, list | tuple | set | frozenset):
            return [self.scrub_value(v) for v in value]
        return self.scrub(str(value))


_active = SecretScrubber()
_setup: dict[str, Any] | None = None


def logging_setup() -> dict[str, Any] | None:
    """The arguments ``configure_logging`` was last called with (for a child process that
    logs the same way), or ``None``."""
    return None if _setup is None else dict(_setup)


def scrub(text: str) -> str:
    """``text`` scrubbed with the secrets given to ``configure_logging`` (and token shapes)."""
    return _active.scrub(text)


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
        for key in _CONTEXT_KEYS:
            if getattr(record, key, None) is not None:
                data[key] = getattr(record, key)
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRS and key not in data and value is not None:
                data[key] = value
        if record.exc_info:
            data["exc"] = self.formatException(record.exc_info)
        if record.stack_info:
            data["stack"] = self.formatStack(record.stack_info)
        # Scrub before encoding (JSON escapes would hide a secret), then the line itself.
        return self._scrubber.scrub(json.dumps(self._scrubber.scrub_value(data)))


class _TextFormatter(logging.Formatter):
    def __init__(self, scrubber: SecretScrubber) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s [%(opsbot_ids)s] %(message)s")
        self._scrubber = scrubber

    def format(self, record: logging.LogRecord) -> str:
        record.opsbot_ids = _text_ids(record)
        return self._scrubber.scrub(super().format(record))


def _text_ids(record: logging.LogRecord) -> str:
    """``request_id``, then ``#incident`` and ``trace/span`` when there are some."""
    ids = [str(getattr(record, "request_id", None))]
    incident = getattr(record, "incident_id", None)
    if incident is not None:
        ids.append(f"#{incident}")
    trace_id = getattr(record, "trace_id", None)
    if trace_id is not None:
        ids.append(f"{trace_id}/{getattr(record, 'span_id', None)}")
    return " ".join(ids)


_CONTEXT_KEYS = ("request_id", "incident_id", "trace_id", "span_id")


class _ContextFilter(logging.Filter):
    """Request, incident, trace and span ids of the work that logs (an ``incident_id``
    given in ``extra`` is kept)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        if getattr(record, "incident_id", None) is None:
            record.incident_id = incident_id_var.get()
        context = trace.get_current_span().get_span_context()
        if context.is_valid:
            record.trace_id = format(context.trace_id, "032x")
            record.span_id = format(context.span_id, "016x")
        else:
            record.trace_id = record.span_id = None
        return True


def _log_uncaught(
    exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None
) -> None:
    if issubclass(exc_type, KeyboardInterrupt):
        sys.__excepthook__(exc_type, exc, tb)
        return
    logging.getLogger("opsbot").critical("uncaught exception", exc_info=(exc_type, exc, tb))


def _log_thread_uncaught(args: threading.ExceptHookArgs) -> None:
    if args.exc_type is SystemExit or args.exc_value is None:
        return
    name = args.thread.name if args.thread else "?"
    logging.getLogger("opsbot").critical(
        "uncaught exception in thread %s",
        name,
        exc_info=(args.exc_type, args.exc_value, args.exc_traceback),
    )


def _log_unraisable(args: Any) -> None:
    exc = args.exc_value
    logging.getLogger("opsbot").error(
        "unraisable exception in %r",
        args.object,
        exc_info=(type(exc), exc, args.exc_traceback) if exc is not None else None,
    )


def _route_interpreter_output() -> None:
    """Uncaught exceptions and warnings through logging, where they are scrubbed.

    Only over the interpreter's own defaults: a test runner's hooks are left alone.
    """
    if sys.excepthook is sys.__excepthook__ and threading.excepthook is threading.__excepthook__:
        sys.excepthook = _log_uncaught
        threading.excepthook = _log_thread_uncaught
        if sys.unraisablehook is sys.__unraisablehook__:
            sys.unraisablehook = _log_unraisable
        logging.captureWarnings(True)


def configure_logging(
    *,
    level: str = "INFO",
    fmt: Literal["json", "text"] = "json",
    secrets: Iterable[str] = (),
    stream: Any = None,
) -> None:
    """Send every log record to ``stream`` (stdout) as JSON lines or text, secrets scrubbed."""
    global _active, _setup
    secrets = list(secrets)
    _setup = {"level": level, "fmt": fmt, "secrets": secrets}
    scrubber = _active = SecretScrubber(secrets)
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
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # two lines a second otherwise
    _route_interpreter_output()
