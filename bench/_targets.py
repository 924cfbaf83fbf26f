"""What ``bench.ingest`` loads: a ``Target`` is one running webhook receiver (opsbot, or a peer
in ``bench/peers/``) with the URL, headers and notion of success the load generator needs.

Every process started here runs on loopback, logs into its work directory and is stopped in a
``finally`` block (and gets SIGTERM if the benchmark process dies)."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg

from bench._harness import (
    _die_with_parent,
    _libpq,
    _stop,
    metric,
    opsbot_server,
    postgres_database,
    tail,
    uvicorn_flavour,
)

__all__ = ["PEER_THREADS", "Target", "machine", "opsbot_target", "planned", "spawn"]

PEER_THREADS = 8  # = the highest client concurrency, which is what opsbot's intake threads see


@dataclass(frozen=True)
class Target:
    """A running receiver: ``system`` (opsbot, alerta, floor) on ``backend`` (sqlite, postgresql).

    A response is a success when its status is in ``ok_status`` (opsbot's 202: stored; a
    delivery that then fails to apply is counted by ``settle``)."""

    system: str
    backend: str
    url: str
    headers: dict[str, str]
    process: subprocess.Popen[bytes]
    log_path: Path
    ok_status: tuple[int, ...] = (200,)
    info: dict[str, Any] = field(default_factory=dict)  # how it runs, for the JSON line
    metrics_url: str | None = None  # opsbot: its queue is read here until it is empty

    async def settle(self, client: httpx.AsyncClient, limit_s: float = 600.0) -> tuple[float, int]:
        """Wait until every accepted delivery was applied (opsbot answers once a delivery is
        stored and applies it right after); returns the seconds that took and how many
        deliveries failed to apply in all so far. Receivers that apply before answering
        return at once."""
        if self.metrics_url is None:
            return 0.0, 0
        started = time.perf_counter()
        while True:
            page = (await client.get(self.metrics_url)).content
            pending = metric(page, "opsbot_intake_pending")
            failed = metric(page, "opsbot_intake_failed_total")
            if pending == 0:
                return time.perf_counter() - started, int(failed or 0)
            if time.perf_counter() - started > limit_s:
                raise RuntimeError(f"opsbot still had {pending:.0f} deliveries after {limit_s} s")
            await asyncio.sleep(0.02)

    def problem(self, response: httpx.Response) -> str | None:
        """What is wrong with ``response``, or None."""
        if response.status_code not in self.ok_status:
            return f"HTTP {response.status_code}: {response.text[:200]}"
        return None

    def check_alive(self) -> None:
        """Raise ``RuntimeError`` with the log's tail when the process has exited."""
        if self.process.poll() is not None:
            raise RuntimeError(f"{self.system} exited with {self.process.returncode}:\n"
                               + tail(self.log_path))  # fmt: skip


@contextlib.contextmanager
def spawn(
    name: str,
    command: Sequence[str],
    *,
    env: dict[str, str],
    cwd: Path,
    log_path: Path,
    ready_url: str,
    ready_timeout: float = 90.0,
) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``command`` until the block ends; it is ready once ``ready_url`` answers 200."""
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            list(command),
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
        )
    try:
        _wait(name, process, ready_url, log_path, ready_timeout)
        yield process
    finally:
        _stop(process)


def _wait(
    name: str, process: subprocess.Popen[bytes], url: str, log_path: Path, timeout: float
) -> None:
    deadline = time.monotonic() + timeout
    last = "no answer yet"
    with httpx.Client(timeout=5) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited with {process.returncode} before it was ready:"
                                   f"\n{tail(log_path)}")  # fmt: skip
            try:
                response = client.get(url)
                if response.status_code == 200:
                    return
                last = f"{response.status_code} {response.text[:200]}"
            except httpx.HTTPError as exc:
                last = repr(exc)
            time.sleep(0.1)
    raise RuntimeError(f"{name} not ready after {timeout:.0f}s ({last}):\n{tail(log_path)}")


@contextlib.contextmanager
def opsbot_target(
    backend: str, *, workdir: Path, admin_url: str, policy_yaml: str
) -> Iterator[Target]:
    """``opsbot serve`` (one uvicorn process) on a SQLite file or a fresh PostgreSQL database."""
    with contextlib.ExitStack() as stack:
        if backend == "sqlite":
            url = f"sqlite:///{workdir / 'opsbot.db'}"
        else:
            url = stack.enter_context(postgres_database(admin_url))
        server = stack.enter_context(opsbot_server(url, workdir=workdir, policy_yaml=policy_yaml))
        yield Target(
            system="opsbot",
            backend=backend,
            url=f"{server.url}/webhooks/alertmanager",
            headers={
                "authorization": f"Bearer {server.alertmanager_token}",
                "content-type": "application/json",
            },
            process=server.process,
            log_path=server.log_path,
            ok_status=(202,),
            metrics_url=f"{server.url}/metrics",
            info={
                "server": "python -m bot.cli serve (1 uvicorn process, intake in its threads)",
                "answer": "202 once stored; applied after, timed until the queue is empty",
            },
        )


Start = Callable[[], AbstractContextManager[Target]]


def planned(
    backends: Sequence[str], peers: bool, tmp: Path, admin_url: str, policy_yaml: str
) -> Iterator[tuple[str, Start | str]]:
    """In run order: ``(label, start)`` where ``start()`` runs the target in its own work
    directory under ``tmp``, or is the reason it is skipped. With ``peers``, alerta's venv is
    installed first when missing (``bench/peers/install_alerta.sh``)."""

    def workdir(label: str) -> Path:
        path = tmp / label.replace("/", "-")
        path.mkdir(exist_ok=True)
        return path

    for backend in backends:
        label = f"opsbot/{backend}"
        start = functools.partial(opsbot_target, backend, workdir=workdir(label),
                                  admin_url=admin_url, policy_yaml=policy_yaml)  # fmt: skip
        yield label, start
    if not peers:
        return
    from bench.peers.alerta import alerta_target, ensure_alerta, venv_path
    from bench.peers.floor import floor_target

    venv = venv_path()
    print(f"alerta: checking its venv {venv} (installing it takes about a minute)",
          file=sys.stderr, flush=True)  # fmt: skip
    reason = ensure_alerta(venv)
    yield "alerta/postgresql", reason or functools.partial(
        alerta_target, workdir=workdir("alerta"), admin_url=admin_url, venv=venv,
        threads=PEER_THREADS,
    )  # fmt: skip
    yield (
        "floor/postgresql",
        functools.partial(
            floor_target, workdir=workdir("floor"), admin_url=admin_url, pool=PEER_THREADS
        ),
    )


def machine(admin_url: str) -> dict[str, Any]:
    """The machine and PostgreSQL server the figures come from."""
    memory = "unknown"
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError, IndexError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    postgres = "unavailable"
    with contextlib.suppress(psycopg.Error):
        conn = psycopg.connect(_libpq(admin_url), connect_timeout=3)
        with conn:
            row = conn.execute("SHOW server_version").fetchone()
            postgres = str(row[0]) if row else "unknown"
    return {
        "cpus": os.cpu_count(),
        "cpu_model": cpu,
        "memory": memory,
        "python": platform.python_version(),
        "postgresql": postgres,
        "os": platform.platform(),
        "uvicorn": uvicorn_flavour(),
    }
