"""The shared runner of every sandbox (Slack, Jira, Notion): an ASGI app whose
``app.state.api.state`` holds the emulated system's state, served on a loopback thread."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Any, Generic, Self, TypeVar

from bot.server import ThreadedServer

__all__ = ["SandboxServer"]

StateT = TypeVar("StateT")


class SandboxServer(Generic[StateT]):
    """Serve ``make_app(state)`` on ``http://127.0.0.1:<port>`` (``port=0``: a free one)."""

    def __init__(
        self,
        state: StateT,
        make_app: Callable[[StateT], Any],
        new_state: Callable[[], StateT],
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.state = state
        self._new_state = new_state
        self._app = make_app(state)
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
    def url(self) -> str:
        """Alias of :attr:`base_url`."""
        return self._server.base_url

    def start(self, timeout: float = 10.0) -> Self:
        """Start serving; returns once listening."""
        self._server.start(timeout)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop serving; the serving thread is joined."""
        self._server.stop(timeout)

    def reset(self, state: StateT | None = None) -> StateT:
        """Serve a fresh (or the given) state without restarting the server."""
        self.state = state if state is not None else self._new_state()
        self._app.state.api.state = self.state
        return self.state

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
