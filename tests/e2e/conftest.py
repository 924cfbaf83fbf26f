"""Fixtures for end-to-end tests against the real Prometheus and Alertmanager, and the real
LangGraph dev server."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator

import pytest

from bot.sandbox.langgraph import LangGraphError, LangGraphServer

from .promstack import INSTALL_HINT, PromBinaries, find_binaries
from .workflow_exporter import WorkflowStack, start_workflow_stack


@pytest.fixture(scope="module")
def binaries() -> PromBinaries:
    """The real binaries; skip with the install hint, or fail where CI requires them."""
    found = find_binaries()
    if found is None:
        in_ci = os.environ.get("CI", "").lower() not in ("", "0", "false")
        if in_ci or os.environ.get("OPSBOT_REQUIRE_PROMSTACK") == "1":
            pytest.fail(f"{INSTALL_HINT} (required because CI/OPSBOT_REQUIRE_PROMSTACK is set)")
        pytest.skip(INSTALL_HINT)
    return found


@pytest.fixture(scope="module")
def workflow_stack(
    binaries: PromBinaries, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WorkflowStack]:
    """A :class:`WorkflowExporter` scraped every second by a real Prometheus (no rules, no
    Alertmanager), already scraped once; shared by the tests of a module."""
    with start_workflow_stack(binaries, tmp_path_factory.mktemp("workflow-prom")) as stack:
        yield stack


@pytest.fixture(scope="session")
def langgraph_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LangGraphServer]:
    """``langgraph dev`` serving the ``ops`` graph on loopback for the session; skip when it
    cannot start, or fail where CI/OPSBOT_REQUIRE_LANGGRAPH requires it."""
    server = LangGraphServer(tmp_path_factory.mktemp("langgraph"))
    try:
        server.start()
    except LangGraphError as exc:
        reason = f"LangGraph dev server unavailable: {exc}"
        in_ci = os.environ.get("CI", "").lower() not in ("", "0", "false")
        if in_ci or os.environ.get("OPSBOT_REQUIRE_LANGGRAPH") == "1":
            pytest.fail(f"{reason} (required because CI/OPSBOT_REQUIRE_LANGGRAPH is set)")
        pytest.skip(reason)
    print(
        f"\nlanggraph dev ready in {server.startup_seconds:.1f}s at {server.url}", file=sys.stderr
    )
    try:
        yield server
    finally:
        server.stop()
