"""Run the sandbox Slack on a loopback thread."""

from __future__ import annotations

from bot.sandbox._runner import SandboxServer

from ._server import create_sandbox_app
from ._state import SlackState


class SandboxSlack(SandboxServer[SlackState]):
    """A live sandbox Slack; ``api_url`` is what ``SLACK_API_URL`` takes."""

    def __init__(
        self, state: SlackState | None = None, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        super().__init__(state or SlackState(), create_sandbox_app, SlackState, host, port)

    @property
    def api_url(self) -> str:
        """What slack_sdk clients take as ``base_url`` (ends with ``/api/``)."""
        return f"{self.base_url}/api/"

    def response_url(self, rid: str) -> str:
        """The full URL of a response_url id."""
        return f"{self.base_url}/response/{rid}"
