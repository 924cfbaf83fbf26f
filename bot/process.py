"""Process-wide settings of a long-running opsbot process (``opsbot serve`` and its children)."""

from __future__ import annotations

import gc

__all__ = ["GC_THRESHOLDS", "tune_gc"]

# CPython's defaults (700, 10, 10) run a young collection every 700 net allocations and a
# full one every 100 young ones; a full one walks every tracked object. Under 50 concurrent
# Slack clients those pauses were the acknowledgement's tail: p99 465 -> 177 ms, and CPU per
# request 2.27 -> 1.80 ms (``python -m bench.ack``, SQLite, bench/RESULTS.md).
GC_THRESHOLDS = (50_000, 20, 100)


def tune_gc() -> None:
    """Call once the app is built: what exists now (modules, the app, the policy) is moved out
    of the collector's sight for good, and collections run less often."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
