"""Shared benchmark helpers: a real ``opsbot serve`` process, a throw-away PostgreSQL database,
percentiles and output. Everything started here is stopped in ``finally`` blocks."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import importlib.util
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Coroutine, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx
import psycopg
from psycopg import sql

from bot.settings import Settings

T = TypeVar("T")
LOOPBACK = "127.0.0.1"
REPO = Path(__file__).resolve().parent.parent
DEFAULT_PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
_LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1", ""}


class PostgresUnavailable(Exception):
    """The PostgreSQL server did not answer; the message says why."""


@dataclass(frozen=True)
class Server:
    """A running ``opsbot serve`` process on loopback."""

    url: str
    alertmanager_token: str
    api_token: str
    process: subprocess.Popen[bytes]
    log_path: Path


def free_port() -> int:
    """A TCP port that was free on loopback a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
        return port


_stopping = threading.Event()  # set by Ctrl-C / SIGTERM while a load runs: every worker stops


def interrupt_on_signals() -> None:
    """Ctrl-C raises ``KeyboardInterrupt``, SIGTERM ``SystemExit``: ``finally`` blocks clean up."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda _sig, _frame: sys.exit(143))


def guarded(run: Callable[[], int]) -> int:
    """Run a benchmark's ``run``: Ctrl-C exits 130, a failure (``RuntimeError``) exits 2 with
    its message; whatever was started has been stopped by then."""
    try:
        return run()
    except KeyboardInterrupt:
        print("interrupted; everything started was stopped", file=sys.stderr)
        return 130
    except RuntimeError as exc:
        print(f"benchmark failed: {exc}", file=sys.stderr)
        return 2


def run_async(main: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run`` where Ctrl-C or SIGTERM stops the load loops (a cancellation alone can be
    swallowed inside a library) and then raises ``KeyboardInterrupt``."""

    async def guarded() -> T:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, _stopping.set)
        try:
            return await main
        finally:
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(sig)

    try:
        return asyncio.run(guarded())
    except _Stopped:
        raise KeyboardInterrupt from None
    finally:
        interrupt_on_signals()


class _Stopped(Exception):
    """A load loop saw Ctrl-C or SIGTERM."""


def _die_with_parent() -> None:  # runs in the child between fork and exec (Linux only)
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


# uvicorn uses uvloop and httptools when they are importable ("uvicorn[standard]"); opsbot does
# not depend on them (its image has neither), but a development venv may hold them for other
# tools. The servers the benchmarks start run as deployed: these modules hidden, unless
# OPSBOT_BENCH_UVICORN_EXTRAS=1.
AS_DEPLOYED = Path(__file__).resolve().parent / "_as_deployed"


def _clean_env(extra: dict[str, str]) -> dict[str, str]:
    """The caller's environment minus every opsbot setting (no Slack, Jira ...), plus ``extra``;
    on ``PYTHONPATH`` the repository, and the directory that hides uvicorn's optional extras."""
    ours = {name.upper() for name in Settings.model_fields}
    env = {key: value for key, value in os.environ.items() if key.upper() not in ours}
    hide = None if os.environ.get("OPSBOT_BENCH_UVICORN_EXTRAS") == "1" else str(AS_DEPLOYED)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [hide, str(REPO), env.get("PYTHONPATH")]))
    env.update(extra)
    return env


def uvicorn_flavour() -> str:
    """How the servers' uvicorn runs: its event loop and HTTP parser."""
    if os.environ.get("OPSBOT_BENCH_UVICORN_EXTRAS") == "1":
        have = [m for m in ("uvloop", "httptools") if importlib.util.find_spec(m) is not None]
        loop = "uvloop" if "uvloop" in have else "asyncio"
        return f"loop {loop}, http {'httptools' if 'httptools' in have else 'h11'}"
    return "loop asyncio, http h11 (uvloop and httptools hidden: not opsbot dependencies)"


@contextlib.contextmanager
def opsbot_server(
    database_url: str, *, workdir: Path, policy_yaml: str, ready_timeout: float = 90.0
) -> Iterator[Server]:
    """Run ``python -m bot.cli serve`` on a free loopback port until the block ends.

    The process runs in ``workdir`` (so no stray ``.env`` or ``opsbot.yml`` is picked up), logs at
    WARNING into ``workdir/opsbot.log``, and is ready once ``/readyz`` answers 200."""
    policy_path = workdir / "opsbot-bench.yml"
    policy_path.write_text(policy_yaml)
    log_path = workdir / "opsbot.log"
    port = free_port()
    am_token, api_token = secrets.token_hex(16), secrets.token_hex(16)
    env = _clean_env(
        {
            "DATABASE_URL": database_url,
            "ALERTMANAGER_TOKEN": am_token,
            "OPSBOT_API_TOKEN": api_token,
            "OPSBOT_CONFIG": str(policy_path),
            "LOG_LEVEL": "WARNING",
        }
    )
    command = [sys.executable, "-m", "bot.cli", "serve", "--host", LOOPBACK, "--port", str(port)]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command,
            cwd=workdir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
        )
    server = Server(f"http://{LOOPBACK}:{port}", am_token, api_token, process, log_path)
    try:
        _wait_ready(server, ready_timeout)
        yield server
    finally:
        _stop(process)


def _wait_ready(server: Server, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    last = "no answer yet"
    with httpx.Client(timeout=5) as client:
        while time.monotonic() < deadline:
            if server.process.poll() is not None:
                raise RuntimeError(
                    f"opsbot exited with {server.process.returncode} before it was ready:\n"
                    + tail(server.log_path)
                )
            try:
                response = client.get(f"{server.url}/readyz")
                if response.status_code == 200:
                    # Ours, not another server that took the port between the probe and the
                    # bind (then ours exits "address in use", seen above on the next round).
                    mine = client.get(
                        f"{server.url}/api/v1/incidents",
                        params={"limit": 1},
                        headers={"Authorization": f"Bearer {server.api_token}"},
                    )
                    if mine.status_code == 200:
                        return
                    response = mine
                last = f"{response.status_code} {response.text[:200]}"
            except httpx.HTTPError as exc:
                last = repr(exc)
            time.sleep(0.1)
    raise RuntimeError(f"opsbot not ready after {timeout:.0f}s ({last}):\n{tail(server.log_path)}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.terminate()  # uvicorn shuts down gracefully on SIGTERM
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


def metric(page: bytes, name: str) -> float | None:
    """The value of the unlabelled series ``name`` on a ``/metrics`` page, or None."""
    found = re.search(rb"^" + re.escape(name.encode()) + rb"\s+(\S+)$", page, re.MULTILINE)
    return float(found.group(1)) if found else None


def tail(path: Path, lines: int = 30) -> str:
    """The last ``lines`` lines of a log file (empty when it is missing)."""
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


@contextlib.contextmanager
def postgres_database(admin_url: str = DEFAULT_PG_ADMIN_URL) -> Iterator[str]:
    """Create a fresh database next to ``admin_url``'s, yield its SQLAlchemy URL, drop it.

    Raises ``PostgresUnavailable`` when the server does not answer. Loopback servers only."""
    parts = urlsplit(admin_url)
    if (parts.hostname or "") not in _LOOPBACK_HOSTS:
        raise PostgresUnavailable(f"refusing non-loopback PostgreSQL host {parts.hostname!r}")
    name = f"opsbot_bench_{os.getpid()}_{secrets.token_hex(4)}"
    _admin(admin_url, sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = parts._replace(path=f"/{name}").geturl()
    try:
        yield url
    finally:
        drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
        _admin(admin_url, drop.format(sql.Identifier(name)))


def _admin(admin_url: str, statement: sql.Composed) -> None:
    try:
        with psycopg.connect(_libpq(admin_url), autocommit=True, connect_timeout=3) as conn:
            conn.execute(statement)
    except psycopg.OperationalError as exc:
        reason = (str(exc).strip() or repr(exc)).splitlines()[0]
        host = urlsplit(admin_url).netloc
        raise PostgresUnavailable(f"PostgreSQL at {host} does not answer: {reason}") from exc


@dataclass
class Sample:
    """What a load run saw: one latency (seconds) per request, the problems, the wall time."""

    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0


async def post_load(
    client: httpx.AsyncClient,
    url: str,
    headers: dict[str, str],
    bodies: Callable[[], bytes],
    *,
    concurrency: int,
    max_requests: int,
    max_seconds: float,
    problem: Callable[[httpx.Response], str | None],
) -> Sample:
    """POST ``bodies()`` from ``concurrency`` tasks until ``max_requests`` were sent or
    ``max_seconds`` passed (requests in flight then still finish). Building a body is not
    part of its latency; ``problem`` names what is wrong with a response, or returns None."""
    sample = Sample()
    issued = 0
    started = time.perf_counter()
    deadline = started + max_seconds

    async def worker() -> None:
        nonlocal issued
        while issued < max_requests and time.perf_counter() < deadline and not _stopping.is_set():
            issued += 1
            body = bodies()
            sent = time.perf_counter()
            try:
                wrong = problem(await client.post(url, content=body, headers=headers))
            except httpx.HTTPError as exc:
                wrong = f"{type(exc).__name__}: {exc}"
            sample.latencies.append(time.perf_counter() - sent)
            if wrong is not None:
                sample.errors.append(wrong)

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    if _stopping.is_set():
        raise _Stopped
    sample.seconds = time.perf_counter() - started
    return sample


def percentile(sorted_values: Sequence[float], pct: float) -> float:
    """The ``pct`` percentile (0-100) of already sorted values, linearly interpolated."""
    if not sorted_values:
        return float("nan")
    rank = (len(sorted_values) - 1) * pct / 100
    low = int(rank)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (rank - low)


def print_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Print rows aligned under headers: text left, numbers right."""
    cells = [[_cell(value) for value in row] for row in rows]
    widths = [max([len(h), *(len(r[i]) for r in cells)]) for i, h in enumerate(headers)]
    numeric = [
        bool(rows) and all(isinstance(r[i], int | float) for r in rows) for i in range(len(headers))
    ]

    def line(values: Sequence[str]) -> str:
        return "  ".join(
            v.rjust(w) if num else v.ljust(w)
            for v, w, num in zip(values, widths, numeric, strict=True)
        ).rstrip()

    print(line(headers))
    print(line(["-" * w for w in widths]))
    for row in cells:
        print(line(row))


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.1f}" if value < 100 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def emit_json(benchmark: str, results: list[dict[str, Any]], **extra: Any) -> None:
    """Print the one machine-readable line: ``BENCH_JSON {"benchmark": ..., "results": [...]}``."""
    payload = {"benchmark": benchmark, **extra, "results": results}
    print("BENCH_JSON " + json.dumps(payload, separators=(",", ":")), flush=True)
