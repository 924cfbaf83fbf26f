"""Run ASGI apps (the sandbox, or an app under test) with uvicorn in a background thread."""

from __future__ import annotations

from types import TracebackType

from starlette.applications import Starlette

from bot.server import ThreadedServer

from ._server import create_sandbox_app
from ._state import SlackState


class SandboxSlack:
    """A live sandbox Slack on ``http://127.0.0.1:<port>``; ``port=0`` picks a free port."""

    def __init__(
        self, state: SlackState | None = None, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.state = state or SlackState()
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
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return self._server.base_url

    @property
    def api_url(self) -> str:
        """What slack_sdk clients take as ``base_url`` (ends with ``/api/``)."""
        return f"{self.base_url}/api/"

    def response_url(self, rid: str) -> str:
        """The full URL of a response_url id."""
        return f"{self.base_url}/response/{rid}"

    def start(self, timeout: float = 10.0) -> SandboxSlack:
        """Start serving; returns once listening."""
        self._server.start(timeout)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop serving; the serving thread is joined."""
        self._server.stop(timeout)

    def reset(self, state: SlackState | None = None) -> SlackState:
        """Serve a fresh (or the given) workspace without restarting the server."""
        self.state = state or SlackState()
        self._app.state.api.state = self.state
        return self.state

    def __enter__(self) -> SandboxSlack:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
