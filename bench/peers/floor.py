"""The floor for ``bench.ingest``: the least a FastAPI receiver of Alertmanager webhooks can do.

``POST /webhooks/alertmanager`` checks a bearer token, parses the body with pydantic (the
webhook's v4 shape) and stores every alert with ONE multi-row ``INSERT ... VALUES (...), (...)
ON CONFLICT (fingerprint, starts_at) DO UPDATE`` (a repeat touches ``last_seen_at``) into one
table, in one transaction, on a pooled psycopg connection. No incident, no grouping, no
timers, no audit: what opsbot does on top of this is what the ratio opsbot/floor prices.

Run by ``floor_target`` as ``python -m uvicorn bench.peers.floor:app`` (one process) with
``FLOOR_DATABASE_URL``, ``FLOOR_TOKEN`` and ``FLOOR_POOL`` (connections, default 8) set."""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import sys
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import psycopg
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from psycopg.types.json import Jsonb
from pydantic import BaseModel, ValidationError

if TYPE_CHECKING:
    from bench._targets import Target

__all__ = ["app", "floor_target"]

SCHEMA = """\
CREATE TABLE IF NOT EXISTS floor_alerts (
    id bigserial PRIMARY KEY,
    fingerprint text NOT NULL,
    starts_at timestamptz NOT NULL,
    ends_at timestamptz,
    status text NOT NULL,
    labels jsonb NOT NULL,
    annotations jsonb NOT NULL,
    generator_url text NOT NULL,
    group_key text NOT NULL,
    first_seen_at timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (fingerprint, starts_at)
)"""
_COLUMNS = "fingerprint, starts_at, ends_at, status, labels, annotations, generator_url, group_key"
_ROW = "(" + ", ".join(["%s"] * 8) + ")"
_CONFLICT = (
    " ON CONFLICT (fingerprint, starts_at) DO UPDATE"
    " SET last_seen_at = now(), status = excluded.status, ends_at = excluded.ends_at"
)


class Alert(BaseModel):
    status: str
    labels: dict[str, str]
    annotations: dict[str, str] = {}
    startsAt: datetime
    endsAt: datetime | None = None
    generatorURL: str = ""
    fingerprint: str


class Notification(BaseModel):
    version: str
    groupKey: str
    status: str
    receiver: str
    groupLabels: dict[str, str] = {}
    commonLabels: dict[str, str] = {}
    commonAnnotations: dict[str, str] = {}
    externalURL: str = ""
    truncatedAlerts: int = 0
    alerts: list[Alert]


_pool: asyncio.Queue[psycopg.AsyncConnection[tuple[object, ...]]] = asyncio.Queue()


@contextlib.asynccontextmanager
async def _lifespan(_app: FastAPI) -> AsyncIterator[None]:
    url = os.environ["FLOOR_DATABASE_URL"]
    conns = [await psycopg.AsyncConnection.connect(url) for _ in range(int(os.environ.get(
        "FLOOR_POOL", "8")))]  # fmt: skip
    async with conns[0].transaction():
        await conns[0].execute(SCHEMA)
    for conn in conns:
        _pool.put_nowait(conn)
    try:
        yield
    finally:
        for conn in conns:
            await conn.close()


app = FastAPI(lifespan=_lifespan)
_TOKEN = os.environ.get("FLOOR_TOKEN", "")


@app.get("/readyz")
async def readyz() -> dict[str, str]:
    return {"status": "ok"}


@app.post("/webhooks/alertmanager")
async def receive(request: Request) -> JSONResponse:
    given = request.headers.get("authorization", "")
    if not _TOKEN or not secrets.compare_digest(given.encode(), f"Bearer {_TOKEN}".encode()):
        return JSONResponse({"detail": "unauthorized"}, status_code=401)
    try:
        note = Notification.model_validate_json(await request.body())
    except ValidationError as exc:
        return JSONResponse({"detail": str(exc.errors()[:3])}, status_code=422)
    if not note.alerts:
        return JSONResponse({"stored": 0})
    params: list[object] = []
    for a in note.alerts:
        params += [a.fingerprint, a.startsAt, a.endsAt, a.status, Jsonb(a.labels),
                   Jsonb(a.annotations), a.generatorURL, note.groupKey]  # fmt: skip
    query = f"INSERT INTO floor_alerts ({_COLUMNS}) VALUES " + ", ".join([_ROW] * len(note.alerts))
    conn = await _pool.get()
    try:
        async with conn.transaction():
            await conn.execute((query + _CONFLICT).encode(), params)
    finally:
        _pool.put_nowait(conn)
    return JSONResponse({"stored": len(note.alerts)})


@contextlib.contextmanager
def floor_target(*, workdir: Path, admin_url: str, pool: int = 8) -> Iterator[Target]:
    """This app under ``python -m uvicorn`` (one process) on a fresh PostgreSQL database."""
    from bench._harness import LOOPBACK, _clean_env, _libpq, free_port, postgres_database
    from bench._targets import Target, spawn

    token, port = secrets.token_hex(16), free_port()
    with postgres_database(admin_url) as url:
        env = _clean_env({"FLOOR_DATABASE_URL": _libpq(url), "FLOOR_TOKEN": token,
                          "FLOOR_POOL": str(pool)})  # fmt: skip
        command = [sys.executable, "-m", "uvicorn", "bench.peers.floor:app", "--host", LOOPBACK,
                   "--port", str(port), "--workers", "1", "--no-access-log",
                   "--log-level", "warning"]  # fmt: skip
        base = f"http://{LOOPBACK}:{port}"
        log_path = workdir / "floor.log"
        with spawn("floor", command, env=env, cwd=workdir, log_path=log_path,
                   ready_url=f"{base}/readyz") as process:  # fmt: skip
            yield Target(
                system="floor",
                backend="postgresql",
                url=f"{base}/webhooks/alertmanager",
                headers={"authorization": f"Bearer {token}", "content-type": "application/json"},
                process=process,
                log_path=log_path,
                info={
                    "server": f"uvicorn bench.peers.floor:app, 1 process, async, {pool} "
                    "pooled psycopg connections"
                },
            )
