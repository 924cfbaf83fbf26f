"""Incident checklists (pure): the comms checklist an incident needs, and which items tick
themselves when opsbot does the thing.

Three checklists share one shape (``ItemSpec`` → a stored item that is done or not):
- ``comms``: internal announcement, client notice (by the severity's notice time), updates on
  cadence, resolution notice, RCA summary shared with the client (S1/S2 client incidents);
- ``rca``: the RCA sections (see ``bot.domain.rca``), started on resolve;
- ``playbook``: the steps of the service's playbook (see ``bot.domain.playbooks``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bot.domain.durations import format_duration
from bot.domain.severity import Severity

__all__ = [
    "COMMS",
    "PLAYBOOK",
    "RCA",
    "CommsEvent",
    "CommsItem",
    "ItemSpec",
    "ItemState",
    "auto_ticks",
    "comms_items",
    "progress",
]

COMMS, RCA, PLAYBOOK = "comms", "rca", "playbook"


class CommsItem(StrEnum):
    """The comms checklist's items."""

    INTERNAL = "internal_announcement"
    CLIENT_NOTICE = "client_notice"
    UPDATES = "updates_on_cadence"
    RESOLUTION = "resolution_notice"
    RCA_SHARED = "rca_shared"


class CommsEvent(StrEnum):
    """Things opsbot does that tick comms items."""

    ANNOUNCED = "announced"  # the incident was announced in the incidents channel
    CLIENT_POSTED = "client_posted"  # a client update reached the client's shared channel
    RESOLVED = "resolved"  # the incident was resolved


@dataclass(frozen=True)
class ItemSpec:
    """An item a checklist should hold: its key, label, section and deadline (if any)."""

    key: str
    label: str
    due_at: datetime | None = None
    section: str | None = None


@dataclass(frozen=True)
class ItemState:
    """A stored item as the renderers and rules see it."""

    checklist: str
    key: str
    label: str
    position: int
    section: str | None
    due_at: datetime | None
    done_at: datetime | None
    done_by: str | None

    @property
    def done(self) -> bool:
        """True once ticked (by opsbot or a person)."""
        return self.done_at is not None

    def overdue(self, now: datetime) -> bool:
        """Not done and past its deadline."""
        return not self.done and self.due_at is not None and now > self.due_at


def comms_items(
    *,
    severity: Severity,
    opened_at: datetime,
    update_every: timedelta,
    client_name: str | None,
    notice_within: timedelta | None,
) -> list[ItemSpec]:
    """The comms checklist for an incident of ``severity`` (on a client's service when
    ``client_name`` is given; ``notice_within`` is that client's notice time for the severity,
    None when the client is not notified at this severity)."""
    items = [ItemSpec(CommsItem.INTERNAL.value, "Internal announcement posted")]
    if client_name and notice_within is not None:
        label = f"{client_name} notified (within {format_duration(notice_within)})"
        items.append(ItemSpec(CommsItem.CLIENT_NOTICE.value, label, opened_at + notice_within))
    items.append(
        ItemSpec(
            CommsItem.UPDATES.value,
            f"Updates posted every {format_duration(update_every)} while open",
        )
    )
    told = f"{client_name} told it is resolved" if client_name else "Resolution notice posted"
    items.append(ItemSpec(CommsItem.RESOLUTION.value, told))
    if client_name and severity in (Severity.S1, Severity.S2):
        label = f"RCA summary shared with {client_name}"
        items.append(ItemSpec(CommsItem.RCA_SHARED.value, label))
    return items


def auto_ticks(
    event: CommsEvent, *, has_client: bool, resolved: bool, rca_complete: bool
) -> list[str]:
    """The comms items ``event`` ticks, given where the incident stands when it happens."""
    if event is CommsEvent.ANNOUNCED:
        return [CommsItem.INTERNAL.value]
    if event is CommsEvent.RESOLVED:
        ticks = [CommsItem.UPDATES.value]
        if not has_client:
            ticks.append(CommsItem.RESOLUTION.value)
        return ticks
    ticks = [CommsItem.CLIENT_NOTICE.value]
    if resolved:
        ticks.append(CommsItem.RESOLUTION.value)
    if rca_complete:
        ticks.append(CommsItem.RCA_SHARED.value)
    return ticks


def progress(items: list[ItemState]) -> tuple[int, int]:
    """``(done, total)``."""
    return sum(1 for item in items if item.done), len(items)
