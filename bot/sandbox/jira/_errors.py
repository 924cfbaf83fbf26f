"""Jira's error envelope: ``{"errorMessages": [...], "errors": {"field": "message"}}``."""

from __future__ import annotations

from typing import Any

ISSUE_NOT_FOUND = "Issue does not exist or you do not have permission to see it."
NOT_AUTHENTICATED = "Client must be authenticated to access this resource."


class JiraApiError(Exception):
    """An error answer: HTTP ``status`` plus Jira's error collection."""

    def __init__(
        self,
        status: int,
        messages: list[str] | str | None = None,
        errors: dict[str, str] | None = None,
    ) -> None:
        self.status = status
        self.messages = [messages] if isinstance(messages, str) else list(messages or [])
        self.errors = dict(errors or {})
        super().__init__(self.text())

    def body(self) -> dict[str, Any]:
        """The JSON body real Jira sends."""
        return {"errorMessages": self.messages, "errors": self.errors}

    def text(self) -> str:
        """A one-line summary for the journal."""
        parts = self.messages + [f"{k}: {v}" for k, v in self.errors.items()]
        return "; ".join(parts) or f"HTTP {self.status}"


def bad_request(field: str, message: str) -> JiraApiError:
    """A 400 about one field."""
    return JiraApiError(400, errors={field: message})


def not_found(message: str = ISSUE_NOT_FOUND) -> JiraApiError:
    """A 404 with one error message."""
    return JiraApiError(404, [message])
