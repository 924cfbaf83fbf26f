"""views.open, views.push, views.update, views.publish."""

from __future__ import annotations

from typing import Any

from ._errors import SlackError, missing
from ._registry import Args, Result, method
from ._shapes import view_json
from ._state import SlackState
from ._views import find_view, new_view, open_modal, parse_view, push_modal, update_view

_TRIGGER_ERRORS = {
    "invalid_trigger_id",
    "expired_trigger_id",
    "exchanged_trigger_id",
    "duplicate_external_id",
    "view_too_large",
}


def _trigger_user(state: SlackState, args: Args) -> str:
    trigger_id = args.text("trigger_id") or args.text("interactivity_pointer")
    if trigger_id is None:
        raise missing("trigger_id")
    return state.use_trigger(trigger_id).user_id


def _view_arg(args: Args) -> dict[str, Any]:
    if args.get("view") is None:
        raise missing("view")
    return parse_view(args.get("view"))


@method("views.open", errors=_TRIGGER_ERRORS)
def views_open(state: SlackState, args: Args) -> Result:
    """Open a modal for the user who owns the trigger_id."""
    with state.lock:
        payload = _view_arg(args)
        user_id = _trigger_user(state, args)
        return {"view": view_json(state, open_modal(state, payload, user_id))}


@method("views.push", errors=_TRIGGER_ERRORS | {"not_found", "push_limit_reached"})
def views_push(state: SlackState, args: Args) -> Result:
    """Push a modal on the user's open stack."""
    with state.lock:
        payload = _view_arg(args)
        user_id = _trigger_user(state, args)
        return {"view": view_json(state, push_modal(state, payload, user_id))}


@method(
    "views.update", errors={"not_found", "hash_conflict", "duplicate_external_id", "view_too_large"}
)
def views_update(state: SlackState, args: Args) -> Result:
    """Update a view by view_id or external_id (optionally guarded by ``hash``)."""
    with state.lock:
        if args.get("view") is None:
            raise missing("view")
        view_id, external_id = args.text("view_id"), args.text("external_id")
        if not view_id and not external_id:
            raise missing("view_id")
        view = find_view(state, view_id, external_id)
        payload = parse_view(args.get("view"), home=view.type == "home")
        return {"view": view_json(state, update_view(state, view, payload, args.text("hash")))}


@method("views.publish", errors={"hash_conflict", "duplicate_external_id", "view_too_large"})
def views_publish(state: SlackState, args: Args) -> Result:
    """Publish a user's App Home."""
    with state.lock:
        user_id = args.need("user_id")
        if args.get("view") is None:
            raise missing("view")
        if state.user(user_id) is None:
            raise SlackError("invalid_arguments", "[ERROR] user_id is not a valid user")
        payload = parse_view(args.get("view"), home=True)
        existing = state.views.get(state.home_views.get(user_id, ""))
        if existing is not None:
            view = update_view(state, existing, payload, args.text("hash"))
        else:
            view = new_view(state, payload, user_id)
            state.home_views[user_id] = view.id
            state.log_activity(None, user_id, "home_published", view.title, target=view.id)
        return {"view": view_json(state, view)}
