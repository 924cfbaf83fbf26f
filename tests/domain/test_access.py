"""Roles: viewer < responder < commander < admin; client for other teams."""

from __future__ import annotations

import pytest

from bot.domain.access import allows, role_of

ROLES = {"admin": ["U0ADMIN"], "commander": ["S0LEADS", "U0CMD"], "viewer": ["U0AUDITOR"]}


@pytest.mark.parametrize(
    ("user", "groups", "home", "role"),
    [
        ("U0ADMIN", (), True, "admin"),
        ("U0CMD", (), True, "commander"),
        ("U0LEAD", ("S0LEADS",), True, "commander"),
        ("U0AUDITOR", (), True, "viewer"),
        ("U0ANYONE", (), True, "responder"),
        ("U0ADMIN", (), False, "client"),
    ],
)
def test_role_of(user: str, groups: tuple[str, ...], home: bool, role: str) -> None:
    assert role_of(user, ROLES, home=home, groups=groups) == role


def test_allows_follows_the_order_and_never_a_client() -> None:
    assert allows("admin", "responder") and allows("responder", "responder")
    assert not allows("viewer", "responder") and not allows("client", "viewer")
    assert not allows("responder", "superuser")
