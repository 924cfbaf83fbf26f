"""What ``bench.ingest`` puts opsbot side by side with: ``alerta`` (the peer, alerta-server in its
own virtualenv) and ``floor`` (a bare FastAPI endpoint with one multi-row insert).

Not a benchmark of its own (``python -m bench`` skips it); should a runner call ``main``
anyway, it says so and does nothing."""

from __future__ import annotations

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    """Nothing to run: ``bench.ingest`` starts the peers (``--peers``)."""
    del argv
    print("bench.peers: started by bench.ingest (--peers), nothing to run on its own")
    return 0
