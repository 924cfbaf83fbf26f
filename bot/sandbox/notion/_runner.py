"""Run the sandbox Notion with uvicorn on a loopback thread (through ``bot.server``)."""

from __future__ import annotations

from types import TracebackType

from starlette.applications import Starlette

from bot.server import ThreadedServer

from ._server import create_notion_app
from ._state import NotionState


class SandboxNotion:
    """A live sandbox Notion on ``http://127.0.0.1:<port>``; ``port=0`` picks a free port.

    Point ``notion_client.Client(auth=state.token, base_url=sandbox.url)`` at it.
    """

    def __init__(
        self, state: NotionState | None = None, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.state = state or NotionState()
        self._app: Starlette = create_notion_app(self.state)
        self._server = ThreadedServer(self._app, host, port, lifespan="off")

    @property
    def host(self) -> str:
        """The loopback address served."""
        return self._server.host

    @property
    def port(self) -> int:
        """The TCP port (the real one once started)."""
        return self._server.port

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``, without ``/v1``: what notion-client takes as ``base_url``."""
        return self._server.base_url

    def start(self, timeout: float = 10.0) -> SandboxNotion:
        """Start serving; returns once listening."""
        self._server.start(timeout)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop serving; the serving thread is joined."""
        self._server.stop(timeout)

    def reset(self, state: NotionState | None = None) -> NotionState:
        """Serve a fresh (or the given) workspace without restarting the server."""
        self.state = state or NotionState()
        self._app.state.api.state = self.state
        return self.state

    def __enter__(self) -> SandboxNotion:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
