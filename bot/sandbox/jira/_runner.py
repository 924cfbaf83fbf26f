"""Run the sandbox Jira on a loopback thread."""

from __future__ import annotations

from bot.sandbox._runner import SandboxServer

from ._server import create_sandbox_app
from ._state import JiraState


class SandboxJira(SandboxServer[JiraState]):
    """A live sandbox Jira Cloud; ``url`` is what ``JIRA_URL`` (``jira.JIRA(server=…)``) takes."""

    def __init__(
        self, state: JiraState | None = None, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        super().__init__(state or JiraState(), create_sandbox_app, JiraState, host, port)
