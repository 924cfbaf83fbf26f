"""REST API ``/api/v1``: reads of incidents and webhook deliveries (viewer) and of the audit
log (admin), with bearer tokens from ``opsbot token create`` (or the bootstrap
``OPSBOT_API_TOKEN``). Every call is recorded in the audit log."""

from datetime import datetime
from typing import Annotated, Any, Literal

from anyio import to_thread
from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request

from bot.domain.access import allows
from bot.services.access import Access, Caller
from bot.services.alert_intake import IntakeService
from bot.services.audit import AuditService
from bot.services.registry import IncidentQueries

__all__ = ["api_router"]

StatusFilter = Literal["open", "acknowledged", "resolved", "closed", "all"]
MAX_ID = 2**31 - 1  # ids are 32-bit integer columns; a larger one is a 422, not a 500
NO_NUL = r"^[^\x00]*$"  # PostgreSQL refuses NUL in text


def api_router(
    *, queries: IncidentQueries, access: Access, audit: AuditService, intake: IntakeService
) -> APIRouter:
    """The versioned REST API."""

    async def caller(request: Request) -> Caller:
        scheme, _, value = (request.headers.get("authorization") or "").partition(" ")
        found = None
        if scheme.lower() == "bearer" and value.strip():
            found = await to_thread.run_sync(lambda: access.caller(value.strip()))
        if found is None:
            raise HTTPException(
                401, "missing or wrong bearer token", headers={"WWW-Authenticate": "Bearer"}
            )
        client = request.client.host if request.client else ""
        await to_thread.run_sync(
            lambda: audit.record(
                actor=f"token:{found.name}",
                surface="api",
                action=f"api.{request.method.lower()}",
                target=request.url.path[:200],
                source=client,
            )
        )
        return found

    def needs(least: str) -> Any:
        async def check(who: Annotated[Caller, Depends(caller)]) -> Caller:
            if not allows(who.role, least):
                raise HTTPException(403, f"this needs the {least} role; the token is {who.role}")
            return who

        return Depends(check)

    router = APIRouter(
        prefix="/api/v1",
        tags=["api"],
        responses={
            401: {"description": "missing or wrong bearer token"},
            403: {"description": "the token's role is too low"},
        },
    )

    @router.get("/incidents", dependencies=[needs("viewer")])
    async def list_incidents(
        status: Annotated[StatusFilter, Query()] = "open",
        service: Annotated[str | None, Query(max_length=100, pattern=NO_NUL)] = None,
        severity: Annotated[Literal["S1", "S2", "S3"] | None, Query()] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
    ) -> dict[str, list[dict[str, Any]]]:
        """Incidents, newest first. ``status=open`` means open or acknowledged."""
        views = await to_thread.run_sync(
            lambda: queries.list(status=status, service=service, severity=severity, limit=limit)
        )
        return {"incidents": views}

    @router.get("/incidents/{incident_id}", responses={404: {}}, dependencies=[needs("viewer")])
    async def get_incident(
        incident_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    ) -> dict[str, Any]:
        """One incident with its alerts and timeline."""
        view = await to_thread.run_sync(lambda: queries.get(incident_id))
        if view is None:
            raise HTTPException(404, f"incident {incident_id} not found")
        return view

    @router.get("/deliveries/{delivery_id}", responses={404: {}}, dependencies=[needs("viewer")])
    async def get_delivery(
        delivery_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    ) -> dict[str, Any]:
        """What became of one Alertmanager delivery: ``pending`` (queued), ``processed``
        (with the incidents it touched) or ``failed`` (with the error id in the logs)."""
        state = await to_thread.run_sync(lambda: intake.status(delivery_id))
        if state is None:
            raise HTTPException(404, f"delivery {delivery_id} not found")
        return {
            "id": state.id,
            "status": state.status,
            "received_at": state.received_at,
            "applied_at": state.applied_at,
            "alerts": state.alert_count,
            "incidents": state.incident_ids,
            "error_id": state.error,
        }

    @router.get("/audit", dependencies=[needs("admin")])
    async def read_audit(
        since: Annotated[datetime | None, Query()] = None,
        after_id: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> dict[str, list[dict[str, Any]]]:
        """Audit entries, oldest first (page with ``after_id``)."""
        entries = await to_thread.run_sync(
            lambda: audit.read(since=since, limit=limit, after_id=after_id)
        )
        return {"entries": entries}

    return router
