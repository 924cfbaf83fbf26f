"""What an endpoint handler receives (``Ctx``) and returns (``Reply``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ._errors import JiraApiError
from ._render import Renderer
from ._state import JiraState


@dataclass
class Reply:
    """An answer: HTTP status, JSON body (None for an empty body) and extra headers."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Ctx:
    """One request: the state, a renderer, path parameters, query (multi-valued) and JSON body."""

    state: JiraState
    render: Renderer
    params: dict[str, str]
    query: dict[str, list[str]]
    body: Any

    def arg(self, name: str, default: str | None = None) -> str | None:
        """The first value of a query parameter."""
        values = self.query.get(name)
        return values[0] if values else default

    def args(self, name: str) -> list[str]:
        """Every value of a (repeated or comma-separated) query parameter."""
        return [v for raw in self.query.get(name, []) for v in raw.split(",") if v]

    def int_arg(self, name: str, default: int, source: Any = None) -> int:
        """An integer parameter from ``source`` (a body) or the query; 400 when malformed."""
        raw = source.get(name) if isinstance(source, dict) else self.arg(name)
        if raw is None or raw == "":
            return default
        try:
            return int(raw)
        except (TypeError, ValueError):
            raise JiraApiError(400, [f"The '{name}' parameter must be an integer."]) from None

    def json_object(self) -> dict[str, Any]:
        """The body, which must be a JSON object."""
        if not isinstance(self.body, dict):
            raise JiraApiError(400, ["The request body must be a JSON object."])
        return self.body


Handler = Callable[[Ctx], Reply]
