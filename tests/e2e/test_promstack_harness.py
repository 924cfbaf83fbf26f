"""Prove the promstack harness: a real Prometheus rule fires, Alertmanager's webhook
(with bearer auth) arrives, the alert clears and a resolved webhook follows."""

from __future__ import annotations

import json
import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from .promstack import (
    Alertmanager,
    MetricTarget,
    PromBinaries,
    Prometheus,
    example_rule,
    http_get,
)

TOKEN = "e2e-s3cr3t-token"
WEBHOOK_PATH = "/webhooks/alertmanager"
ZERO_TIME = "0001-01-01T00:00:00Z"


# --------------------------------------------------------------------------- receiver


@dataclass(frozen=True)
class Received:
    at: float  # time.monotonic()
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


class WebhookRecorder:
    """Loopback HTTP server recording every POST; answers 401 on a wrong bearer token
    (Alertmanager does not retry 4xx, so a bad header shows up as a missing webhook
    *and* as a recorded request with the wrong header)."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.requests: list[Received] = []
        self._lock = threading.Lock()
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = {"_raw": raw.decode(errors="replace")}
                item = Received(time.monotonic(), self.path, dict(self.headers.items()), body)
                with recorder._lock:
                    recorder.requests.append(item)
                ok = self.headers.get("Authorization") == f"Bearer {recorder.token}"
                self.send_response(200 if ok else 401)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
        )
        self._thread.start()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}{WEBHOOK_PATH}"

    def snapshot(self) -> list[Received]:
        with self._lock:
            return list(self.requests)

    def wait_for(
        self, predicate: Callable[[Received], bool], timeout: float, what: str
    ) -> Received:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for item in self.snapshot():
                if predicate(item):
                    return item
            time.sleep(0.05)
        seen = [(r.path, r.body.get("status")) for r in self.snapshot()]
        raise AssertionError(f"no {what} webhook within {timeout:.0f}s; received: {seen}")

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


# --------------------------------------------------------------------------- fixtures


@pytest.fixture
def receiver() -> Iterator[WebhookRecorder]:
    rec = WebhookRecorder(TOKEN)
    try:
        yield rec
    finally:
        rec.close()


def _alert_of(item: Received) -> dict[str, Any]:
    alerts = item.body.get("alerts") or [{}]
    first: dict[str, Any] = alerts[0]
    return first


def _parse_time(value: str) -> datetime:
    # Go prints up to nanoseconds; Python parses up to microseconds.
    value = re.sub(r"(\.\d{6})\d+", r"\1", value)
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


# --------------------------------------------------------------------------- tests


def test_metric_target_exposition() -> None:
    with MetricTarget() as target:
        target.set("opsbot_e2e_trigger", 1.0, labels={"shard": 'a"b'})
        target.set("opsbot_other", 2.5)
        status, body = http_get(target.url)
        assert status == 200
        assert body.decode() == (
            "# TYPE opsbot_e2e_trigger gauge\n"
            'opsbot_e2e_trigger{shard="a\\"b"} 1.0\n'
            "# TYPE opsbot_other gauge\n"
            "opsbot_other 2.5\n"
        )
        target.remove("opsbot_other")
        assert "opsbot_other" not in target.render()
        assert target.scrape_count == 1
        assert http_get(target.url.replace("/metrics", "/nope"))[0] == 404


@pytest.mark.e2e
def test_alert_fires_and_resolves_through_real_alertmanager(
    binaries: PromBinaries, receiver: WebhookRecorder, tmp_path: Path
) -> None:
    labels = {"shard": "a"}
    with (
        MetricTarget() as target,
        Alertmanager(binaries, tmp_path / "am", receiver.url, bearer_token=TOKEN) as am,
        Prometheus(binaries, tmp_path / "prom", target.url, example_rule(), am.url) as prom,
    ):
        instance = target.address
        target.set("opsbot_e2e_trigger", 0.0, labels=labels)
        wired = prom.wait_until_wired(timeout=30)

        target.set("opsbot_e2e_trigger", 1.0, labels=labels)
        t_fire = time.monotonic()
        firing = receiver.wait_for(
            lambda r: r.body.get("status") == "firing", timeout=20, what="firing"
        )

        target.set("opsbot_e2e_trigger", 0.0, labels=labels)
        t_clear = time.monotonic()
        resolved = receiver.wait_for(
            lambda r: r.body.get("status") == "resolved", timeout=20, what="resolved"
        )

        print(
            f"\npromstack timings: alertmanager ready {am.startup_seconds:.2f}s, "
            f"prometheus ready {prom.startup_seconds:.2f}s, wired after {wired:.2f}s, "
            f"trigger->firing {firing.at - t_fire:.2f}s, "
            f"clear->resolved {resolved.at - t_clear:.2f}s"
        )

    # Everything stopped: no process left, ports closed.
    assert not am.running() and not prom.running()
    for url in (am.url, prom.url):
        with pytest.raises(OSError):
            http_get(f"{url}/-/ready", timeout=1)

    # Exactly one firing notification (repeat_interval is 1h), then the resolved one.
    statuses = [r.body.get("status") for r in receiver.snapshot()]
    assert statuses == ["firing", "resolved"], statuses

    for item in (firing, resolved):
        assert item.path == WEBHOOK_PATH
        assert item.headers["Authorization"] == f"Bearer {TOKEN}"
        assert item.headers["Content-Type"] == "application/json"
        assert item.headers["User-Agent"].startswith("Alertmanager/0.")
        body = item.body
        assert body["version"] == "4"
        assert body["receiver"] == "opsbot"
        assert body["groupKey"] == '{}:{alertname="OpsbotE2E"}'
        assert body["groupLabels"] == {"alertname": "OpsbotE2E"}
        assert body["truncatedAlerts"] == 0
        assert body["externalURL"] == am.url
        assert len(body["alerts"]) == 1

    fa, ra = _alert_of(firing), _alert_of(resolved)
    assert fa["status"] == "firing"
    assert fa["labels"] == {
        "alertname": "OpsbotE2E",
        "severity": "critical",
        "service": "checkout-api",
        "shard": "a",
        "job": "opsbot-e2e",
        "instance": instance,
    }
    assert set(fa["annotations"]) == {"summary", "description", "runbook_url"}
    assert fa["annotations"]["summary"] == f"opsbot_e2e_trigger is 1 on {instance}"
    assert re.fullmatch(r"[0-9a-f]{16}", fa["fingerprint"])
    assert fa["endsAt"] == ZERO_TIME
    assert fa["generatorURL"].startswith(f"{prom.url}/graph?g0.expr=")

    assert ra["status"] == "resolved"
    assert ra["labels"] == fa["labels"]
    assert ra["fingerprint"] == fa["fingerprint"]
    assert ra["startsAt"] == fa["startsAt"]
    assert ra["endsAt"] != ZERO_TIME
    assert _parse_time(ra["endsAt"]) > _parse_time(ra["startsAt"])


@pytest.mark.e2e
def test_processes_listen_on_loopback_only_and_stop(binaries: PromBinaries, tmp_path: Path) -> None:
    unused = "http://127.0.0.1:9"
    procs: list[Alertmanager | Prometheus] = []
    pids: list[int] = []
    with (
        Alertmanager(binaries, tmp_path / "am", f"{unused}/hook", bearer_token="x") as am,
        Prometheus(
            binaries, tmp_path / "prom", f"{unused}/metrics", example_rule(), am.url
        ) as prom,
    ):
        procs += [am, prom]
        for proc in procs:
            assert proc.pid is not None
            pids.append(proc.pid)
            assert http_get(f"{proc.url}/-/ready")[0] == 200
            listening = _listening_ports(proc.pid)
            # Alertmanager without --cluster.listen-address= would add 0.0.0.0:9094.
            assert listening == [("127.0.0.1", proc.port)], (proc, listening)
    for proc, pid in zip(procs, pids, strict=True):
        assert not proc.running()
        assert not Path(f"/proc/{pid}").exists(), f"{proc} pid {pid} still exists"
        assert proc.log_path.exists()


def _listening_ports(pid: int) -> list[tuple[str, int]]:
    """(address, port) of the TCP sockets process ``pid`` listens on (Linux /proc)."""
    fd_dir = Path(f"/proc/{pid}/fd")
    if not fd_dir.exists():
        pytest.skip("needs Linux /proc")
    inodes = set()
    for fd in fd_dir.iterdir():
        try:
            link = os.readlink(fd)
        except OSError:
            continue
        if link.startswith("socket:["):
            inodes.add(link[8:-1])
    found: list[tuple[str, int]] = []
    for table, v6 in (("/proc/net/tcp", False), ("/proc/net/tcp6", True)):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            cols = line.split()
            local, state, inode = cols[1], cols[3], cols[9]
            if state != "0A" or inode not in inodes:  # 0A = LISTEN
                continue
            hex_addr, hex_port = local.split(":")
            if v6:
                addr = "::1" if hex_addr == "0" * 24 + "01000000" else f"v6:{hex_addr}"
            else:
                addr = ".".join(str(b) for b in reversed(bytes.fromhex(hex_addr)))
            found.append((addr, int(hex_port, 16)))
    return found
