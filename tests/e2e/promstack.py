"""Run the real Prometheus and Alertmanager as plain loopback processes for e2e tests.

The binaries come from Debian's ``prometheus`` (2.42) and ``prometheus-alertmanager``
(0.25) packages, unpacked by ``.ci/install-promstack.sh`` into
``${OPSBOT_PROMSTACK_DIR:-~/.cache/opsbot/promstack}/bin``. Nothing here needs root,
Docker or the network, and everything listens on 127.0.0.1 only.

Typical use (see ``test_promstack_harness.py``)::

    bins = find_binaries()                    # None -> skip the test
    with MetricTarget() as target, \\
         Alertmanager(bins, tmp / "am", webhook_url, bearer_token="t") as am, \\
         Prometheus(bins, tmp / "prom", target.url, example_rule(), am.url) as prom:
        prom.wait_until_wired()               # target scraped, Alertmanager discovered
        target.set("opsbot_e2e_trigger", 1.0) # -> firing webhook in ~2-3 s
        target.set("opsbot_e2e_trigger", 0.0) # -> resolved webhook in ~1-3 s

Timing facts (Prometheus 2.42 / Alertmanager 0.25), which the defaults are tuned for:

* Prometheus discovers scrape targets *and* Alertmanagers through discovery managers
  that publish updates at most every 5 s, so the first scrape and the first alert
  delivery can only happen ~5 s after start. :meth:`Prometheus.wait_until_wired` waits
  for both so that later timings are not skewed by start-up.
* With ``for: 0s``, ``scrape_interval``/``evaluation_interval`` 1 s, an alert is
  firing one evaluation after the sample is scraped and Prometheus sends it at once
  (a never-sent alert ignores ``--rules.alert.resend-delay``).
* When the expression stops matching, Prometheus sends the alert once more with
  ``endsAt`` = resolve time (again immediately), so Alertmanager's ``resolve_timeout``
  plays no part; the resolved webhook goes out at the group's next ``group_interval``
  tick (1 s here). ``repeat_interval`` (1 h) keeps a firing alert from re-notifying.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Self
from urllib.parse import urlsplit

__all__ = [
    "DEBIAN_AM_TEMPLATE",
    "DEFAULT_PROMSTACK_DIR",
    "INSTALL_HINT",
    "Alertmanager",
    "MetricTarget",
    "PromBinaries",
    "Prometheus",
    "PromstackError",
    "example_rule",
    "find_binaries",
]

DEFAULT_PROMSTACK_DIR = Path.home() / ".cache" / "opsbot" / "promstack"
INSTALL_HINT = (
    "Prometheus/Alertmanager binaries not found; run .ci/install-promstack.sh "
    "(or set OPSBOT_PROMSTACK_DIR to the folder it installed into)"
)

# Debian's Alertmanager reads its default template from this hard-coded path and
# will not load a config without it; install-promstack.sh puts it there.
DEBIAN_AM_TEMPLATE = Path("/usr/share/prometheus/alertmanager/default.tmpl")

LOOPBACK = "127.0.0.1"

# urllib honours http_proxy/HTTP_PROXY; never route loopback traffic through one.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class PromstackError(RuntimeError):
    """A Prometheus/Alertmanager process failed to start or to become ready."""


# --------------------------------------------------------------------------- binaries


@dataclass(frozen=True)
class PromBinaries:
    """Paths of the executables; the ``*tool`` ones are optional."""

    prometheus: Path
    alertmanager: Path
    promtool: Path | None = None
    amtool: Path | None = None


def _executable(path: Path) -> Path | None:
    return path if path.is_file() and os.access(path, os.X_OK) else None


def _which(*names: str) -> Path | None:
    for name in names:
        found = shutil.which(name)
        if found:
            return Path(found)
    return None


def find_binaries() -> PromBinaries | None:
    """Locate ``prometheus`` and ``alertmanager``; ``None`` if either is missing.

    Search order: ``$OPSBOT_PROMSTACK_DIR/bin``, ``~/.cache/opsbot/promstack/bin``,
    then ``$PATH`` (where Debian's package calls it ``prometheus-alertmanager``).
    Both binaries are taken from the same place. A folder made by
    ``install-promstack.sh`` (it has a ``VERSIONS`` file) only counts if Debian's
    Alertmanager template is in place too (:data:`DEBIAN_AM_TEMPLATE`).
    """
    dirs: list[Path] = []
    env_dir = os.environ.get("OPSBOT_PROMSTACK_DIR")
    if env_dir:
        dirs.append(Path(env_dir).expanduser() / "bin")
    dirs.append(DEFAULT_PROMSTACK_DIR / "bin")
    for d in dirs:
        prom = _executable(d / "prometheus")
        am = _executable(d / "alertmanager") or _executable(d / "prometheus-alertmanager")
        if (d / "VERSIONS").exists() and not DEBIAN_AM_TEMPLATE.exists():
            continue
        if prom and am:
            return PromBinaries(
                prometheus=prom,
                alertmanager=am,
                promtool=_executable(d / "promtool"),
                amtool=_executable(d / "amtool"),
            )
    prom = _which("prometheus")
    am = _which("alertmanager", "prometheus-alertmanager")
    if prom and am:
        return PromBinaries(prom, am, _which("promtool"), _which("amtool"))
    return None


# --------------------------------------------------------------------------- helpers


def free_port() -> int:
    """Return a currently free TCP port on 127.0.0.1 (racy; callers retry on clash)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((LOOPBACK, 0))
        port: int = s.getsockname()[1]
        return port


def http_get(url: str, timeout: float = 2.0) -> tuple[int, bytes]:
    """GET ``url`` without proxies; returns (status, body), HTTP errors included."""
    try:
        with _OPENER.open(url, timeout=timeout) as resp:
            return int(resp.status), bytes(resp.read())
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, exc.read()


def http_json(url: str, payload: Any = None, timeout: float = 5.0) -> Any:
    """GET (or POST ``payload`` as JSON) and decode the JSON answer; raises on non-2xx."""
    data = None if payload is None else json.dumps(payload).encode()
    req = urllib.request.Request(url, data=data, method="GET" if data is None else "POST")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    with _OPENER.open(req, timeout=timeout) as resp:
        body = resp.read()
    return json.loads(body) if body.strip() else None


def _yaml_str(value: str) -> str:
    # A JSON string literal is a valid YAML double-quoted scalar.
    return json.dumps(value)


def _parent_death_signal() -> Callable[[], None] | None:
    """preexec_fn making the child get SIGTERM if this process dies (Linux only).

    Keeps a killed pytest run from leaving Prometheus/Alertmanager behind. Note the
    kernel fires it when the *thread* that started the child exits, so start the
    processes from a long-lived thread (pytest runs tests in the main thread).
    """
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    pr_set_pdeathsig = 1

    def _preexec() -> None:
        prctl(pr_set_pdeathsig, ctypes.c_ulong(signal.SIGTERM))

    return _preexec


# --------------------------------------------------------------------------- target


_METRIC_NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
_LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")


def _escape_label_value(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


class MetricTarget:
    """A loopback HTTP server exposing settable gauges at ``/metrics``.

    ``target.set("opsbot_e2e_trigger", 1.0, labels={"shard": "a"})`` adds or updates a
    sample; ``target.remove(...)`` drops it (Prometheus then marks it stale). Samples
    are served in the Prometheus text format (``# TYPE <name> gauge``).
    """

    def __init__(self, host: str = LOOPBACK, port: int = 0) -> None:
        self._lock = threading.Lock()
        self._samples: dict[str, dict[tuple[tuple[str, str], ...], float]] = {}
        self._scrapes = 0
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._host = host
        self._port = port

    # -- gauges
    def set(self, name: str, value: float, labels: Mapping[str, str] | None = None) -> None:
        """Set gauge ``name{labels}`` to ``value``."""
        if not _METRIC_NAME.match(name):
            raise ValueError(f"invalid metric name {name!r}")
        key = self._key(labels)
        with self._lock:
            self._samples.setdefault(name, {})[key] = float(value)

    def remove(self, name: str, labels: Mapping[str, str] | None = None) -> None:
        """Stop exposing ``name{labels}`` (no error if absent)."""
        key = self._key(labels)
        with self._lock:
            series = self._samples.get(name, {})
            series.pop(key, None)
            if not series:
                self._samples.pop(name, None)

    @staticmethod
    def _key(labels: Mapping[str, str] | None) -> tuple[tuple[str, str], ...]:
        items = tuple(sorted((labels or {}).items()))
        for k, _ in items:
            if not _LABEL_NAME.match(k) or k.startswith("__"):
                raise ValueError(f"invalid label name {k!r}")
        return items

    def render(self) -> str:
        """The current exposition text."""
        lines: list[str] = []
        with self._lock:
            for name in sorted(self._samples):
                lines.append(f"# TYPE {name} gauge")
                for key, value in sorted(self._samples[name].items()):
                    lbl = ",".join(f'{k}="{_escape_label_value(v)}"' for k, v in key)
                    lines.append(f"{name}{{{lbl}}} {value!r}" if lbl else f"{name} {value!r}")
        return "\n".join(lines) + "\n"

    @property
    def scrape_count(self) -> int:
        """How many times ``/metrics`` has been fetched."""
        with self._lock:
            return self._scrapes

    # -- server
    def start(self) -> Self:
        """Start serving in a daemon thread (idempotent)."""
        if self._server is not None:
            return self
        target = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path.split("?", 1)[0] != "/metrics":
                    self.send_error(404)
                    return
                body = target.render().encode()
                with target._lock:
                    target._scrapes += 1
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer((self._host, self._port), Handler)
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop the server and close its socket."""
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    @property
    def address(self) -> str:
        """``host:port`` as Prometheus scrapes it."""
        if self._server is None:
            raise RuntimeError("MetricTarget is not started")
        host, port = self._server.server_address[:2]
        return f"{host!s}:{port}"

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT/metrics``."""
        return f"http://{self.address}/metrics"

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


# --------------------------------------------------------------------------- processes


class _Process:
    """A child process bound to a free loopback port, with a log file in ``tmp_dir``."""

    name = "process"
    start_attempts = 3

    def __init__(
        self,
        binary: Path,
        tmp_dir: Path,
        *,
        ready_timeout: float = 30.0,
        extra_args: Sequence[str] = (),
        kill_on_parent_exit: bool = True,
    ) -> None:
        self.binary = Path(binary)
        self.tmp_dir = Path(tmp_dir)
        self.ready_timeout = ready_timeout
        self.extra_args = list(extra_args)
        self.kill_on_parent_exit = kill_on_parent_exit
        self.port = 0
        self.log_path = self.tmp_dir / f"{self.name}.log"
        self.startup_seconds: float | None = None
        """Seconds from ``Popen`` to the first 200 from ``/-/ready`` (last attempt)."""
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    # -- to implement
    def _write_config(self) -> None:
        raise NotImplementedError

    def _args(self) -> list[str]:
        raise NotImplementedError

    # -- lifecycle
    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` (no trailing slash)."""
        if not self.port:
            raise RuntimeError(f"{self.name} is not started")
        return f"http://{LOOPBACK}:{self.port}"

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> Self:
        """Write the config, start the process and wait for ``/-/ready``.

        Retries on another port if the chosen one was taken in the meantime.
        """
        if self._proc is not None:
            return self
        self.tmp_dir.mkdir(parents=True, exist_ok=True)
        for attempt in range(1, self.start_attempts + 1):
            self.port = free_port()
            self._write_config()
            self._spawn()
            try:
                self._wait_ready()
                return self
            except PromstackError as exc:
                log = self.log_tail().lower()
                clash = "address already in use" in log
                self.stop()
                if "failed to parse templates" in log:
                    raise PromstackError(
                        f"{exc}\nDebian's Alertmanager needs {DEBIAN_AM_TEMPLATE}; "
                        "run .ci/install-promstack.sh"
                    ) from None
                if not clash or attempt == self.start_attempts:
                    raise
        raise AssertionError("unreachable")

    def _spawn(self) -> None:
        self._log = self.log_path.open("ab")
        preexec = _parent_death_signal() if self.kill_on_parent_exit else None
        args = [str(self.binary), *self._args(), *self.extra_args]
        self._log.write(f"$ {' '.join(args)}\n".encode())
        self._log.flush()
        self._proc = subprocess.Popen(
            args,
            cwd=self.tmp_dir,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            preexec_fn=preexec,
        )

    def _wait_ready(self) -> None:
        assert self._proc is not None
        started = time.monotonic()
        deadline = started + self.ready_timeout
        ready_url = f"{self.url}/-/ready"
        while True:
            code = self._proc.poll()
            if code is not None:
                raise PromstackError(
                    f"{self.name} exited with {code} before it was ready; "
                    f"log {self.log_path}:\n{self.log_tail()}"
                )
            with contextlib.suppress(OSError):
                status, _ = http_get(ready_url, timeout=1.0)
                if status == 200:
                    self.startup_seconds = time.monotonic() - started
                    return
            if time.monotonic() > deadline:
                raise PromstackError(
                    f"{self.name} not ready at {ready_url} after {self.ready_timeout:.0f}s; "
                    f"log {self.log_path}:\n{self.log_tail()}"
                )
            time.sleep(0.05)

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM, wait up to ``timeout`` s, then SIGKILL; closes the log file."""
        proc, self._proc = self._proc, None
        try:
            if proc is not None and proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=timeout)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=timeout)
        finally:
            if self._log is not None:
                self._log.close()
                self._log = None

    def log_tail(self, lines: int = 40) -> str:
        """The last ``lines`` lines of the process log."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = f"pid={self.pid} url={self.url}" if self.running() else "stopped"
        return f"<{type(self).__name__} {state}>"


class Alertmanager(_Process):
    """Alertmanager routing every alert to one webhook with bearer auth.

    The config (``alertmanager.yml`` in ``tmp_dir``) has a single route grouped by
    ``group_by`` (default ``alertname``, giving ``groupKey`` ``{}:{alertname="X"}``)
    to the receiver ``receiver`` with ``send_resolved: true`` and
    ``http_config.authorization: {type: Bearer, credentials: bearer_token}``.
    It runs with ``--cluster.listen-address=`` so it listens on loopback only.
    """

    name = "alertmanager"

    def __init__(
        self,
        binaries: PromBinaries,
        tmp_dir: Path,
        webhook_url: str,
        bearer_token: str,
        group_wait: str = "1s",
        group_interval: str = "1s",
        repeat_interval: str = "1h",
        *,
        receiver: str = "opsbot",
        group_by: Iterable[str] = ("alertname",),
        resolve_timeout: str = "5m",
        max_alerts: int = 0,
        ready_timeout: float = 30.0,
        extra_args: Sequence[str] = (),
        kill_on_parent_exit: bool = True,
    ) -> None:
        super().__init__(
            binaries.alertmanager,
            tmp_dir,
            ready_timeout=ready_timeout,
            extra_args=extra_args,
            kill_on_parent_exit=kill_on_parent_exit,
        )
        self.webhook_url = webhook_url
        self.bearer_token = bearer_token
        self.group_wait = group_wait
        self.group_interval = group_interval
        self.repeat_interval = repeat_interval
        self.receiver = receiver
        self.group_by = list(group_by)
        self.resolve_timeout = resolve_timeout
        self.max_alerts = max_alerts
        self.config_path = self.tmp_dir / "alertmanager.yml"
        self.storage_path = self.tmp_dir / "alertmanager-data"

    def config(self) -> dict[str, Any]:
        """The configuration as a dict (written as JSON, which is valid YAML)."""
        return {
            "global": {"resolve_timeout": self.resolve_timeout},
            "route": {
                "receiver": self.receiver,
                "group_by": self.group_by,
                "group_wait": self.group_wait,
                "group_interval": self.group_interval,
                "repeat_interval": self.repeat_interval,
            },
            "receivers": [
                {
                    "name": self.receiver,
                    "webhook_configs": [
                        {
                            "url": self.webhook_url,
                            "send_resolved": True,
                            "max_alerts": self.max_alerts,
                            "http_config": {
                                "authorization": {
                                    "type": "Bearer",
                                    "credentials": self.bearer_token,
                                }
                            },
                        }
                    ],
                }
            ],
        }

    def _write_config(self) -> None:
        self.storage_path.mkdir(parents=True, exist_ok=True)
        self.config_path.write_text(json.dumps(self.config(), indent=2) + "\n")

    def _args(self) -> list[str]:
        return [
            f"--config.file={self.config_path}",
            f"--storage.path={self.storage_path}",
            f"--web.listen-address={LOOPBACK}:{self.port}",
            f"--web.external-url=http://{LOOPBACK}:{self.port}",
            "--cluster.listen-address=",
        ]

    # -- API helpers
    def alerts(self) -> list[dict[str, Any]]:
        """``GET /api/v2/alerts``."""
        result: list[dict[str, Any]] = http_json(f"{self.url}/api/v2/alerts")
        return result

    def post_alerts(self, alerts: Sequence[Mapping[str, Any]]) -> None:
        """``POST /api/v2/alerts`` (bypasses Prometheus; reaches the webhook after
        ``group_wait``). Each alert needs ``labels``; set ``endsAt`` to resolve."""
        http_json(f"{self.url}/api/v2/alerts", payload=list(alerts))


class Prometheus(_Process):
    """Prometheus scraping one target every second and alerting to one Alertmanager.

    Writes ``prometheus.yml`` and ``rules.yml`` into ``tmp_dir`` and keeps the TSDB in
    ``tmp_dir/prometheus-data``. ``scrape_target_url`` is the full URL of the metrics
    endpoint (e.g. :attr:`MetricTarget.url`); scraped series get ``job=<job>`` and
    ``instance=<host:port>`` labels, which therefore appear on the alerts.

    For a Prometheus that only scrapes (e.g. for PromQL queries against
    :class:`WorkflowExporter`), pass ``rules=""`` and ``alertmanager_url=None``: no rule
    file and no ``alerting`` section are written, and :meth:`wait_until_wired` then only
    waits for the scrape.
    """

    name = "prometheus"

    def __init__(
        self,
        binaries: PromBinaries,
        tmp_dir: Path,
        scrape_target_url: str,
        rules: str,
        alertmanager_url: str | None,
        *,
        job: str = "opsbot-e2e",
        interval: str = "1s",
        resend_delay: str = "1s",
        ready_timeout: float = 30.0,
        extra_args: Sequence[str] = (),
        kill_on_parent_exit: bool = True,
    ) -> None:
        super().__init__(
            binaries.prometheus,
            tmp_dir,
            ready_timeout=ready_timeout,
            extra_args=extra_args,
            kill_on_parent_exit=kill_on_parent_exit,
        )
        self.promtool = binaries.promtool
        self.scrape_target_url = scrape_target_url
        self.rules = rules
        self.alertmanager_url = alertmanager_url
        self.job = job
        self.interval = interval
        self.resend_delay = resend_delay
        self.config_path = self.tmp_dir / "prometheus.yml"
        self.rules_path = self.tmp_dir / "rules.yml"
        self.storage_path = self.tmp_dir / "prometheus-data"

    def config(self) -> dict[str, Any]:
        """The configuration as a dict (written as JSON, which is valid YAML)."""
        target = urlsplit(self.scrape_target_url)
        am = urlsplit(self.alertmanager_url or "")
        if not target.netloc or (self.alertmanager_url is not None and not am.netloc):
            raise ValueError("scrape_target_url and alertmanager_url must be absolute URLs")
        config: dict[str, Any] = {
            "global": {
                "scrape_interval": self.interval,
                "scrape_timeout": self.interval,
                "evaluation_interval": self.interval,
            },
        }
        if self.rules:  # empty: no rule file
            config["rule_files"] = [str(self.rules_path)]
        if self.alertmanager_url is not None:
            am_config: dict[str, Any] = {
                "scheme": am.scheme or "http",
                "api_version": "v2",
                "timeout": "5s",
                "static_configs": [{"targets": [am.netloc]}],
            }
            if am.path.rstrip("/"):
                am_config["path_prefix"] = am.path.rstrip("/")
            config["alerting"] = {"alertmanagers": [am_config]}
        return {
            **config,
            "scrape_configs": [
                {
                    "job_name": self.job,
                    "scheme": target.scheme or "http",
                    "metrics_path": target.path or "/metrics",
                    "static_configs": [{"targets": [target.netloc]}],
                }
            ],
        }

    def _write_config(self) -> None:
        self.storage_path.mkdir(parents=True, exist_ok=True)
        self.rules_path.write_text(self.rules)
        self.config_path.write_text(json.dumps(self.config(), indent=2) + "\n")

    def _args(self) -> list[str]:
        return [
            f"--config.file={self.config_path}",
            f"--storage.tsdb.path={self.storage_path}",
            f"--web.listen-address={LOOPBACK}:{self.port}",
            f"--web.external-url=http://{LOOPBACK}:{self.port}",
            f"--rules.alert.resend-delay={self.resend_delay}",
        ]

    def check_rules(self) -> None:
        """Validate :attr:`rules` with ``promtool check rules`` (if promtool exists).

        Prometheus itself refuses to start on invalid rules, so this is only for a
        clearer error message before starting.
        """
        if self.promtool is None:
            return
        self.tmp_dir.mkdir(parents=True, exist_ok=True)
        self.rules_path.write_text(self.rules)
        proc = subprocess.run(
            [str(self.promtool), "check", "rules", str(self.rules_path)],
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            raise PromstackError(f"invalid rules:\n{proc.stdout}{proc.stderr}")

    # -- API helpers
    def api(self, path: str) -> Any:
        """``GET /api/v1/<path>`` and return its ``data``."""
        body = http_json(f"{self.url}/api/v1/{path.lstrip('/')}")
        return body["data"]

    def alerts(self) -> list[dict[str, Any]]:
        """Active (pending/firing) alerts, ``GET /api/v1/alerts``."""
        result: list[dict[str, Any]] = self.api("alerts")["alerts"]
        return result

    def is_wired(self) -> bool:
        """True once the target was scraped successfully and Alertmanager (if one is
        configured) is active."""
        targets = self.api("targets?state=active")["activeTargets"]
        if not any(t.get("health") == "up" for t in targets):
            return False
        return self.alertmanager_url is None or bool(
            self.api("alertmanagers")["activeAlertmanagers"]
        )

    def wait_until_wired(self, timeout: float = 20.0) -> float:
        """Wait until :meth:`is_wired`; returns the seconds waited.

        Prometheus 2.42 publishes discovered targets/Alertmanagers at most every 5 s,
        so this typically takes ~5 s after start.
        """
        started = time.monotonic()
        deadline = started + timeout
        while True:
            if not self.running():
                raise PromstackError(f"prometheus exited; log:\n{self.log_tail()}")
            with contextlib.suppress(OSError, ValueError, KeyError):
                if self.is_wired():
                    return time.monotonic() - started
            if time.monotonic() > deadline:
                raise PromstackError(
                    f"prometheus did not scrape {self.scrape_target_url} and discover "
                    f"{self.alertmanager_url} within {timeout:.0f}s; log:\n{self.log_tail()}"
                )
            time.sleep(0.1)


# --------------------------------------------------------------------------- rules


def example_rule(
    alert: str = "OpsbotE2E",
    severity: str = "critical",
    service: str = "checkout-api",
    *,
    metric: str = "opsbot_e2e_trigger",
) -> str:
    """Rules YAML with one alert firing at once (``for: 0s``) while ``<metric> > 0``.

    The alert carries labels ``severity``/``service`` (plus ``job``/``instance`` from
    the scrape and any labels of the gauge) and annotations ``summary``,
    ``description`` and ``runbook_url``.
    """
    if not _METRIC_NAME.match(metric):
        raise ValueError(f"invalid metric name {metric!r}")
    summary = f"{metric} is {{{{ $value }}}} on {{{{ $labels.instance }}}}"
    description = f"{alert}: {metric} above 0 for service {service} ({severity})"
    runbook = f"https://runbooks.example/opsbot/{alert.lower()}"
    return (
        "groups:\n"
        "  - name: opsbot-e2e\n"
        "    rules:\n"
        f"      - alert: {_yaml_str(alert)}\n"
        f"        expr: {_yaml_str(f'{metric} > 0')}\n"
        "        for: 0s\n"
        "        labels:\n"
        f"          severity: {_yaml_str(severity)}\n"
        f"          service: {_yaml_str(service)}\n"
        "        annotations:\n"
        f"          summary: {_yaml_str(summary)}\n"
        f"          description: {_yaml_str(description)}\n"
        f"          runbook_url: {_yaml_str(runbook)}\n"
    )
