"""Run the real LangGraph dev server (``langgraph-cli[inmem]``, a dev dependency) on loopback
for the e2e tests and ``opsbot demo``, serving the tiny ``ops`` graph in ``app/``.

Typical use (see the ``langgraph_server`` fixture in ``tests/e2e/conftest.py``)::

    with LangGraphServer(tmp_dir) as server:   # LangGraphError when it cannot start
        client = get_client(url=server.url, api_key=None)

The app folder is copied into ``tmp_dir`` first, so the server's state folder
(``.langgraph_api/``) starts empty. The server runs in its own process group with
analytics and the version check off; stopping it terminates the whole group. It starts
in about 1-2 s (``startup_seconds``); runs are picked up by a worker within about 1 s.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType
from typing import IO, Self

import httpx

__all__ = ["APP_DIR", "LangGraphError", "LangGraphServer", "find_langgraph"]

APP_DIR = Path(__file__).resolve().parent / "app"
ENV = {"LANGGRAPH_CLI_NO_ANALYTICS": "1", "LANGGRAPH_NO_VERSION_CHECK": "true"}


def free_port() -> int:
    """A currently free TCP port on 127.0.0.1 (racy: ``start`` retries once on a clash)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class LangGraphError(RuntimeError):
    """The LangGraph dev server could not be found or failed to start."""


def find_langgraph() -> Path | None:
    """The ``langgraph`` executable next to this Python (the venv's), else on ``$PATH``."""
    beside = Path(sys.executable).parent / "langgraph"
    if beside.is_file() and os.access(beside, os.X_OK):
        return beside
    found = shutil.which("langgraph")
    return Path(found) if found else None


class LangGraphServer:
    """``langgraph dev --no-browser`` on a free loopback port, in a temp copy of the app."""

    def __init__(self, workdir: Path, *, start_timeout: float = 60.0) -> None:
        self.workdir = workdir
        self.start_timeout = start_timeout
        self.port = 0
        self.startup_seconds = 0.0
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.workdir / "langgraph.log"

    def log_tail(self, lines: int = 15) -> str:
        """The last lines of the server's output, for error messages."""
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def start(self) -> None:
        """Start the server and wait for ``GET /ok``; ``LangGraphError`` if it does not come up
        (one more try on another port, in case the free port was taken meanwhile)."""
        exe = find_langgraph()
        if exe is None:
            raise LangGraphError("the `langgraph` CLI is not installed (pip install -e '.[dev]')")
        app = self.workdir / "app"
        shutil.rmtree(app, ignore_errors=True)
        shutil.copytree(
            APP_DIR, app, ignore=shutil.ignore_patterns(".langgraph_api", "__pycache__")
        )
        for attempt in (1, 2):
            try:
                self._start_once(exe, app)
                return
            except LangGraphError:
                self.stop()
                if attempt == 2:
                    raise

    def _start_once(self, exe: Path, app: Path) -> None:
        self.port = free_port()
        cmd = [str(exe), "dev", "--no-browser", "--no-reload", "--host", "127.0.0.1"]
        cmd += ["--port", str(self.port), "--config", str(app / "langgraph.json")]
        cmd += ["--n-jobs-per-worker", "10"]
        env = {**os.environ, **ENV, "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1"}
        for key in ("LANGGRAPH_API_KEY", "LANGSMITH_API_KEY", "LANGCHAIN_API_KEY"):
            env.pop(key, None)
        self._log = self.log_path.open("ab")
        started = time.monotonic()
        self._proc = subprocess.Popen(  # noqa: S603 (our own CLI, fixed arguments)
            cmd,
            cwd=app,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = started + self.start_timeout
        with httpx.Client(trust_env=False, timeout=1.0) as client:
            while time.monotonic() < deadline:
                if self._proc.poll() is not None:
                    raise LangGraphError(
                        f"langgraph dev exited with {self._proc.returncode}:\n{self.log_tail()}"
                    )
                try:
                    if client.get(f"{self.url}/ok").status_code == 200:
                        self.startup_seconds = time.monotonic() - started
                        return
                except httpx.HTTPError:
                    pass
                time.sleep(0.1)
        raise LangGraphError(
            f"langgraph dev not ready after {self.start_timeout:.0f}s:\n{self.log_tail()}"
        )

    def stop(self) -> None:
        """Terminate the server's process group (SIGTERM, then SIGKILL after 10 s)."""
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            for sig, wait in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
                try:
                    os.killpg(proc.pid, sig)
                    proc.wait(timeout=wait)
                    break
                except ProcessLookupError:
                    break
                except subprocess.TimeoutExpired:
                    continue
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
