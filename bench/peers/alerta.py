"""The peer for ``bench.ingest``: alerta-server's Prometheus webhook, ``POST /webhooks/prometheus``.

alerta lives in its own virtual environment (``install_alerta.sh``, run on demand; default
``~/.cache/opsbot/bench/alerta-venv``, or ``OPSBOT_BENCH_ALERTA_VENV``) and is served by
gunicorn from that venv: ONE worker process with ``threads`` threads (gthread), as opsbot is one
uvicorn process whose intake runs in worker threads. It uses a fresh PostgreSQL database,
``AUTH_REQUIRED = False`` and otherwise alerta's shipped settings (default plugins ``remote_ip,
reject, heartbeat, blackout, forwarder``; one new database connection per request, which is how
alerta's PostgreSQL backend works)."""

from __future__ import annotations

import contextlib
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from bench._harness import LOOPBACK, _libpq, free_port, postgres_database, tail
from bench._targets import Target, spawn

__all__ = ["VERSION", "alerta_target", "ensure_alerta", "venv_path"]

VERSION = "9.1.0"  # keep in step with install_alerta.sh
INSTALL_SCRIPT = Path(__file__).with_name("install_alerta.sh")
_KEEP_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "TZ", "TMPDIR")


def venv_path() -> Path:
    """Where alerta's virtual environment is (or will be)."""
    default = Path.home() / ".cache" / "opsbot" / "bench" / "alerta-venv"
    return Path(os.environ.get("OPSBOT_BENCH_ALERTA_VENV") or default).expanduser()


def ensure_alerta(venv: Path, *, timeout: float = 900) -> str | None:
    """Run ``install_alerta.sh`` (a no-op when the venv is ready); None, or why it failed."""
    env = {**os.environ, "PYTHON": os.environ.get("OPSBOT_BENCH_ALERTA_PYTHON", sys.executable)}
    try:
        done = subprocess.run(
            ["bash", str(INSTALL_SCRIPT), str(venv)],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"install_alerta.sh did not finish: {exc}"
    if done.returncode != 0:
        last = (done.stderr.strip() or done.stdout.strip()).splitlines()[-3:]
        return f"install_alerta.sh exited with {done.returncode}: {' | '.join(last)}"
    return None


@contextlib.contextmanager
def alerta_target(
    *, workdir: Path, admin_url: str, venv: Path, threads: int = 8
) -> Iterator[Target]:
    """alerta under gunicorn (1 process, ``threads`` threads) on a fresh PostgreSQL database."""
    port = free_port()
    with postgres_database(admin_url) as url:
        dsn = _libpq(url)
        conf = workdir / "alertad.conf"
        conf.write_text(
            "# written by bench/peers/alerta.py\n"
            f"DATABASE_URL = {dsn!r}\n"
            "AUTH_REQUIRED = False\n"
            "LOG_LEVEL = 'WARNING'\n"
            f"SECRET_KEY = {secrets.token_hex(16)!r}\n"
        )
        env = {key: os.environ[key] for key in _KEEP_ENV if key in os.environ}
        env.update({"ALERTA_SVR_CONF_FILE": str(conf), "DATABASE_URL": dsn,
                    "AUTH_REQUIRED": "False", "SENTRY_DSN": ""})  # fmt: skip
        command = [
            str(venv / "bin" / "gunicorn"), "--workers", "1", "--worker-class", "gthread",
            "--threads", str(threads), "--bind", f"{LOOPBACK}:{port}", "--timeout", "900",
            "--no-control-socket", "--log-level", "warning", "alerta:create_app()",
        ]  # fmt: skip
        base = f"http://{LOOPBACK}:{port}"
        log_path = workdir / "alerta.log"
        with spawn("alerta", command, env=env, cwd=workdir, log_path=log_path,
                   ready_url=f"{base}/management/healthcheck") as process:  # fmt: skip
            try:
                yield Target(
                    system="alerta",
                    backend="postgresql",
                    url=f"{base}/webhooks/prometheus",
                    headers={"content-type": "application/json"},
                    process=process,
                    log_path=log_path,
                    ok_status=(200, 201),
                    info={
                        "server": f"alerta-server {VERSION}, gunicorn 1 worker, gthread "
                        f"{threads} threads, venv {venv}"
                    },
                )
            except BaseException:
                print(f"alerta log tail:\n{tail(log_path, 10)}", file=sys.stderr)
                raise
