"""The default workspace the sandbox starts with."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._state import SlackState

HUMANS: tuple[tuple[str, str, str, str, bool], ...] = (
    ("U0ALICE", "alice", "Alice Martin", "SRE lead", True),
    ("U0BOB", "bob", "Bob Nguyen", "Backend engineer", False),
    ("U0CAROL", "carol", "Carol Diaz", "ML engineer", False),
)


def seed_workspace(state: SlackState) -> None:
    """Create the default users and channels."""
    for uid, name, real, title, admin in HUMANS:
        state.add_user(
            uid, name, real_name=real, email=f"{name}@example.com", title=title, is_admin=admin
        )
    state.add_user(
        "U0ACMEUSER",
        "dana.acme",
        real_name="Dana Whitfield",
        email="dana@acme.example",
        team_id="T0ACME",
        title="Platform engineer (Acme)",
    )
    humans = [h[0] for h in HUMANS]
    state.add_channel(
        "C0INCIDENTS",
        "incidents",
        members=[state.bot_user_id, *humans],
        topic="Active incidents — one channel per incident",
        purpose="Incident coordination",
    )
    state.add_channel(
        "C0ALERTS",
        "alerts",
        members=[state.bot_user_id, "U0ALICE", "U0BOB"],
        purpose="Alert firehose",
    )
    state.add_channel(
        "C0APPROVALS",
        "approvals",
        members=[state.bot_user_id, *humans],
        purpose="Workflow runs waiting for a human decision",
    )
    state.add_channel(
        "C0ACMESHARED",
        "acme-shared",
        members=[state.bot_user_id, "U0ALICE", "U0ACMEUSER"],
        is_ext_shared=True,
        shared_team_ids=[state.team_id, "T0ACME"],
        purpose="Shared with Acme Corp",
    )
