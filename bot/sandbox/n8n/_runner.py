"""Run the sandbox n8n on a loopback thread."""

from __future__ import annotations

from bot.sandbox._runner import SandboxServer

from ._server import create_n8n_app
from ._state import N8nState


class SandboxN8n(SandboxServer[N8nState]):
    """A live sandbox n8n; ``url`` is the instance's base URL (the API is under ``/api/v1``)."""

    def __init__(
        self, state: N8nState | None = None, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        super().__init__(state or N8nState(), create_n8n_app, N8nState, host, port)
