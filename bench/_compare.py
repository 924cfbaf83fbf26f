"""Side by side: opsbot on PostgreSQL against alerta (the peer) and the floor, case by case.

The ratios are of alerts/s in the same case (group size, new/repeat, concurrency) on the same
PostgreSQL server. The targets come from the issue; they are printed as PASS / FAIL and never
asserted: a missed target does not change the exit status."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Protocol

from bench._harness import print_table

__all__ = ["ALERTA_TARGETS", "FLOOR_TARGET", "compare", "print_comparison"]

ALERTA_TARGETS = {1: 3.0, 100: 5.0}  # opsbot / alerta, alerts/s, by group size
FLOOR_TARGET = 0.5  # opsbot / floor, alerts/s, every case


class _Figures(Protocol):
    system: str
    backend: str
    group_size: int
    mode: str
    concurrency: int
    alerts_per_s: float
    errors: int


def _ratio(ours: float | None, theirs: float | None) -> float | None:
    if ours is None or theirs is None or not theirs or math.isnan(theirs):
        return None
    return round(ours / theirs, 2)


def _verdict(ratio: float | None, target: float | None) -> str | None:
    if target is None:
        return None
    if ratio is None:
        return "n/a"
    return "PASS" if ratio >= target else "FAIL"


def compare(results: Sequence[_Figures], backend: str = "postgresql") -> list[dict[str, Any]]:
    """One dict per opsbot case on ``backend`` that a peer or the floor also ran."""
    by_key = {(r.system, r.backend, r.group_size, r.mode, r.concurrency): r for r in results}
    rows = []
    for r in results:
        if r.system != "opsbot" or r.backend != backend:
            continue
        case = (r.group_size, r.mode, r.concurrency)
        peer = by_key.get(("alerta", "postgresql", *case))
        floor = by_key.get(("floor", "postgresql", *case))
        if peer is None and floor is None:
            continue
        peer_rate = peer.alerts_per_s if peer is not None and not peer.errors else None
        floor_rate = floor.alerts_per_s if floor is not None and not floor.errors else None
        vs_peer, vs_floor = _ratio(r.alerts_per_s, peer_rate), _ratio(r.alerts_per_s, floor_rate)
        peer_target = ALERTA_TARGETS.get(r.group_size)
        rows.append({
            "group_size": r.group_size, "mode": r.mode, "concurrency": r.concurrency,
            "opsbot_backend": backend, "opsbot_alerts_per_s": r.alerts_per_s,
            "alerta_alerts_per_s": peer_rate, "floor_alerts_per_s": floor_rate,
            "opsbot_over_alerta": vs_peer, "alerta_target": peer_target,
            "alerta_verdict": _verdict(vs_peer, peer_target) if peer is not None else None,
            "opsbot_over_floor": vs_floor, "floor_target": FLOOR_TARGET,
            "floor_verdict": _verdict(vs_floor, FLOOR_TARGET) if floor is not None else None,
        })  # fmt: skip
    return rows


def _times(ratio: float | None) -> str:
    return "n/a" if ratio is None else f"{ratio:,.2f}x"


def _against(ratio: float | None, target: float | None, verdict: str | None) -> str:
    if verdict is None and target is None:
        return f"{_times(ratio)}  (no target)"
    return f"{_times(ratio)}  {verdict or 'n/a'} (target >= {target:g}x)"


def print_comparison(rows: Sequence[dict[str, Any]]) -> None:
    """The ratio table: alerts/s of each system, then opsbot/alerta and opsbot/floor."""
    if not rows:
        return
    print()
    print(f"opsbot on {rows[0]['opsbot_backend']} against alerta and the floor (alerts/s)")
    print_table(
        [
            "alerts/req",
            "mode",
            "conc",
            "opsbot",
            "alerta",
            "floor",
            "opsbot/alerta",
            "opsbot/floor",
        ],
        [
            [
                row["group_size"],
                row["mode"],
                row["concurrency"],
                row["opsbot_alerts_per_s"],
                "n/a" if row["alerta_alerts_per_s"] is None else row["alerta_alerts_per_s"],
                "n/a" if row["floor_alerts_per_s"] is None else row["floor_alerts_per_s"],
                _against(row["opsbot_over_alerta"], row["alerta_target"], row["alerta_verdict"]),
                _against(row["opsbot_over_floor"], row["floor_target"], row["floor_verdict"]),
            ]
            for row in rows
        ],
    )
