"""Value types of the sandbox Notion: faults, journal entries, errors, ids and clocks."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any, Literal

from .._faults import FaultRule

Json = dict[str, Any]
"""A JSON object as the API sends and receives it."""

API_VERSION = "2025-09-03"
"""The only ``Notion-Version`` the sandbox speaks (data sources, no ``databases.query``)."""

DEFAULT_TOKEN = "secret_sandbox"  # noqa: S105 - sandbox token, not a secret
DEFAULT_DATABASE_ID = "1f2e3d4c-5b6a-4798-8a1b-2c3d4e5f6071"
DEFAULT_DATA_SOURCE_ID = "2a3b4c5d-6e7f-4081-9213-a4b5c6d7e8f9"
BOT_USER_ID = "3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f"
PARENT_PAGE_ID = "4d5e6f70-8192-4a3b-9c4d-5e6f708192a3"

FaultKind = Literal["rate_limited", "error", "delay", "timeout_after_commit"]

_CODE_BY_STATUS = {
    400: "validation_error",
    401: "unauthorized",
    403: "restricted_resource",
    404: "object_not_found",
    409: "conflict_error",
    429: "rate_limited",
    500: "internal_server_error",
    502: "bad_gateway",
    503: "service_unavailable",
    504: "gateway_timeout",
}


def code_for_status(status: int) -> str:
    """The error code Notion documents for an HTTP status (``internal_server_error`` if none)."""
    return _CODE_BY_STATUS.get(status, "internal_server_error")


@dataclass
class NotionFault(FaultRule):
    """An injected failure for requests whose path starts with ``path_prefix``.

    ``method=None`` matches every HTTP method. ``kind``:

    - ``rate_limited``: 429 ``rate_limited`` with ``Retry-After: retry_after``, nothing applied;
    - ``error``: ``status`` (code from the status unless ``code`` is set), nothing applied;
    - ``delay``: wait ``delay`` s, then apply and answer; if the client hung up meanwhile the
      request is dropped (journal status 499), as a request lost in transit;
    - ``timeout_after_commit``: apply the request, then hold the answer ``delay`` s, so a client
      with a shorter timeout gives up although the write happened.

    ``every=N`` fires on the N-th, 2N-th, … matching call; ``times=N`` fires at most N times.
    """

    path_prefix: str = "/v1/"
    method: str | None = None
    kind: FaultKind = "error"
    status: int = 502
    code: str | None = None
    retry_after: int = 1
    delay: float = 2.0
    times: int | None = None
    every: int | None = None
    seen: int = 0
    fired: int = 0

    @property
    def error_code(self) -> str:
        """The ``code`` an ``error`` fault answers with."""
        return self.code or code_for_status(self.status)


@dataclass(frozen=True)
class NotionCall:
    """One recorded request: what was asked, how it was answered, which version was sent."""

    seq: int
    t: float
    method: str
    path: str
    status: int
    notion_version: str | None
    code: str | None = None
    fault: str | None = None


class NotionError(Exception):
    """An API error; rendered as ``{"object": "error", "status", "code", "message"}``."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message

    def body(self) -> Json:
        """The error object Notion answers with."""
        return {
            "object": "error",
            "status": self.status,
            "code": self.code,
            "message": self.message,
            "request_id": new_id(),
        }


def validation(message: str) -> NotionError:
    """A 400 ``validation_error``."""
    return NotionError(400, "validation_error", message)


def body_invalid(path: str, problem: str) -> NotionError:
    """A 400 ``validation_error`` worded like Notion's ``body failed validation`` messages."""
    return validation(f"body failed validation: {path} {problem}.")


def not_found(kind: str, object_id: str) -> NotionError:
    """A 404 ``object_not_found`` worded like Notion's."""
    return NotionError(
        404,
        "object_not_found",
        f"Could not find {kind} with ID: {object_id}. "
        "Make sure the relevant pages and databases are shared with your integration.",
    )


def new_id() -> str:
    """A fresh dashed lowercase UUID."""
    return str(uuid.uuid4())


def normalize_id(raw: str, name: str = "id") -> str:
    """Notion accepts ids with or without dashes, any case; answer the dashed lowercase form."""
    try:
        return str(uuid.UUID(hex=raw.replace("-", "")))
    except ValueError:
        raise validation(
            f"path failed validation: path.{name} should be a valid uuid, instead was `{raw!r}`."
        ) from None


def iso_minute(ts: float) -> str:
    """Notion's timestamp format, rounded down to the minute as Notion does."""
    return time.strftime("%Y-%m-%dT%H:%M:00.000Z", time.gmtime(ts))


def user_ref() -> Json:
    """The partial user object in ``created_by``/``last_edited_by``."""
    return {"object": "user", "id": BOT_USER_ID}
