"""REST API ``/api/v1``: bearer-authenticated reads of incidents."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from anyio import to_thread
from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import SecretStr

from bot.services.registry import IncidentQueries
from handlers.http.auth import token_matches

__all__ = ["api_router"]

StatusFilter = Literal["open", "acknowledged", "resolved", "closed", "all"]


def api_router(*, queries: IncidentQueries, token: SecretStr | None) -> APIRouter:
    """The versioned REST API."""

    def authenticated(request: Request) -> None:
        if token is None:
            raise HTTPException(401, "REST API disabled: set OPSBOT_API_TOKEN")
        if not token_matches(request.headers.get("authorization"), token, allow_basic=False):
            raise HTTPException(
                401, "missing or wrong bearer token", headers={"WWW-Authenticate": "Bearer"}
            )

    router = APIRouter(prefix="/api/v1", tags=["api"], dependencies=[Depends(authenticated)])

    @router.get("/incidents")
    async def list_incidents(
        status: Annotated[StatusFilter, Query()] = "open",
        service: Annotated[str | None, Query(max_length=100)] = None,
        severity: Annotated[Literal["S1", "S2", "S3"] | None, Query()] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
    ) -> dict[str, list[dict[str, Any]]]:
        """Incidents, newest first. ``status=open`` means open or acknowledged."""
        views = await to_thread.run_sync(
            lambda: queries.list(status=status, service=service, severity=severity, limit=limit)
        )
        return {"incidents": views}

    @router.get("/incidents/{incident_id}", responses={404: {}})
    async def get_incident(incident_id: int) -> dict[str, Any]:
        """One incident with its alerts and timeline."""
        view = await to_thread.run_sync(lambda: queries.get(incident_id))
        if view is None:
            raise HTTPException(404, f"incident {incident_id} not found")
        return view

    return router
