"""Liveness, readiness and metrics."""

from __future__ import annotations

from anyio import to_thread
from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from bot.errors import StorageError
from bot.metrics import Metrics
from storage import Database, MigrationStatus, migration_status

__all__ = ["health_router"]

_PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8"


def health_router(*, db: Database, metrics: Metrics) -> APIRouter:
    """``/healthz``, ``/readyz`` and ``/metrics``."""
    router = APIRouter(tags=["health"])

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "ok"}

    @router.get("/readyz", responses={503: {"description": "database gone or schema behind"}})
    async def readyz() -> JSONResponse:
        """Readiness: the database answers and its schema is at the newest revision."""
        try:
            status = await to_thread.run_sync(_schema_status, db)
        except StorageError as exc:
            return JSONResponse({"status": "unavailable", "reason": str(exc)}, status_code=503)
        if not status.is_current:
            reason = f"migrations pending: database at {status.current}, code at {status.head}"
            return JSONResponse({"status": "unavailable", "reason": reason}, status_code=503)
        return JSONResponse({"status": "ready", "schema": status.head})

    @router.get("/metrics", response_class=Response)
    async def metrics_endpoint() -> Response:
        """Prometheus text exposition."""
        return Response(metrics.render(), media_type=_PROMETHEUS_TEXT)

    return router


def _schema_status(db: Database) -> MigrationStatus:
    db.ping()
    return migration_status(db.engine)
