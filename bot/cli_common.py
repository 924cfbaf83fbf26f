"""What every ``opsbot`` command shares: loading settings, policy and logging, and turning
configuration and storage errors into a one-line message and an exit code."""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import click

from bot.errors import ConfigError, StorageError
from bot.logs import configure_logging
from bot.policy import Policy, load_policy
from bot.settings import Settings, get_settings

__all__ = ["configured", "friendly_errors", "load"]

F = TypeVar("F", bound=Callable[..., Any])


def friendly_errors(func: F) -> F:
    """Configuration errors exit 2, storage errors 1, each with its message."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ConfigError as exc:
            click.echo(f"opsbot: {exc}", err=True)
            sys.exit(2)
        except StorageError as exc:
            click.echo(f"opsbot: {exc}", err=True)
            sys.exit(1)

    return wrapper  # type: ignore[return-value]


def load(ctx: click.Context, *, logs_to_stdout: bool = False) -> tuple[Settings, Policy]:
    """Settings and policy; logs go to stdout for ``serve``, to stderr for one-shot commands."""
    root = ctx.find_root().obj or {}
    stream = sys.stdout if logs_to_stdout else sys.stderr
    return configured(fmt=root.get("log_format", "json"), stream=stream)


def configured(*, fmt: str, stream: Any) -> tuple[Settings, Policy]:
    """Settings and policy from the environment, and logging set up with their secrets."""
    settings = get_settings()
    policy = load_policy(settings.policy_path())
    configure_logging(
        level=settings.log_level,
        fmt="text" if fmt == "text" else "json",
        secrets=settings.secret_values(),
        stream=stream,
    )
    return settings, policy
