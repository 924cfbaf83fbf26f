"""Alertmanager's webhook payload (version 4), validated; and small pure helpers on it."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = ["AMAlert", "AMNotification", "group_hash"]

_ZERO_TIME_YEAR = 1  # Alertmanager sends 0001-01-01T00:00:00Z for "no end yet"


def _storable(value: Any) -> Any:
    """A text (or a text-to-text dict) the databases take: no NUL (PostgreSQL refuses it) and
    no lone surrogate, which only a JSON escape such as ``\\ud800`` can produce."""
    texts = [*value.keys(), *value.values()] if isinstance(value, dict) else [value]
    for text in texts:
        if not isinstance(text, str):
            continue
        if "\x00" in text:
            raise ValueError("text must not contain NUL characters (\\u0000)")
        if not text.isascii():
            try:
                text.encode()
            except UnicodeEncodeError:
                raise ValueError("text must not contain lone surrogates (\\ud800)") from None
    return value


class AMAlert(BaseModel):
    """One alert inside a notification."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    status: Literal["firing", "resolved"]
    labels: dict[str, str]
    annotations: dict[str, str] = Field(default_factory=dict)
    starts_at: datetime = Field(alias="startsAt")
    ends_at: datetime | None = Field(default=None, alias="endsAt")
    generator_url: str = Field(default="", alias="generatorURL", max_length=2048)
    fingerprint: str = Field(min_length=1, max_length=64)

    _texts = field_validator("*")(_storable)

    @field_validator("ends_at")
    @classmethod
    def _zero_is_none(cls, value: datetime | None) -> datetime | None:
        return None if value is None or value.year == _ZERO_TIME_YEAR else value

    @field_validator("starts_at", "ends_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("timestamps must carry a timezone (RFC 3339)")
        try:
            return value.astimezone(UTC)
        except OverflowError:  # 0001-01-01T00:00:00+01:00 is in year 0 once in UTC
            raise ValueError("timestamp out of range once in UTC") from None

    @property
    def name(self) -> str:
        """The ``alertname`` label (or the fingerprint when it has none)."""
        return self.labels.get("alertname", self.fingerprint)

    @property
    def summary(self) -> str:
        """The summary annotation, else the alert name."""
        return self.annotations.get("summary") or self.name


class AMNotification(BaseModel):
    """A whole webhook body: one group's alerts."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    version: Literal["4"]
    group_key: str = Field(alias="groupKey", min_length=1, max_length=8192)
    # The incident keeps it in a 32-bit integer column.
    truncated_alerts: int = Field(default=0, alias="truncatedAlerts", ge=0, le=2**31 - 1)
    status: Literal["firing", "resolved"]
    receiver: str = Field(max_length=256)
    group_labels: dict[str, str] = Field(default_factory=dict, alias="groupLabels")
    common_labels: dict[str, str] = Field(default_factory=dict, alias="commonLabels")
    common_annotations: dict[str, str] = Field(default_factory=dict, alias="commonAnnotations")
    external_url: str = Field(default="", alias="externalURL", max_length=2048)
    alerts: list[AMAlert] = Field(min_length=1)

    _texts = field_validator("*")(_storable)


def group_hash(group_key: str) -> str:
    """A fixed-size key for a group (Alertmanager group keys can be long)."""
    return hashlib.sha256(group_key.encode()).hexdigest()
