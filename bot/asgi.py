"""The app of one worker process of ``opsbot serve --workers N``, built from the environment.

uvicorn imports ``bot.asgi:app_from_environment`` in each worker it starts and calls it
(``factory=True``); the parent has already checked the settings and upgraded the database.
"""

from __future__ import annotations

import os

from fastapi import FastAPI

from bot.app import create_app
from bot.cli_common import configured
from bot.process import tune_gc

__all__ = ["LOG_FORMAT_VARIABLE", "app_from_environment"]

LOG_FORMAT_VARIABLE = "OPSBOT_LOG_FORMAT"  # set by ``opsbot serve`` for its workers


def app_from_environment() -> FastAPI:
    """Settings, policy and logging as ``opsbot serve`` loads them; the app owns its database
    handle (closed when the worker stops)."""
    settings, policy = configured(fmt=os.environ.get(LOG_FORMAT_VARIABLE, "json"), stream=None)
    app = create_app(settings, policy)
    tune_gc()
    return app
