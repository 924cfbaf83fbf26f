"""Before and after on a shared machine: two opsbot source trees served side by side.

``python -m bench.paired BEFORE AFTER [--backend sqlite|postgresql] [--sizes 1,100,1000]
[--rounds 4] [--burst 1.5]`` starts ``python -m bot.cli serve`` from each tree (for example
``git worktree add /tmp/before HEAD`` and this checkout), each on its own fresh database, and
runs ``bench.ingest``'s cases against both at once: per case, ``--rounds`` bursts of
``--burst`` seconds alternate between the two (the order flips every round), so both see the
same load from whatever else runs on the machine. Prints req/s and p50 / p99 per tree and the
ratio after/before, then one ``BENCH_JSON`` line. A comparison tool: ``python -m bench`` does
not run it.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import secrets
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from bench._harness import (
    DEFAULT_PG_ADMIN_URL,
    LOOPBACK,
    Server,
    _clean_env,
    _die_with_parent,
    _stop,
    _wait_ready,
    emit_json,
    free_port,
    interrupt_on_signals,
    percentile,
    post_load,
    postgres_database,
    run_async,
)
from bench.ingest import MODES, POLICY_YAML, _bodies, body_template

__all__ = ["main"]


@contextlib.contextmanager
def _server(tree: Path, backend: str, workdir: Path) -> Iterator[Server]:
    with contextlib.ExitStack() as stack:
        if backend == "sqlite":
            url = f"sqlite:///{workdir / 'opsbot.db'}"
        else:
            url = stack.enter_context(postgres_database(DEFAULT_PG_ADMIN_URL))
        (workdir / "opsbot-bench.yml").write_text(POLICY_YAML)
        token = secrets.token_hex(16)
        env = _clean_env({"DATABASE_URL": url, "ALERTMANAGER_TOKEN": token,
                          "OPSBOT_API_TOKEN": token, "LOG_LEVEL": "WARNING",
                          "OPSBOT_CONFIG": str(workdir / "opsbot-bench.yml")})  # fmt: skip
        # The tree's own code first (and its copy of the directory hiding uvicorn's extras).
        env["PYTHONPATH"] = f"{tree / 'bench' / '_as_deployed'}:{tree}"
        port = free_port()
        command = [
            sys.executable,
            "-m",
            "bot.cli",
            "serve",
            "--host",
            LOOPBACK,
            "--port",
            str(port),
        ]
        with (workdir / "opsbot.log").open("wb") as log:
            process = subprocess.Popen(command, cwd=workdir, env=env, stdin=subprocess.DEVNULL,
                                       stdout=log, stderr=subprocess.STDOUT,
                                       preexec_fn=_die_with_parent)  # fmt: skip
        server = Server(f"http://{LOOPBACK}:{port}", token, token, process, workdir / "opsbot.log")
        try:
            _wait_ready(server, 90)
            yield server
        finally:
            _stop(process)


def _problem(response: httpx.Response) -> str | None:
    return None if response.status_code == 200 else f"HTTP {response.status_code}"


async def _compare(servers: dict[str, Server], args: argparse.Namespace) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    tokens = itertools.count(1)
    limits = httpx.Limits(max_connections=8, keepalive_expiry=60)
    async with httpx.AsyncClient(limits=limits, timeout=600) as client:
        for size, mode, conc in itertools.product(args.sizes, MODES, (1, 8)):
            bodies = {name: _bodies(body_template(size), mode, tokens) for name in servers}
            seen: dict[str, dict[str, Any]] = {n: {"ms": [], "ok": 0, "s": 0.0} for n in servers}

            async def burst(name: str, seconds: float, requests: int, size: int = size,
                            conc: int = conc, bodies: dict[str, Any] = bodies) -> Any:  # fmt: skip
                server = servers[name]
                headers = {"authorization": f"Bearer {server.alertmanager_token}",
                           "content-type": "application/json"}  # fmt: skip
                return await post_load(client, f"{server.url}/webhooks/alertmanager", headers,
                                       bodies[name], concurrency=conc, max_requests=requests,
                                       max_seconds=seconds, problem=_problem)  # fmt: skip

            for name in servers:  # warm-up, not measured (creates the repeat group)
                await burst(name, 60, max(conc, 2))
            for turn in range(args.rounds):
                for name in list(servers)[:: 1 if turn % 2 == 0 else -1]:
                    sample = await burst(name, args.burst, 1_000_000)
                    seen[name]["ms"] += [x * 1000 for x in sample.latencies]
                    seen[name]["ok"] += len(sample.latencies) - len(sample.errors)
                    seen[name]["s"] += sample.seconds
            row: dict[str, Any] = {"backend": args.backend, "group_size": size, "mode": mode,
                                   "concurrency": conc}  # fmt: skip
            for name, got in seen.items():
                ms = sorted(got["ms"])
                row[name] = {"requests": len(ms), "requests_per_s": round(got["ok"] / got["s"], 1),
                             "p50_ms": round(percentile(ms, 50), 1),
                             "p99_ms": round(percentile(ms, 99), 1)}  # fmt: skip
            row["after/before"] = round(
                row["after"]["requests_per_s"] / max(row["before"]["requests_per_s"], 1e-9), 2
            )
            rows.append(row)
            cells = [f"{r['requests_per_s']:7.1f} req/s {r['p50_ms']:7.1f} / {r['p99_ms']:7.1f} ms"
                     for r in (row["before"], row["after"])]  # fmt: skip
            print(f"{args.backend:10} {size:>5} {mode:6} c={conc}  before {cells[0]}   after "
                  f"{cells[1]}   {row['after/before']:.2f}x", flush=True)  # fmt: skip
    return rows


def main(argv: list[str] | None = None) -> int:
    """``python -m bench.paired BEFORE AFTER``: see the module docstring."""
    parser = argparse.ArgumentParser(prog="python -m bench.paired", description=__doc__)
    parser.add_argument("before", type=Path, help="source tree of the version before")
    parser.add_argument("after", type=Path, help="source tree of the version after")
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="postgresql")
    parser.add_argument("--sizes", default="1,100,1000", help="group sizes (default 1,100,1000)")
    parser.add_argument("--rounds", type=int, default=4, help="bursts per tree and case")
    parser.add_argument("--burst", type=float, default=1.5, help="seconds per burst")
    args = parser.parse_args(argv)
    args.sizes = [int(s) for s in args.sizes.split(",")]
    interrupt_on_signals()
    try:
        with (
            tempfile.TemporaryDirectory(prefix="opsbot-paired-") as tmp,
            contextlib.ExitStack() as st,
        ):
            servers = {}
            for name, tree in (("before", args.before), ("after", args.after)):
                (Path(tmp) / name).mkdir()
                servers[name] = st.enter_context(_server(tree.resolve(), args.backend,
                                                         Path(tmp) / name))  # fmt: skip
            rows = run_async(_compare(servers, args))
    except KeyboardInterrupt:
        print("interrupted; everything started was stopped", file=sys.stderr)
        return 130
    except RuntimeError as exc:
        print(f"benchmark failed: {exc}", file=sys.stderr)
        return 2
    emit_json("paired", rows, before=str(args.before), after=str(args.after))
    return 0


if __name__ == "__main__":
    sys.exit(main())
