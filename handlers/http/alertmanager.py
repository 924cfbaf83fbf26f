"""``POST /webhooks/alertmanager``: authenticate, bound, parse, hand to the intake service."""

from __future__ import annotations

import json
import logging
import time
import uuid

from anyio import to_thread
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import SecretStr, ValidationError
from starlette.requests import ClientDisconnect

from bot.domain.alertmanager import AMNotification
from bot.errors import StorageError
from bot.metrics import Metrics
from bot.services.registry import IntakeService
from handlers.http.auth import token_matches, unauthorized

__all__ = ["alertmanager_router"]

log = logging.getLogger("opsbot.webhooks")


class _TooLarge(Exception):
    pass


def alertmanager_router(
    *, intake: IntakeService, token: SecretStr | None, max_body: int, metrics: Metrics
) -> APIRouter:
    """The Alertmanager webhook route."""
    router = APIRouter(tags=["webhooks"])

    @router.post(
        "/webhooks/alertmanager",
        responses={400: {}, 401: {}, 413: {}, 422: {}, 503: {}},
        summary="Alertmanager webhook (version 4)",
    )
    async def receive(request: Request) -> JSONResponse:
        """Store the notification durably, then answer with the incidents it touched."""
        started = time.perf_counter()
        if token is None:
            return unauthorized("webhook disabled: set ALERTMANAGER_TOKEN", realm="alertmanager")
        if not token_matches(request.headers.get("authorization"), token, allow_basic=True):
            return unauthorized("missing or wrong Alertmanager token", realm="alertmanager")
        try:
            body = await _read_limited(request, max_body)
        except _TooLarge:
            return _error(413, f"body larger than {max_body} bytes")
        except ClientDisconnect:  # nobody reads this answer; it keeps the traceback out
            log.info("alertmanager client went away before its whole body arrived")
            return _error(400, "the client disconnected before the whole body arrived")
        parsed = _parse(body)
        if isinstance(parsed, JSONResponse):
            return parsed
        response = await _ingest(intake, parsed, body.decode("utf-8"))
        metrics.webhook_latency.labels("alertmanager").observe(time.perf_counter() - started)
        metrics.alerts_received.inc(len(parsed.alerts))
        return response

    return router


async def _read_limited(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise _TooLarge
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _parse(body: bytes) -> AMNotification | JSONResponse:
    try:
        # Decoded here, not by json.loads: it would also take UTF-16 and UTF-32, which the
        # delivery (kept as UTF-8 text) cannot store.
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return _error(422, f"body is not UTF-8: {exc}")
    try:
        data = json.loads(text)
    except RecursionError:
        return _error(422, "body is not JSON: nested too deeply")
    except ValueError as exc:  # JSONDecodeError, or an integer past int()'s 4300-digit limit
        return _error(422, f"body is not JSON: {str(exc).partition('; use sys.')[0]}")
    try:
        return AMNotification.model_validate(data)
    except ValidationError as exc:
        errors = [{"field": _field(err["loc"]), "problem": err["msg"]} for err in exc.errors()[:20]]
        first = errors[0]
        return _error(422, f"{first['field']}: {first['problem']}", errors=errors)


def _field(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(body)"


async def _ingest(intake: IntakeService, note: AMNotification, body: str) -> JSONResponse:
    try:
        result = await to_thread.run_sync(lambda: intake.ingest(note, body))
    except StorageError as exc:
        log.warning("alertmanager delivery not stored: database unavailable")
        return _error(503, f"not stored, retry later: {exc}")
    except Exception:
        error_id = uuid.uuid4().hex[:12]
        log.exception("alertmanager delivery failed; body kept", extra={"error_id": error_id})
        await to_thread.run_sync(lambda: intake.keep_failed(body, error_id))
        return JSONResponse({"incidents": [], "stored": "failed", "error_id": error_id})
    intake.wake()
    return JSONResponse({"incidents": result.incident_ids})


def _error(status: int, detail: str, **extra: object) -> JSONResponse:
    return JSONResponse({"detail": detail, **extra}, status_code=status)
