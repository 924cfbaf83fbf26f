"""auth.test, users.* and usergroups.* methods."""

from __future__ import annotations

from typing import Any

from ._errors import SlackError
from ._models import Usergroup
from ._paging import page
from ._registry import Args, Result, method
from ._shapes import user_json
from ._state import SlackState


@method("auth.test", errors=set())
def auth_test(state: SlackState, args: Args) -> Result:
    """Identity of the bot token."""
    return {
        "url": f"https://{state.team_name}.slack.com/",
        "team": state.team_name,
        "user": state.bot_name,
        "team_id": state.team_id,
        "user_id": state.bot_user_id,
        "bot_id": state.bot_id,
        "is_enterprise_install": False,
    }


@method("users.info", errors={"user_not_found"}, get=True)
def users_info(state: SlackState, args: Args) -> Result:
    """One user."""
    with state.lock:
        user = state.user(args.need("user", SlackError("user_not_found")))
        if user is None:
            raise SlackError("user_not_found")
        return {"user": user_json(state, user)}


@method("users.list", errors={"invalid_cursor"}, get=True)
def users_list(state: SlackState, args: Args) -> Result:
    """All users, paginated."""
    with state.lock:
        chunk, cursor = page(list(state.users.values()), args, default_limit=1000, limit_error=None)
        return {
            "members": [user_json(state, u) for u in chunk],
            "cache_ts": state.started,
            "response_metadata": {"next_cursor": cursor},
        }


@method("users.lookupByEmail", errors={"users_not_found"}, get=True)
def lookup_by_email(state: SlackState, args: Args) -> Result:
    """A user by e-mail address (case-insensitive)."""
    email = args.need("email", SlackError("users_not_found")).lower()
    with state.lock:
        for user in state.users.values():
            if user.email and user.email.lower() == email and not user.deleted:
                return {"user": user_json(state, user)}
    raise SlackError("users_not_found")


def _group_json(state: SlackState, group: Usergroup, *, users: bool, count: bool) -> Result:
    out: dict[str, Any] = {
        "id": group.id,
        "team_id": state.team_id,
        "is_usergroup": True,
        "is_subteam": True,
        "name": group.name,
        "description": "",
        "handle": group.handle,
        "is_external": False,
        "date_create": group.created,
        "date_update": group.created,
        "date_delete": 0,
        "auto_type": None,
        "auto_provision": False,
        "enterprise_subteam_id": "",
        "created_by": "U0ALICE",
        "updated_by": "U0ALICE",
        "deleted_by": None,
        "prefs": {"channels": [], "groups": []},
    }
    if users:
        out["users"] = list(group.users)
    if count:
        out["user_count"] = len(group.users)
    return out


@method("usergroups.list", errors=set(), get=True)
def usergroups_list(state: SlackState, args: Args) -> Result:
    """All user groups."""
    with state.lock:
        return {
            "usergroups": [
                _group_json(
                    state, g, users=args.flag("include_users"), count=args.flag("include_count")
                )
                for g in state.usergroups.values()
            ]
        }


@method("usergroups.users.list", errors={"no_such_subteam"}, get=True)
def usergroups_users_list(state: SlackState, args: Args) -> Result:
    """Members of one user group."""
    with state.lock:
        group = state.usergroups.get(args.need("usergroup", SlackError("no_such_subteam")))
        if group is None:
            raise SlackError("no_such_subteam")
        return {"users": list(group.users)}
