"""``POST /webhooks/alertmanager``: authenticate, bound, parse, queue for the intake.

The answer (202) comes once the delivery is stored; the incident work follows at once, in
order, off the request. ``?wait=true`` answers after it was applied (200 with the incidents
touched), or 202 if that took longer than ``WAIT_SECONDS``.
"""

from __future__ import annotations

import json
import logging
import time

from anyio import to_thread
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import SecretStr, ValidationError
from sqlalchemy.exc import SQLAlchemyError
from starlette.requests import ClientDisconnect

from bot.domain.alertmanager import AMNotification
from bot.metrics import Metrics
from bot.services.alert_intake import IntakeService
from handlers.http.auth import token_matches, unauthorized

__all__ = ["WAIT_SECONDS", "alertmanager_router"]

log = logging.getLogger("opsbot.webhooks")
WAIT_SECONDS = 10.0
_LOOK_AGAIN = 0.5  # seconds between looks in the database while waiting
_YES, _NO = frozenset({"1", "true", "yes"}), frozenset({"", "0", "false", "no"})


class _TooLarge(Exception):
    pass


def alertmanager_router(
    *, intake: IntakeService, token: SecretStr | None, max_body: int, metrics: Metrics
) -> APIRouter:
    """The Alertmanager webhook route."""
    router = APIRouter(tags=["webhooks"])

    @router.post(
        "/webhooks/alertmanager",
        status_code=202,
        responses={200: {}, 400: {}, 401: {}, 413: {}, 422: {}, 503: {}},
        summary="Alertmanager webhook (version 4)",
    )
    async def receive(request: Request) -> JSONResponse:
        """Store the notification durably and answer 202; ``?wait=true``: answer once it was
        applied, with the incidents it touched."""
        started = time.perf_counter()
        if token is None:
            return unauthorized("webhook disabled: set ALERTMANAGER_TOKEN", realm="alertmanager")
        if not token_matches(request.headers.get("authorization"), token, allow_basic=True):
            return unauthorized("missing or wrong Alertmanager token", realm="alertmanager")
        wait = request.query_params.get("wait", "").lower()
        if wait not in _YES | _NO:
            return _error(400, "wait must be true or false")
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
        try:
            delivery = await to_thread.run_sync(intake.accept, parsed, body.decode("utf-8"))
        except SQLAlchemyError as exc:
            log.warning("alertmanager delivery not stored: database unavailable")
            return _error(503, f"not stored, retry later: {type(exc).__name__}")
        intake.queued(delivery, parsed)
        metrics.webhook_latency.labels("alertmanager").observe(time.perf_counter() - started)
        metrics.alerts_received.inc(len(parsed.alerts))
        if wait in _YES:
            return await _answer_when_applied(intake, delivery)
        return JSONResponse({"delivery": delivery, "status": "queued"}, status_code=202)

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


async def _answer_when_applied(intake: IntakeService, delivery: int) -> JSONResponse:
    deadline = time.monotonic() + WAIT_SECONDS
    while (left := deadline - time.monotonic()) > 0:
        outcome = await intake.wait(delivery, min(left, _LOOK_AGAIN))
        if outcome is not None:
            touched = outcome.result.incident_ids if outcome.result else []
            return _applied(delivery, touched, outcome.error_id)
        state = await to_thread.run_sync(intake.status, delivery)  # another process may
        if state is not None and state.status != "pending":  # have applied it
            return _applied(delivery, state.incident_ids, state.error)
    return JSONResponse({"delivery": delivery, "status": "pending"}, status_code=202)


def _applied(delivery: int, incidents: list[int], error_id: str | None) -> JSONResponse:
    if error_id is not None:
        failed = {"status": "failed", "incidents": [], "stored": "failed", "error_id": error_id}
        return JSONResponse({"delivery": delivery} | failed)
    return JSONResponse({"delivery": delivery, "status": "processed", "incidents": incidents})


def _error(status: int, detail: str, **extra: object) -> JSONResponse:
    return JSONResponse({"detail": detail, **extra}, status_code=status)
