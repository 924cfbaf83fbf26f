"""opsbot's error tree: one module, one hierarchy, each error saying what the user can do.

OpsbotError                      base of everything opsbot raises on purpose
├── ConfigError                  bad settings or policy file; start-up stops (fix the named key)
├── StorageError                 the database cannot be used
│   └── MigrationsPendingError   schema behind the code (run `opsbot db upgrade`)
├── IntegrationError             an outside system refused or failed (retry, or check settings)
│   └── IntegrationNotConfigured the integration is off (set its environment variables)
└── DomainError                  a request the rules refuse; shown to the user as is
    └── UsageError               a command was typed wrong; carries the usage text
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "DomainError",
    "IntegrationError",
    "IntegrationNotConfigured",
    "MigrationsPendingError",
    "OpsbotError",
    "StorageError",
    "UsageError",
]


class OpsbotError(Exception):
    """Base class of every error opsbot raises on purpose."""


class ConfigError(OpsbotError):
    """The settings or the policy file are wrong; the message names the key and the problem."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("invalid configuration:\n" + "\n".join(f"  - {p}" for p in problems))


class StorageError(OpsbotError):
    """The database cannot be reached or used."""


class MigrationsPendingError(StorageError):
    """The database schema is older than the code; run `opsbot db upgrade`."""


class IntegrationError(OpsbotError):
    """An outside system (Slack, Jira, Notion, ...) refused or failed."""


class IntegrationNotConfigured(IntegrationError):
    """The integration has no settings, so it is off."""


class DomainError(OpsbotError):
    """A request the rules refuse. The message is safe to show the user."""


class UsageError(DomainError):
    """A command was typed wrong. ``usage`` holds the help to show, ``suggestion`` the nearest."""

    def __init__(self, message: str, *, usage: str, suggestion: str | None = None) -> None:
        self.usage = usage
        self.suggestion = suggestion
        super().__init__(message)
