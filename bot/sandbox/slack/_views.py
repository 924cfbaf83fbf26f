"""View stack operations shared by views.* methods and view_submission acks."""

from __future__ import annotations

import json
from typing import Any

from ._blocks import check_view
from ._errors import SlackError
from ._models import View
from ._shapes import new_hash
from ._state import SlackState

MAX_VIEW_BYTES = 250_000
MAX_STACK = 3


def parse_view(value: Any, *, home: bool = False) -> dict[str, Any]:
    """Decode (JSON string or object) and validate a view, raising invalid_arguments."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise SlackError("invalid_arguments", "[ERROR] view must be valid JSON") from None
    if isinstance(value, dict) and len(json.dumps(value)) > MAX_VIEW_BYTES:
        raise SlackError("view_too_large")
    problems = check_view(value, home=home)
    if problems:
        raise SlackError("invalid_arguments", *problems)
    assert isinstance(value, dict)
    return value


def _check_external_id(state: SlackState, payload: dict[str, Any], own: str | None) -> str:
    ext = str(payload.get("external_id") or "")
    if ext and any(
        v.external_id == ext and v.id != own and not v.closed for v in state.views.values()
    ):
        raise SlackError("duplicate_external_id")
    return ext


def new_view(
    state: SlackState,
    payload: dict[str, Any],
    user_id: str,
    *,
    root: str | None = None,
    previous: str | None = None,
) -> View:
    """Store a new view (not yet placed on a stack)."""
    with state.lock:
        ext = _check_external_id(state, payload, None)
        vid = state.new_id("V")
        view = View(
            id=vid,
            type=str(payload.get("type")),
            user_id=user_id,
            payload=payload,
            hash=new_hash(),
            root_view_id=root or vid,
            previous_view_id=previous,
            external_id=ext,
        )
        state.views[vid] = view
        return view


def open_modal(state: SlackState, payload: dict[str, Any], user_id: str) -> View:
    """A new modal stack for ``user_id`` (any previous stack is closed)."""
    with state.lock:
        close_all(state, user_id, log=False)
        view = new_view(state, payload, user_id)
        state.view_stacks[user_id] = [view.id]
        state.log_activity(None, user_id, "modal_opened", view.title, target=view.id)
        return view


def push_modal(state: SlackState, payload: dict[str, Any], user_id: str) -> View:
    """Push a modal on top of the user's stack."""
    with state.lock:
        stack = state.view_stacks.get(user_id) or []
        if not stack:
            raise SlackError("not_found")
        if len(stack) >= MAX_STACK:
            raise SlackError("push_limit_reached")
        view = new_view(state, payload, user_id, root=stack[0], previous=stack[-1])
        stack.append(view.id)
        state.log_activity(None, user_id, "modal_pushed", view.title, target=view.id)
        return view


def update_view(
    state: SlackState, view: View, payload: dict[str, Any], expected_hash: str | None = None
) -> View:
    """Replace a view's content in place (new hash, errors cleared)."""
    with state.lock:
        if expected_hash and expected_hash != view.hash:
            raise SlackError("hash_conflict")
        view.external_id = _check_external_id(state, payload, view.id) or view.external_id
        view.payload, view.hash, view.errors = payload, new_hash(), {}
        view.type = str(payload.get("type") or view.type)
        kind = "home_published" if view.type == "home" else "modal_updated"
        state.log_activity(None, view.user_id, kind, view.title, target=view.id)
        return view


def pop_view(state: SlackState, view: View) -> None:
    """Close one view (and everything pushed above it)."""
    with state.lock:
        stack = state.view_stacks.get(view.user_id, [])
        if view.id in stack:
            for vid in stack[stack.index(view.id) :]:
                state.views[vid].closed = True
            del stack[stack.index(view.id) :]
        view.closed = True
        state.log_activity(None, view.user_id, "modal_closed", view.title, target=view.id)


def close_all(state: SlackState, user_id: str, *, log: bool = True) -> None:
    """Close the user's whole modal stack."""
    with state.lock:
        for vid in state.view_stacks.pop(user_id, []):
            state.views[vid].closed = True
        if log:
            state.log_activity(None, user_id, "modals_cleared")


def find_view(state: SlackState, view_id: str | None, external_id: str | None) -> View:
    """A live view by id or external_id, or ``not_found``."""
    with state.lock:
        view = state.views.get(view_id) if view_id else None
        if view is None and external_id:
            view = next(
                (v for v in state.views.values() if v.external_id == external_id and not v.closed),
                None,
            )
        if view is None or view.closed:
            raise SlackError("not_found")
        return view
