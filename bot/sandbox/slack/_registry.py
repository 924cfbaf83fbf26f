"""Method registry: handler, HTTP verbs, and the error codes each handler may emit."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ._errors import COMMON_ERRORS, SlackError, missing

if TYPE_CHECKING:
    from ._state import SlackState

Result = dict[str, Any]


class Args:
    """Request arguments (form fields, query or JSON body) with Slack-like coercions."""

    def __init__(self, raw: dict[str, Any]) -> None:
        self.raw = raw

    def get(self, name: str) -> Any:
        """The raw value (``None`` when absent or empty)."""
        value = self.raw.get(name)
        return None if value == "" else value

    def text(self, name: str, default: str | None = None) -> str | None:
        """A string argument (numbers are stringified like in a form)."""
        value = self.get(name)
        if value is None:
            return default
        return value if isinstance(value, str) else str(value)

    def need(self, name: str, error: SlackError | None = None) -> str:
        """A required string argument, raising ``error`` (default invalid_arguments)."""
        value = self.text(name)
        if value is None:
            raise error or missing(name)
        return value

    def flag(self, name: str, default: bool = False) -> bool:
        """A boolean argument: true/1/yes are true."""
        value = self.get(name)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        return str(value).strip().lower() in ("true", "1", "yes")

    def integer(self, name: str, default: int, *, error: str = "invalid_arguments") -> int:
        """An integer argument."""
        value = self.get(name)
        if value is None:
            return default
        try:
            return int(value)
        except (TypeError, ValueError):
            raise SlackError(error, f"[ERROR] {name} must be an integer") from None

    def csv(self, name: str) -> list[str]:
        """A comma-separated (or JSON list) argument."""
        value = self.get(name)
        if value is None:
            return []
        if isinstance(value, list):
            return [str(v) for v in value]
        return [v.strip() for v in str(value).split(",") if v.strip()]


Handler = Callable[["SlackState", Args], Result]


@dataclass(frozen=True)
class MethodSpec:
    """One emulated Web API method."""

    name: str
    handler: Handler
    errors: frozenset[str]
    allow_get: bool


REGISTRY: dict[str, MethodSpec] = {}


def method(name: str, *, errors: set[str], get: bool = False) -> Callable[[Handler], Handler]:
    """Register ``handler`` for ``name``; ``errors`` lists every code it may raise."""

    def register(handler: Handler) -> Handler:
        REGISTRY[name] = MethodSpec(name, handler, frozenset(errors), get)
        return handler

    return register


class UndeclaredError(RuntimeError):
    """A handler raised an error code missing from its declared table (a sandbox bug)."""


def call(state: SlackState, name: str, raw: dict[str, Any]) -> Result:
    """Run a registered method; raises SlackError for Slack errors."""
    spec = REGISTRY.get(name)
    if spec is None:
        raise SlackError("unknown_method")
    try:
        return {"ok": True, **spec.handler(state, Args(raw))}
    except SlackError as exc:
        if exc.error not in spec.errors and exc.error not in COMMON_ERRORS:
            raise UndeclaredError(f"{name} raised undeclared error {exc.error!r}") from exc
        raise


def emitted_errors() -> dict[str, frozenset[str]]:
    """Per implemented method, the method-specific errors the sandbox can emit."""
    return {name: spec.errors for name, spec in sorted(REGISTRY.items())}
