"""Hides ``uvloop`` from the servers the benchmarks start (see ``bench/_harness.py``)."""

raise ImportError("uvloop is hidden by bench/_as_deployed: not one of opsbot's dependencies")
