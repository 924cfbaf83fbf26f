"""The sandbox OTLP receiver: ``POST /v1/traces`` as the OTLP/HTTP spec has it (binary
protobuf, optionally gzip or deflate), served by a thread on loopback."""

from __future__ import annotations

import gzip
import threading
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Self

from google.protobuf.message import DecodeError
from google.rpc.status_pb2 import Status as RpcStatus
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from ._models import OtlpExport, OtlpFault
from ._state import OtlpState, decode_spans

__all__ = ["SandboxOtlp"]

TRACES_PATH = "/v1/traces"
PROTOBUF = "application/x-protobuf"
_RPC_CODES = {400: 3, 401: 16, 403: 7, 404: 5, 413: 8, 415: 3, 429: 8, 500: 13, 503: 14}


class SandboxOtlp:
    """A live receiver on ``http://127.0.0.1:<port>`` (``port=0``: a free one)."""

    def __init__(self, state: OtlpState | None = None, host: str = "127.0.0.1", port: int = 0):
        self.state = state or OtlpState()
        self._address = (host, port)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The base URL (``OTEL_EXPORTER_OTLP_ENDPOINT``)."""
        assert self._server is not None, "not started"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def traces_url(self) -> str:
        """The traces endpoint (``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``)."""
        return self.url + TRACES_PATH

    def start(self) -> Self:
        """Start serving; returns once listening."""
        if self._server is None:
            self._server = _Server(self._address, _Handler, self)
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name="sandbox-otlp",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket (idempotent)."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(10)
        self._server = self._thread = None

    def reset(self, state: OtlpState | None = None) -> OtlpState:
        """Keep serving, with a fresh (or the given) state."""
        self.state = state or OtlpState()
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


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self, address: tuple[str, int], handler: type[_Handler], sandbox: SandboxOtlp
    ) -> None:
        self.sandbox = sandbox
        super().__init__(address, handler)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as exporters expect
    server: _Server

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        state = self.server.sandbox.state
        if self.path.split("?", 1)[0] != TRACES_PATH:
            self._refuse(404, f"no OTLP endpoint at {self.path}")
            return
        if self.headers.get_content_type() != PROTOBUF:
            self._refuse(415, f"send {PROTOBUF} (this receiver speaks binary protobuf only)")
            return
        fault = state.take_fault()
        if fault is not None:
            self._record(state, 0, fault.status)
            self._refuse(fault.status, "fault injected", fault)
            return
        try:
            request = ExportTraceServiceRequest.FromString(self._decoded(body))
        except (DecodeError, OSError, zlib.error, ValueError) as exc:
            self._refuse(400, f"not an ExportTraceServiceRequest: {exc}")
            return
        spans = decode_spans(request)
        state.record(self._export(len(spans), 200), spans)
        self._answer(200, ExportTraceServiceResponse().SerializeToString())

    def do_GET(self) -> None:
        self._refuse(405, "OTLP/HTTP takes POST")

    do_PUT = do_DELETE = do_PATCH = do_GET

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: tests read the state, not stderr."""

    def _decoded(self, body: bytes) -> bytes:
        encoding = (self.headers.get("Content-Encoding") or "identity").strip().lower()
        if encoding == "gzip":
            return gzip.decompress(body)
        if encoding == "deflate":
            return zlib.decompress(body)
        if encoding != "identity":
            raise ValueError(f"unsupported Content-Encoding {encoding}")
        return body

    def _export(self, count: int, status: int) -> OtlpExport:
        headers = {name.lower(): value for name, value in self.headers.items()}
        return OtlpExport(self.path, headers, count, status)

    def _record(self, state: OtlpState, count: int, status: int) -> None:
        state.record(self._export(count, status), [])

    def _refuse(self, status: int, message: str, fault: OtlpFault | None = None) -> None:
        """An error answer: a ``google.rpc.Status`` body, as the spec says."""
        body = RpcStatus(code=_RPC_CODES.get(status, 2), message=message).SerializeToString()
        extra = dict(fault.extra) if fault else {}
        if fault is not None and fault.retry_after is not None:
            extra["Retry-After"] = str(int(fault.retry_after))
        self._answer(status, body, reason=fault.reason if fault else None, headers=extra)

    def _answer(
        self,
        status: int,
        body: bytes,
        *,
        reason: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.send_response(status, reason)
        self.send_header("Content-Type", PROTOBUF)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)
