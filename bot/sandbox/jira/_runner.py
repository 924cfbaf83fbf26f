"""Run the sandbox Jira on a loopback thread (reusing :class:`bot.server.ThreadedServer`)."""

from __future__ import annotations

from types import TracebackType

from starlette.applications import Starlette

from bot.server import ThreadedServer

from ._server import create_sandbox_app
from ._state import JiraState


class SandboxJira:
    """A live sandbox Jira Cloud on ``http://127.0.0.1:<port>``; ``port=0`` picks a free port."""

    def __init__(
        self, state: JiraState | None = None, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.state = state or JiraState()
        self._app: Starlette = create_sandbox_app(self.state)
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
        """``http://127.0.0.1:PORT``: what ``JIRA_URL`` (``jira.JIRA(server=…)``) takes."""
        return self._server.base_url

    @property
    def base_url(self) -> str:
        """Alias of :attr:`url`."""
        return self._server.base_url

    def start(self, timeout: float = 10.0) -> SandboxJira:
        """Start serving; returns once listening."""
        self._server.start(timeout)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop serving; the serving thread is joined."""
        self._server.stop(timeout)

    def reset(self, state: JiraState | None = None) -> JiraState:
        """Serve a fresh (or the given) site without restarting the server."""
        self.state = state or JiraState()
        self._app.state.api.state = self.state
        return self.state

    def __enter__(self) -> SandboxJira:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
