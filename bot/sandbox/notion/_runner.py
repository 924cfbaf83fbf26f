"""Run the sandbox Notion on a loopback thread."""

from __future__ import annotations

from bot.sandbox._runner import SandboxServer

from ._server import create_notion_app
from ._state import NotionState


class SandboxNotion(SandboxServer[NotionState]):
    """A live sandbox Notion; point ``notion_client.Client(base_url=sandbox.url)`` at it."""

    def __init__(
        self, state: NotionState | None = None, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        super().__init__(state or NotionState(), create_notion_app, NotionState, host, port)
