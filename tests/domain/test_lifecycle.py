"""The state machine as a table: (status, action) → new status, or the refusal's reason."""

import pytest

from bot.domain.lifecycle import Action, Refused, Status, transition

O, A, R, C = Status.OPEN, Status.ACKNOWLEDGED, Status.RESOLVED, Status.CLOSED  # noqa: E741

ALLOWED = [
    (O, Action.ACK, A),
    (O, Action.RESOLVE, R),
    (A, Action.RESOLVE, R),
    (R, Action.REOPEN, O),
    (R, Action.CLOSE, C),
    (O, Action.UPDATE, O),
    (A, Action.UPDATE, A),
    (R, Action.UPDATE, R),
    (O, Action.NOTE, O),
    (A, Action.NOTE, A),
    (R, Action.NOTE, R),
    (A, Action.ASSIGN, A),
    (O, Action.SEVERITY, O),
    (A, Action.SEVERITY, A),
    (O, Action.ASSIGN, O),
    (R, Action.ASSIGN, R),
    (O, Action.ESCALATE, O),
    (A, Action.ESCALATE, A),
]

REFUSED = [
    (A, Action.ACK, "Cannot ack: it is already acknowledged."),
    (R, Action.ACK, "Cannot ack: it is resolved; reopen it first."),
    (R, Action.RESOLVE, "Cannot resolve: it is already resolved."),
    (C, Action.RESOLVE, "Cannot resolve: the incident is closed."),
    (O, Action.REOPEN, "Cannot reopen: it is already open."),
    (A, Action.REOPEN, "Cannot reopen: it is still open (acknowledged)."),
    (O, Action.CLOSE, "Cannot close: resolve it before closing it."),
    (A, Action.CLOSE, "Cannot close: resolve it before closing it."),
    (C, Action.CLOSE, "Cannot close: the incident is closed."),
    (C, Action.REOPEN, "Cannot reopen: the incident is closed."),
    (R, Action.SEVERITY, "Cannot sev: it is resolved; reopen it to change the severity."),
    (C, Action.UPDATE, "Cannot update: the incident is closed."),
    (C, Action.NOTE, "Cannot note: the incident is closed."),
    (R, Action.ESCALATE, "Cannot escalate: it is resolved; nothing to escalate."),
]


@pytest.mark.parametrize(("status", "action", "after"), ALLOWED)
def test_allowed(status: Status, action: Action, after: Status) -> None:
    assert transition(status, action) is after


@pytest.mark.parametrize(("status", "action", "reason"), REFUSED)
def test_refused_with_reason(status: Status, action: Action, reason: str) -> None:
    with pytest.raises(Refused) as caught:
        transition(status, action)
    assert str(caught.value) == reason


def test_every_pair_is_decided() -> None:
    decided = {(s, a) for s, a, _ in ALLOWED} | {(s, a) for s, a, _ in REFUSED}
    for status in Status:
        for action in Action:
            try:
                transition(status, action)
            except Refused:
                continue
            assert (status, action) in decided, (status, action)
