"""``opsbot backup PATH`` and ``opsbot restore PATH [--force]`` (registered in ``bot.cli``)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import click

from bot.cli_common import friendly_errors, load

if TYPE_CHECKING:  # bot.backup loads storage: only when a command runs
    from bot.backup import BackupInfo, RestoreInfo

__all__ = ["backup_command", "restore_command"]

_FILE = click.Path(dir_okay=False, path_type=Path)
Info = TypeVar("Info", bound="BackupInfo")


@click.command("backup")
@click.argument("path", type=_FILE)
@click.pass_context
def backup_command(ctx: click.Context, path: Path) -> None:
    """Copy the database into PATH; safe while opsbot runs (SQLite file or pg_dump archive)."""
    from bot.backup import backup

    info = _run(ctx, lambda url: backup(url, path))
    click.echo(f"backed up the {info.backend} database (schema {info.revision}) to {info.path}")
    _report(info)


@click.command("restore")
@click.argument("path", type=_FILE)
@click.option(
    "--force",
    is_flag=True,
    help="Replace a database that holds incidents, or that a running opsbot serves from.",
)
@click.pass_context
def restore_command(ctx: click.Context, path: Path, force: bool) -> None:
    """Replace the database with the backup in PATH, then upgrade it. Stop opsbot first:
    refused (exit 1) while an opsbot process serves from the database."""
    from bot.backup import restore

    info: RestoreInfo = _run(ctx, lambda url: restore(url, path, force=force))
    upgraded = f", upgraded to {info.head}" if info.head != info.revision else ""
    click.echo(f"restored {info.path} (schema {info.revision}{upgraded}) into the "
               f"{info.backend} database")  # fmt: skip
    _report(info)


def _run(ctx: click.Context, action: Callable[[str], Info]) -> Info:
    """Load the settings as every command does; refusals exit 2, failures 1."""
    from bot.backup import BackupRefused

    @friendly_errors
    def run() -> Info:
        settings, _ = load(ctx)
        try:
            return action(settings.database_url)
        except BackupRefused as exc:
            click.echo(f"opsbot: {exc}", err=True)
            sys.exit(2)

    return run()


def _report(info: BackupInfo) -> None:
    width = max([len("table"), *(len(name) for name in info.tables)])
    click.echo(f"{'table'.ljust(width)}  {'rows':>9}")
    for name, rows in info.tables.items():
        click.echo(f"{name.ljust(width)}  {rows:>9,}")
    click.echo(f"{_size(info.size_bytes)} in {info.seconds:.2f} s")


def _size(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    value, unit = size / 1024, "KB"
    for bigger in ("MB", "GB"):
        if value >= 1024:
            value, unit = value / 1024, bigger
    return f"{value:,.1f} {unit}"
