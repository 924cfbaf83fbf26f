"""``opsbot report``: the incident review (text, or JSON with ``--json``).

Registered on the ``opsbot`` group by ``bot.cli``."""

from __future__ import annotations

import json
import sys
from datetime import timedelta

import click

from bot.cli_common import load
from bot.domain.durations import parse_duration

__all__ = ["report"]


def _window(_ctx: click.Context, _param: click.Parameter, value: str) -> timedelta:
    try:
        window = parse_duration(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc
    if window <= timedelta(0):
        raise click.BadParameter("must be more than 0")
    return window


@click.command()
@click.option(
    "--since",
    "window",
    default="90d",
    show_default=True,
    callback=_window,
    help="How far back: incidents opened in this window (30d, 12w, 90d).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@click.pass_context
def report(ctx: click.Context, window: timedelta, as_json: bool) -> None:
    """The incident review: counts, MTTA/MTTR, missed deadlines, RCAs, action items."""
    from bot.clock import utcnow
    from bot.domain import report_render
    from bot.errors import ConfigError, StorageError
    from bot.services.report import review
    from storage import Database, migration_status

    try:
        settings, policy = load(ctx)
        database = Database(settings.database_url)
        try:
            if not migration_status(database.engine).is_current:
                click.echo(
                    "opsbot: the database schema is behind: run `opsbot db upgrade`", err=True
                )
                sys.exit(1)
            now = utcnow()
            found = review(db=database, policy=policy, since=now - window, now=now)
        finally:
            database.dispose()
    except ConfigError as exc:
        click.echo(f"opsbot: {exc}", err=True)
        sys.exit(2)
    except StorageError as exc:
        click.echo(f"opsbot: {exc}", err=True)
        sys.exit(1)
    if as_json:
        click.echo(json.dumps(report_render.as_json(found), indent=2))
    else:
        click.echo(report_render.render_text(found), nl=False)
