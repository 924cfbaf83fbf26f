"""Run several real `opsbot serve` processes on one database, for multi-process tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

__all__ = ["serve_processes"]

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_ready(url: str) -> None:
    deadline = time.monotonic() + 90  # generous: a loaded CI machine starts Python slowly
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{url} never became ready")


@contextmanager
def serve_processes(
    count: int, *, env: dict[str, str], policy: str, tmp_path: Path
) -> Iterator[list[str]]:
    """Start ``count`` processes with ``env`` (plus the policy file); yield their URLs."""
    policy_file = tmp_path / "opsbot.yml"
    policy_file.write_text(policy)
    base = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG"}}
    full = base | {"PYTHONPATH": str(ROOT), "OPSBOT_CONFIG": str(policy_file)} | env
    procs, urls = [], []
    try:
        for i in range(count):
            port = _free_port()
            log = (tmp_path / f"serve{i}.log").open("w")
            cmd = [sys.executable, "-m", "bot.cli", "serve", "--port", str(port)]
            procs.append((subprocess.Popen(cmd, env=full, stdout=log, stderr=log), log))
            urls.append(f"http://127.0.0.1:{port}")
        for url in urls:
            _wait_ready(url)
        yield urls
    finally:
        for proc, log in procs:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=20)
            log.close()
