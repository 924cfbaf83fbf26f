"""Roles (pure): ``viewer`` < ``responder`` < ``commander`` < ``admin``, plus ``client`` for
users of another Slack team. Everyone in the home team is a responder unless the roles
config names them (user ids; user group ids need Slack to expand and are matched when the
caller passes the groups the user belongs to)."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

__all__ = ["ORDER", "READ_ACTIONS", "READ_COMMANDS", "allows", "required_role", "role_of"]

ORDER = ("viewer", "responder", "commander", "admin")


def role_of(
    user_id: str,
    roles: Mapping[str, Sequence[str]],
    *,
    home: bool,
    groups: Collection[str] = (),
) -> str:
    """The user's role: the highest the config gives them (an explicit ``viewer`` listing
    lowers a home user below responder); ``client`` for users of other teams."""
    if not home:
        return "client"
    ids = {user_id, *groups}
    for role in reversed(ORDER):
        if role != "responder" and ids & set(roles.get(role, ())):
            return role
    return "responder"


def allows(role: str, least: str) -> bool:
    """Whether ``role`` is at least ``least`` (a client is never enough)."""
    if role not in ORDER or least not in ORDER:
        return False
    return ORDER.index(role) >= ORDER.index(least)


# The least role each Slack request needs (finer rules, such as closing or lowering a
# severity, are checked where the change is made). Reads are for viewers; everything that
# changes something is for responders.
READ_COMMANDS = frozenset(
    {"help", "status", "list", "timeline", "sync", "checklist", "rca", "report"}
)
READ_ACTIONS = ("rca_show", "client_status", "runs_open_link", "hitl_")


def required_role(kind: str, name: str) -> str:
    """The least role for a Slack ``command`` (``/incident <sub>``, ``/runs``), ``action``
    (action id) or ``view`` (callback id) request."""
    if kind == "command":
        if name.startswith("/runs"):
            return "viewer"
        sub = name.split(" ", 1)[1] if " " in name else "help"
        return "viewer" if sub in READ_COMMANDS else "responder"
    if kind == "action" and name.startswith(READ_ACTIONS):
        return "viewer"  # HITL decisions check their own configured role
    return "responder"
