"""Who is asking, and what a client may see (pure).

opsbot is installed in one workspace, the *home* team. Its client updates land in Slack
Connect channels shared with clients, so people of other teams can press its buttons and run
its slash commands there. Every request is classified before anything runs:

- ``home``: the home team's people; everything is open to them.
- ``client``: a team listed in some client's ``team_ids``; only client-safe answers about
  that client's incidents.
- ``stranger``: any other team (also a team listed by two clients, or a payload naming two
  different outside teams); refused everything.

Where the acting user's team is (``actor_teams``), by payload type:

- slash command: ``user_team_id`` (when Slack sends it) and ``team_id``;
- interactions (``block_actions``, ``view_submission``, …): ``user.team_id``, then
  ``team.id`` (``team`` is null for org-wide installs; ``user.team_id`` is always there);
- Events API: ``event.user_team``, then ``event.team``; in a Slack Connect channel
  (``is_ext_shared_channel``) an event naming neither is *unknown* (a stranger), elsewhere
  the envelope's ``team_id`` (the installing team) is used.

Every team id a payload names for the actor counts, and one outside team is enough to make
the request an outside one: a payload is ``home`` only when every id it names is the home
team. A payload naming no team at all (neither ``user.team_id`` nor any team field: nothing
Slack sends on behalf of a person) is ``home``. When the home team itself is unknown, only
configured client teams are recognised; every other team is a stranger (fail closed).
Enterprise ids (``E…``) are not used: clients are configured by workspace (``T…``).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from bot.domain.severity import Severity

__all__ = [
    "UNKNOWN_TEAM",
    "Audience",
    "ClientIncident",
    "Kind",
    "actor_teams",
    "classify",
    "classify_payload",
    "client_status",
]

UNKNOWN_TEAM = "?"
"""Stands for a team that a payload hides (an event in a shared channel without team ids)."""


class Kind(StrEnum):
    """Who is asking."""

    HOME = "home"
    CLIENT = "client"
    STRANGER = "stranger"


@dataclass(frozen=True)
class Audience:
    """The asker's kind, their team (None when the payload names none) and client key."""

    kind: Kind
    team_id: str | None = None
    client: str | None = None

    @property
    def is_home(self) -> bool:
        """True for the home team's people."""
        return self.kind is Kind.HOME


HOME = Audience(Kind.HOME)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _event_teams(body: Mapping[str, Any]) -> list[str]:
    event = body.get("event")
    event = event if isinstance(event, Mapping) else {}
    named = [t for t in (_text(event.get("user_team")), _text(event.get("team"))) if t]
    if named:
        return named
    if body.get("is_ext_shared_channel") is True:
        return [UNKNOWN_TEAM]
    envelope = _text(body.get("team_id"))
    return [envelope] if envelope else []


def actor_teams(body: Mapping[str, Any]) -> list[str]:
    """Every team id the payload names for the person acting (see the module notes)."""
    if body.get("type") == "event_callback":
        return _event_teams(body)
    if "command" in body:
        found = [_text(body.get("user_team_id")), _text(body.get("team_id"))]
        return [t for t in found if t]
    user, team = body.get("user"), body.get("team")
    found = [
        _text(user.get("team_id")) if isinstance(user, Mapping) else None,
        _text(team.get("id")) if isinstance(team, Mapping) else _text(team),
    ]
    return [t for t in found if t]


def classify(
    teams: Iterable[str], *, home_team: str | None, clients: Mapping[str, Collection[str]]
) -> Audience:
    """The audience of a request naming ``teams`` (client key → its team ids in ``clients``)."""
    named = list(dict.fromkeys(teams))
    outside = [t for t in named if t != home_team]
    if not named or not outside:
        return HOME
    if len(outside) > 1:
        return Audience(Kind.STRANGER, outside[0])
    team = outside[0]
    owners = [key for key, ids in clients.items() if team in ids]
    if len(owners) != 1:
        return Audience(Kind.STRANGER, team)
    return Audience(Kind.CLIENT, team, owners[0])


def classify_payload(
    body: Mapping[str, Any], *, home_team: str | None, clients: Mapping[str, Collection[str]]
) -> Audience:
    """``classify`` applied to the teams a Slack payload names for its actor."""
    return classify(actor_teams(body), home_team=home_team, clients=clients)


@dataclass(frozen=True)
class ClientIncident:
    """An incident as its client may see it: no title, alerts, timeline, notes or links.

    ``update_text`` is the latest client update posted to the client (redacted when drafted).
    """

    number: int
    client: str
    service: str
    severity: Severity
    status: str  # investigating | monitoring | resolved
    opened_at: datetime
    resolved_at: datetime | None
    update_text: str
    update_posted_at: datetime | None


def client_status(status: str, *, alerts_firing: int, alerts_cleared: int) -> str:
    """The client-facing word for an incident's status.

    ``resolved`` once the incident is resolved or closed; ``monitoring`` while it is live but
    every alert it had has cleared; ``investigating`` otherwise.
    """
    if status in ("resolved", "closed"):
        return "resolved"
    if alerts_cleared and not alerts_firing:
        return "monitoring"
    return "investigating"
