"""Slack error type and the common error codes every Web API method may return."""

from __future__ import annotations

from typing import Any

#: Errors Slack documents as possible for every method ("common errors").
COMMON_ERRORS: frozenset[str] = frozenset(
    {
        "not_authed",
        "invalid_auth",
        "account_inactive",
        "token_revoked",
        "no_permission",
        "invalid_arguments",
        "invalid_arg_name",
        "invalid_charset",
        "invalid_form_data",
        "invalid_post_type",
        "missing_post_type",
        "invalid_json",
        "json_not_object",
        "request_timeout",
        "ratelimited",
        "fatal_error",
        "internal_error",
        "service_unavailable",
        "unknown_method",
        "method_deprecated",
        "missing_scope",
        "not_allowed_token_type",
    }
)


class SlackError(Exception):
    """A Slack API error: answered as HTTP 200 ``{"ok": false, "error": ...}``."""

    def __init__(self, error: str, *messages: str, extra: dict[str, Any] | None = None) -> None:
        super().__init__(error)
        self.error = error
        self.messages = list(messages)
        self.extra = dict(extra or {})

    def body(self) -> dict[str, Any]:
        """The JSON body Slack would answer with."""
        out: dict[str, Any] = {"ok": False, "error": self.error}
        out.update(self.extra)
        if self.messages:
            out["response_metadata"] = {"messages": self.messages}
        return out


def missing(field: str) -> SlackError:
    """The error Slack returns for a missing required argument."""
    return SlackError("invalid_arguments", f"[ERROR] missing required field: {field}")
