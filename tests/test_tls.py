"""``opsbot serve --ssl-certfile --ssl-keyfile``: HTTPS straight from opsbot, self-signed here."""

from __future__ import annotations

import os
import signal
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import trustme

ROOT = Path(__file__).resolve().parents[1]
OPSBOT = [sys.executable, "-m", "bot.cli"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG"}}
    return (
        keep | {"PYTHONPATH": str(ROOT), "DATABASE_URL": f"sqlite:///{tmp_path / 'tls.db'}"} | extra
    )


@pytest.fixture
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def pem(tmp_path: Path, ca: trustme.CA) -> tuple[Path, Path]:
    """A server certificate for 127.0.0.1 (with its chain) and its key, as PEM files."""
    cert = ca.issue_cert("127.0.0.1")
    cert.cert_chain_pems[0].write_to_path(str(tmp_path / "cert.pem"))
    for extra in cert.cert_chain_pems[1:]:
        extra.write_to_path(str(tmp_path / "cert.pem"), append=True)
    cert.private_key_pem.write_to_path(str(tmp_path / "key.pem"))
    return tmp_path / "cert.pem", tmp_path / "key.pem"


def _client_context(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return context


@pytest.mark.parametrize("how", ["options", "settings"])
def test_serve_answers_https_with_the_certificate(
    how: str, tmp_path: Path, ca: trustme.CA, pem: tuple[Path, Path]
) -> None:
    cert, key = pem
    port = _free_port()
    args = [*OPSBOT, "--log-format", "text", "serve", "--port", str(port)]
    env = _env(tmp_path)
    if how == "options":
        args += ["--ssl-certfile", str(cert), "--ssl-keyfile", str(key)]
    else:
        env |= {"OPSBOT_SSL_CERTFILE": str(cert), "OPSBOT_SSL_KEYFILE": str(key)}
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        proc = subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        url = f"https://127.0.0.1:{port}"
        verify = _client_context(ca)
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, log.read_text()
            try:
                reply = httpx.get(url + "/healthz", verify=verify, timeout=2)
                break
            except httpx.ConnectError:
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.1)
        assert reply.status_code == 200
        assert reply.url.scheme == "https"
        with pytest.raises(httpx.HTTPError):  # plain HTTP on the TLS port
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            httpx.get(url + "/healthz", timeout=5)  # the system trust store does not know it
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)
    assert f"running on https://127.0.0.1:{port}" in log.read_text()


def _serve_fails(tmp_path: Path, *options: str, **env: str) -> str:
    result = subprocess.run(
        [*OPSBOT, "serve", "--port", str(_free_port()), *options],
        env=_env(tmp_path, **env),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "tls.db").exists()  # stopped before touching the database
    return result.stderr


def test_a_missing_file_stops_serve_before_start(tmp_path: Path, pem: tuple[Path, Path]) -> None:
    missing = tmp_path / "missing.pem"
    stderr = _serve_fails(tmp_path, "--ssl-certfile", str(missing), "--ssl-keyfile", str(pem[1]))
    assert f"OPSBOT_SSL_CERTFILE: cannot read {missing} (No such file or directory)" in stderr


def test_half_a_pair_stops_serve(tmp_path: Path, pem: tuple[Path, Path]) -> None:
    stderr = _serve_fails(tmp_path, "--ssl-certfile", str(pem[0]))
    assert "--ssl-keyfile/OPSBOT_SSL_KEYFILE: required for HTTPS" in stderr
    stderr = _serve_fails(tmp_path, OPSBOT_SSL_KEYFILE=str(pem[1]))
    assert "OPSBOT_SSL_CERTFILE, OPSBOT_SSL_KEYFILE: set both or neither" in stderr


def test_a_key_that_does_not_match_stops_serve(tmp_path: Path, pem: tuple[Path, Path]) -> None:
    other = trustme.CA().issue_cert("127.0.0.1")
    other.private_key_pem.write_to_path(str(tmp_path / "other.pem"))
    stderr = _serve_fails(
        tmp_path, OPSBOT_SSL_CERTFILE=str(pem[0]), OPSBOT_SSL_KEYFILE=str(tmp_path / "other.pem")
    )
    assert "are not a PEM certificate and its unencrypted private key" in stderr
