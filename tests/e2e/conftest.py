"""Fixtures for end-to-end tests against the real Prometheus and Alertmanager."""

from __future__ import annotations

import os

import pytest

from .promstack import INSTALL_HINT, PromBinaries, find_binaries


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
