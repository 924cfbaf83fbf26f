"""Roles (pure): ``viewer`` < ``responder`` < ``commander`` < ``admin``, plus ``client`` for
users of another Slack team. Everyone in the home team is a responder unless the roles
config names them (user ids; user group ids need Slack to expand and are matched when the
caller passes the groups the user belongs to)."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

__all__ = ["ORDER", "allows", "role_of"]

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
