"""What the Notion and n8n sandboxes share: injected faults, the request journal and the
``/_sandbox/journal`` and ``/_sandbox/faults`` controls over them."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import threading
import time
from collections.abc import Callable
from dataclasses import Field
from typing import Any, ClassVar, Concatenate, Generic, ParamSpec, Protocol, TypeVar

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


class FaultRule:
    """Which requests an injected fault applies to, and how often it fires.

    Not a dataclass: each sandbox's fault dataclass declares every field (these six among
    them) in its own order, so positional construction, ``repr`` and ``dataclasses.asdict``
    keep their order. ``method=None`` matches every HTTP method.
    """

    __dataclass_fields__: ClassVar[dict[str, Field[Any]]]
    path_prefix: str
    method: str | None
    times: int | None
    every: int | None
    seen: int
    fired: int

    def matches(self, method: str, path: str) -> bool:
        """True if the fault applies to ``method path``."""
        if self.method is not None and self.method.upper() != method.upper():
            return False
        return path.startswith(self.path_prefix)

    def consider(self) -> bool:
        """Count one matching call; True when the fault fires on it."""
        self.seen += 1
        if self.times is not None and self.fired >= self.times:
            return False
        if self.every is not None and self.seen % self.every != 0:
            return False
        self.fired += 1
        return True


class Call(Protocol):
    """A journal entry (a dataclass): what the journal filters on."""

    __dataclass_fields__: ClassVar[dict[str, Field[Any]]]

    @property
    def method(self) -> str: ...

    @property
    def path(self) -> str: ...


F = TypeVar("F", bound=FaultRule)
C = TypeVar("C", bound=Call)
P = ParamSpec("P")


class Journal(Generic[C]):
    """Recorded requests, numbered from 1, guarded by the owning state's ``lock``."""

    def __init__(self, lock: threading.RLock) -> None:
        self._lock = lock
        self._entries: list[C] = []
        self._seq = 0

    def record(
        self, make: Callable[Concatenate[int, float, P], C], *args: P.args, **kwargs: P.kwargs
    ) -> C:
        """Append ``make(seq, now, *args, **kwargs)`` and answer it."""
        with self._lock:
            self._seq += 1
            entry = make(self._seq, time.time(), *args, **kwargs)
            self._entries.append(entry)
            return entry

    def calls(self, path_prefix: str | None = None) -> list[C]:
        """Journal entries, oldest first, optionally only paths starting with ``path_prefix``."""
        with self._lock:
            return [
                c for c in self._entries if path_prefix is None or c.path.startswith(path_prefix)
            ]

    def count(self, method: str | None, path_prefix: str | None) -> int:
        """How many requests of ``method`` (any if None) hit paths under ``path_prefix``."""
        calls = self.calls(path_prefix)
        return sum(1 for c in calls if method is None or c.method.upper() == method.upper())


class SandboxState(Generic[F, C]):
    """The faults and journal of a sandbox state; everything under one re-entrant ``lock``."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.faults: list[F] = []
        self._journal: Journal[C] = Journal(self.lock)

    def calls(self, path_prefix: str | None = None) -> list[C]:
        """Journal entries, oldest first, optionally only paths starting with ``path_prefix``."""
        return self._journal.calls(path_prefix)

    def add_fault(self, fault: F) -> F:
        """Inject a fault; it applies to later requests."""
        with self.lock:
            self.faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        """Remove every injected fault."""
        with self.lock:
            self.faults.clear()

    def take_fault(self, method: str, path: str) -> F | None:
        """The fault firing for this request, if any (every matching fault counts the call)."""
        with self.lock:
            fired = [f for f in self.faults if f.matches(method, path) and f.consider()]
            return fired[0] if fired else None


async def client_gone_within(request: Request, seconds: float) -> bool:
    """Wait ``seconds`` (a delay, or an answer held back); True as soon as the client
    disconnects."""

    async def disconnected() -> None:
        while (await request.receive())["type"] != "http.disconnect":
            pass

    waiter = asyncio.ensure_future(disconnected())
    done, _ = await asyncio.wait({waiter}, timeout=seconds)
    waiter.cancel()
    return bool(done)


def parse_fault(raw: bytes, cls: type[F], kinds: tuple[str, ...]) -> F | JSONResponse:
    """A fault of ``cls`` from a JSON object (unknown keys, ``seen`` and ``fired`` ignored), or
    the 400 ``{"ok": false, "error": ...}`` to answer when it is not one."""
    names = [f.name for f in dataclasses.fields(cls) if f.name not in ("seen", "fired")]
    try:
        data = json.loads(raw or b"{}")
        if not isinstance(data, dict) or data.get("kind", "error") not in kinds:
            raise ValueError("bad fault")
        return cls(**{k: data[k] for k in names if k in data})
    except (ValueError, TypeError) as exc:
        return JSONResponse({"ok": False, "error": str(exc)}, status_code=400)


def sandbox_routes(
    current: Callable[[], SandboxState[F, Any]], cls: type[F], kinds: tuple[str, ...]
) -> list[Route]:
    """``GET /_sandbox/journal`` (``?path_prefix=``) and ``GET/POST/DELETE /_sandbox/faults``
    on the state ``current()`` answers (it may be swapped between requests)."""

    async def journal(request: Request) -> Response:
        prefix = request.query_params.get("path_prefix")
        calls = [dataclasses.asdict(c) for c in current().calls(prefix)]
        return JSONResponse({"ok": True, "calls": calls})

    async def faults(request: Request) -> Response:
        state = current()
        if request.method == "DELETE":
            state.clear_faults()
            return JSONResponse({"ok": True})
        if request.method == "GET":
            listed = [dataclasses.asdict(f) for f in state.faults]
            return JSONResponse({"ok": True, "faults": listed})
        fault = parse_fault(await request.body(), cls, kinds)
        if isinstance(fault, JSONResponse):
            return fault
        state.add_fault(fault)
        return JSONResponse({"ok": True, "fault": dataclasses.asdict(fault)})

    return [
        Route("/_sandbox/journal", journal, methods=["GET"]),
        Route("/_sandbox/faults", faults, methods=["GET", "POST", "DELETE"]),
    ]
