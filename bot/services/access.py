"""Who may do what: roles from the policy (user ids, and user groups expanded through Slack),
REST API tokens (hashed, scoped by role, revocable) and the bootstrap admin token."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass, field
from datetime import timedelta

from bot.clock import Clock
from bot.domain.access import role_of
from bot.domain.ports import ChatError, ChatPort, TransientError
from bot.policy import Policy
from storage.db import Database
from storage.repositories import tokens as repo
from storage.repositories.tokens import TokenInfo

__all__ = ["TOKEN_PREFIX", "Access", "Caller"]

log = logging.getLogger("opsbot.access")
TOKEN_PREFIX = "opsbot_"  # noqa: S105 (a prefix, not a secret)


@dataclass(frozen=True)
class Caller:
    """Who called the REST API: the token's name and role."""

    name: str
    role: str


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass
class Access:
    """Roles of Slack users and of API tokens."""

    db: Database
    policy: Policy
    clock: Clock
    bootstrap_token: str | None = None  # OPSBOT_API_TOKEN: an admin token, for bootstrapping
    _groups: dict[str, frozenset[str]] = field(default_factory=dict)

    def role(self, user_id: str, *, home: bool = True) -> str:
        """The user's role (``client`` for users of other teams)."""
        groups = {g for g, members in self._groups.items() if user_id in members}
        return role_of(user_id, self.policy.roles.model_dump(), home=home, groups=groups)

    async def refresh_groups(self, chat: ChatPort) -> None:
        """Expand the user groups named in ``roles:`` (kept until the next refresh)."""
        named = {i for ids in self.policy.roles.model_dump().values() for i in ids}
        fresh = {}
        for group in sorted(i for i in named if i.startswith("S")):
            try:
                fresh[group] = frozenset(await chat.expand_members([group]))
            except (ChatError, TransientError) as exc:
                log.warning("user group not expanded", extra={"group": group, "error": str(exc)})
                fresh[group] = self._groups.get(group, frozenset())
        self._groups = fresh

    # ----- REST API tokens (blocking: call from a worker thread) ----------------------------
    def create_token(self, *, name: str, role: str) -> tuple[str, TokenInfo]:
        """A new token (returned once; only its hash is kept)."""
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with self.db.session() as session:
            info = repo.add(
                session, name=name, role=role, token_hash=_digest(token), now=self.clock()
            )
        return token, info

    def revoke_token(self, name_or_id: str) -> TokenInfo | None:
        """Revoke a token by name or id."""
        with self.db.session() as session:
            return repo.revoke(session, name_or_id, self.clock())

    def tokens(self) -> list[TokenInfo]:
        """Every token (never their values)."""
        with self.db.session() as session:
            return repo.listing(session)

    def caller(self, token: str) -> Caller | None:
        """Who a bearer token belongs to; records its use (at most once a minute)."""
        if self.bootstrap_token and hmac.compare_digest(token, self.bootstrap_token):
            return Caller("bootstrap", "admin")
        if not token.startswith(TOKEN_PREFIX):
            return None
        with self.db.session() as session:
            info = repo.by_hash(session, _digest(token))
            if info is None:
                return None
            repo.touch(session, info.id, self.clock(), every=timedelta(minutes=1))
        return Caller(info.name, info.role)
