"""Polling with a deadline, for things that happen after a request returns."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

__all__ = ["wait_until"]


def wait_until(
    check: Callable[[], Any], *, timeout: float = 10.0, what: str = "", interval: float = 0.05
) -> Any:
    """Call ``check`` until it returns something truthy (returned); fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what or check}")
