"""Who is asking: home, client or stranger, from the team ids a Slack payload names."""

from __future__ import annotations

from typing import Any

import pytest

from bot.domain.audience import (
    UNKNOWN_TEAM,
    Audience,
    Kind,
    actor_teams,
    classify,
    classify_payload,
    client_status,
)

HOME = "T0HOME"
CLIENTS = {"acme": ["T0ACME"], "globex": ["T0GLOBEX", "T0GLOBEX2"]}


def _who(body: dict[str, Any], home: str | None = HOME) -> Audience:
    return classify_payload(body, home_team=home, clients=CLIENTS)


def _action(user_team: str | None, team: Any) -> dict[str, Any]:
    user: dict[str, Any] = {"id": "U1"}
    if user_team is not None:
        user["team_id"] = user_team
    return {"type": "block_actions", "user": user, "team": team, "actions": []}


@pytest.mark.parametrize(
    ("teams", "kind", "client"),
    [
        ([HOME], Kind.HOME, None),
        ([], Kind.HOME, None),
        (["T0ACME"], Kind.CLIENT, "acme"),
        (["T0GLOBEX2"], Kind.CLIENT, "globex"),
        (["T0OTHER"], Kind.STRANGER, None),
        ([HOME, "T0ACME"], Kind.CLIENT, "acme"),  # one outside team is enough
        (["T0ACME", "T0GLOBEX"], Kind.STRANGER, None),  # two outside teams: ambiguous
        ([UNKNOWN_TEAM], Kind.STRANGER, None),
    ],
)
def test_classify(teams: list[str], kind: Kind, client: str | None) -> None:
    audience = classify(teams, home_team=HOME, clients=CLIENTS)
    assert (audience.kind, audience.client) == (kind, client)
    assert audience.is_home is (kind is Kind.HOME)


def test_a_team_listed_by_two_clients_is_a_stranger() -> None:
    clients = {"acme": ["T0SHARED"], "globex": ["T0SHARED"]}
    assert classify(["T0SHARED"], home_team=HOME, clients=clients).kind is Kind.STRANGER


def test_unknown_home_team_fails_closed_except_for_clients() -> None:
    assert classify(["T0ACME"], home_team=None, clients=CLIENTS).client == "acme"
    assert classify([HOME], home_team=None, clients=CLIENTS).kind is Kind.STRANGER
    assert classify([], home_team=None, clients=CLIENTS).kind is Kind.HOME


def test_slash_command_uses_user_team_id_and_team_id() -> None:
    command = {"command": "/incident", "team_id": HOME, "user_id": "U1"}
    assert _who(command).is_home
    assert _who(command | {"team_id": "T0ACME"}).client == "acme"
    # the acting user's own team, when Slack names it, counts even if team_id is the host's
    assert _who(command | {"user_team_id": "T0ACME"}).client == "acme"
    assert _who(command | {"enterprise_id": "E0BIG", "is_enterprise_install": "true"}).is_home


def test_interactions_use_user_team_then_team() -> None:
    assert _who(_action(HOME, {"id": HOME})).is_home
    assert _who(_action("T0ACME", {"id": HOME})).client == "acme"  # the presser's team
    assert _who(_action(None, {"id": "T0ACME"})).client == "acme"
    assert _who(_action("T0ACME", None)).client == "acme"  # org-wide installs: team is null
    assert _who(_action(None, None)).is_home  # no team named at all
    assert _who(_action("T0NOBODY", {"id": HOME})).kind is Kind.STRANGER
    submission = {"type": "view_submission", "user": {"id": "U1", "team_id": "T0GLOBEX"}}
    assert _who(submission | {"team": {"id": "T0GLOBEX"}}).client == "globex"


def test_events() -> None:
    envelope = {"type": "event_callback", "team_id": HOME, "is_ext_shared_channel": False}
    reaction = {"type": "reaction_added", "user": "U1"}
    assert _who(envelope | {"event": reaction}).is_home
    shared = envelope | {"is_ext_shared_channel": True}
    assert _who(shared | {"event": reaction}).kind is Kind.STRANGER  # team unknown
    assert _who(shared | {"event": reaction | {"user_team": HOME}}).is_home
    assert _who(shared | {"event": reaction | {"user_team": "T0ACME"}}).client == "acme"
    assert _who(envelope | {"event": reaction | {"team": "T0GLOBEX"}}).client == "globex"
    assert actor_teams(shared | {"event": reaction}) == [UNKNOWN_TEAM]


def test_client_status_words() -> None:
    assert client_status("open", alerts_firing=2, alerts_cleared=0) == "investigating"
    assert client_status("acknowledged", alerts_firing=0, alerts_cleared=0) == "investigating"
    assert client_status("acknowledged", alerts_firing=0, alerts_cleared=3) == "monitoring"
    assert client_status("open", alerts_firing=1, alerts_cleared=3) == "investigating"
    assert client_status("resolved", alerts_firing=1, alerts_cleared=0) == "resolved"
    assert client_status("closed", alerts_firing=0, alerts_cleared=0) == "resolved"
