"""Imports every method module so that the registry is complete."""

from __future__ import annotations

from . import (  # noqa: F401 - imported for their @method registrations
    _methods_channel,
    _methods_chat,
    _methods_conversations,
    _methods_misc,
    _methods_views,
)
from ._registry import REGISTRY, emitted_errors

__all__ = ["REGISTRY", "emitted_errors", "implemented_methods"]


def implemented_methods() -> list[str]:
    """Names of every emulated Web API method."""
    return sorted(REGISTRY)
