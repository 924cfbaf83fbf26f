"""The ``opsbot`` command line: serve, db, check, manifest, demo."""

from __future__ import annotations

import asyncio
import sys

import click

from bot import __version__, cli_access
from bot.cli_backup import backup_command, restore_command
from bot.cli_common import friendly_errors, load
from bot.cli_report import report
from bot.logs import configure_logging

__all__ = ["main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="opsbot")
@click.option(
    "--log-format",
    type=click.Choice(["json", "text"]),
    default="json",
    show_default=True,
    help="JSON lines for machines, text for humans.",
)
@click.pass_context
def main(ctx: click.Context, log_format: str) -> None:
    """opsbot: Slack chat-ops for AI workflow operations."""
    ctx.obj = {"log_format": log_format}


@main.command()
@click.option("--host", default=None, help="Interface to bind (default OPSBOT_HOST or 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default OPSBOT_PORT or 8080).")
@click.option(
    "--ssl-certfile",
    type=click.Path(dir_okay=False),
    default=None,
    help="PEM certificate (chain) to serve HTTPS (default OPSBOT_SSL_CERTFILE).",
)
@click.option(
    "--ssl-keyfile",
    type=click.Path(dir_okay=False),
    default=None,
    help="PEM private key of the certificate, unencrypted (default OPSBOT_SSL_KEYFILE).",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 32),
    default=None,
    help="Processes serving (default OPSBOT_WORKERS or 1; more than 1 needs PostgreSQL).",
)
@click.pass_context
@friendly_errors
def serve(
    ctx: click.Context,
    host: str | None,
    port: int | None,
    ssl_certfile: str | None,
    ssl_keyfile: str | None,
    workers: int | None,
) -> None:
    """Upgrade the database, then serve Slack, webhooks and the REST API (HTTPS with a key)."""
    import os
    from pathlib import Path

    import uvicorn

    from bot.app import create_app
    from bot.asgi import LOG_FORMAT_VARIABLE
    from bot.errors import ConfigError
    from bot.process import tune_gc
    from storage import Database, upgrade

    settings, policy = load(ctx, logs_to_stdout=True)
    tls = settings.tls_files(
        Path(ssl_certfile) if ssl_certfile else None, Path(ssl_keyfile) if ssl_keyfile else None
    )
    processes = workers or settings.opsbot_workers
    db = Database(settings.database_url)
    if processes > 1 and db.is_sqlite:
        raise ConfigError(
            ["--workers/OPSBOT_WORKERS: above 1 needs PostgreSQL (SQLite has one writer)"]
        )
    upgrade(db.engine)
    served = dict(
        host=host or settings.opsbot_host,
        port=port or settings.opsbot_port,
        log_config=None,
        access_log=False,
        ssl_certfile=tls[0] if tls else None,
        ssl_keyfile=tls[1] if tls else None,
    )
    if processes == 1:
        app = create_app(settings, policy, db=db)
        tune_gc()
        uvicorn.run(app, **served)  # type: ignore[arg-type]
        return
    db.dispose()  # each worker opens its own
    os.environ[LOG_FORMAT_VARIABLE] = (ctx.find_root().obj or {}).get("log_format", "json")
    uvicorn.run(
        "bot.asgi:app_from_environment",
        factory=True,
        workers=processes,
        **served,  # type: ignore[arg-type]
    )


@main.group()
def db() -> None:
    """Database schema commands."""


@db.command("upgrade")
@click.pass_context
@friendly_errors
def db_upgrade(ctx: click.Context) -> None:
    """Apply every pending migration (safe to run again)."""
    from storage import Database, upgrade

    settings, _ = load(ctx.find_root())
    database = Database(settings.database_url)
    status = upgrade(database.engine)
    database.dispose()
    click.echo(f"database at revision {status.current}")


@db.command("status")
@click.pass_context
@friendly_errors
def db_status(ctx: click.Context) -> None:
    """Show the schema revision against the code's newest; exit 1 when behind."""
    from storage import Database, migration_status

    settings, _ = load(ctx.find_root())
    database = Database(settings.database_url)
    status = migration_status(database.engine)
    database.dispose()
    click.echo(f"database {status.current or 'empty'}, code {status.head}")
    sys.exit(0 if status.is_current else 1)


@main.command()
@click.pass_context
@friendly_errors
def check(ctx: click.Context) -> None:
    """Validate the configuration and reach each configured integration."""
    from bot.services.check import run_checks

    settings, policy = load(ctx)
    rows = asyncio.run(run_checks(settings, policy))
    width = max(len("integration"), *(len(row.name) for row in rows))
    click.echo(f"{'integration'.ljust(width)}  state   detail")
    for row in rows:
        click.echo(f"{row.name.ljust(width)}  {row.state.ljust(6)}  {row.detail}")
    sys.exit(1 if any(row.state == "FAILED" for row in rows) else 0)


@main.group()
def outbox() -> None:
    """The outbox of Slack, Jira and Notion effects."""


@outbox.command("retry")
@click.option("--id", "ids", type=int, multiple=True, help="Only these effects (repeatable).")
@click.pass_context
@friendly_errors
def outbox_retry(ctx: click.Context, ids: tuple[int, ...]) -> None:
    """Send dead-lettered effects again (all of them, or those given with --id)."""
    from bot.clock import utcnow
    from bot.services.queries import redrive_dead
    from storage import Database

    settings, _ = load(ctx.find_root())
    database = Database(settings.database_url)
    count = redrive_dead(db=database, now=utcnow(), ids=list(ids) or None)
    database.dispose()
    click.echo(f"{count} effect(s) queued again; a running opsbot delivers them")


@main.command()
@click.option("--url", required=True, help="Public https URL where opsbot is reachable.")
def manifest(url: str) -> None:
    """Print the Slack app manifest with the request URLs filled in."""
    from bot.adapters.slack.manifest import render_manifest

    if not url.startswith("https://"):
        raise click.BadParameter("Slack requires an https:// URL", param_hint="--url")
    click.echo(render_manifest(url), nl=False)


@main.command()
@click.option("--quiet-logs/--show-logs", default=True, help="Hide opsbot's own log lines.")
@friendly_errors
def demo(quiet_logs: bool) -> None:
    """Play a scripted scenario against a sandbox Slack and print the transcript."""
    from bot.demo import run_demo

    configure_logging(level="WARNING" if quiet_logs else "INFO", fmt="text")
    click.echo(run_demo())


main.add_command(cli_access.token)
main.add_command(cli_access.audit)
main.add_command(report)
main.add_command(backup_command)
main.add_command(restore_command)

if __name__ == "__main__":
    main()
