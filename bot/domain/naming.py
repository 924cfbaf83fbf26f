"""Slack channel names for incidents: ``inc-<yyyymmdd>-<short-slug>`` within Slack's rules."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime

__all__ = ["MAX_CHANNEL_NAME", "incident_channel_name", "slugify"]

MAX_CHANNEL_NAME = 80
_NOT_ALLOWED = re.compile(r"[^a-z0-9_-]+")
_DASHES = re.compile(r"-{2,}")


def slugify(text: str, *, max_length: int) -> str:
    """Lowercase ASCII letters, digits, ``-`` and ``_``; runs of anything else become one ``-``."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = _DASHES.sub("-", _NOT_ALLOWED.sub("-", ascii_text.lower())).strip("-_")
    return slug[:max_length].rstrip("-_")


def incident_channel_name(opened_at: datetime, title: str, *, attempt: int = 1) -> str:
    """The channel name; ``attempt`` > 1 adds ``-<attempt>`` after a ``name_taken``."""
    prefix = f"inc-{opened_at:%Y%m%d}-"
    suffix = f"-{attempt}" if attempt > 1 else ""
    room = min(32, MAX_CHANNEL_NAME - len(prefix) - len(suffix))
    slug = slugify(title, max_length=room) or "incident"
    return f"{prefix}{slug}{suffix}"
