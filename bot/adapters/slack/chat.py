"""``ChatPort`` on the Slack Web API: one ``AsyncWebClient`` call per operation, errors mapped.

Error mapping (after the client's own retries, which honour ``Retry-After``)::

    SlackApiError
     ├── name_taken ─────────────────────────────────────────► ChannelNameTaken
     ├── ratelimited / HTTP 5xx / internal_error / fatal_error
     │   / service_unavailable / request_timeout ─────────────► TransientChatError
     └── any other code ─────────────────────────────────────► ChatError(code, method)
    aiohttp.ClientError, TimeoutError (timeouts, resets) ─────► TransientChatError

The adapter never sleeps: waiting between attempts is the client's job (see
``make_web_client``) and, beyond that, the caller's (``TransientChatError.retry_after``).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Collection, Sequence

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.domain.ports import Blocks, ChannelNameTaken, ChatError, TransientChatError

__all__ = ["ErrorSink", "SlackChat"]

ErrorSink = Callable[[str, str], None]
"""Told (method, error) about each Web API call that failed: ``Metrics.slack_api_error``."""

log = logging.getLogger("opsbot.slack")

TRANSIENT_CODES = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)
#: Per-user invite refusals that ``invite`` skips instead of failing.
SKIPPED_INVITE_CODES = frozenset({"already_in_channel", "cant_invite_self", "user_not_found"})
MAX_INVITES_PER_CALL = 100  # conversations.invite: "Up to 100 users may be listed."
TEXT_LIMIT = 250  # topic and purpose
LIST_PAGE = 200


class SlackChat:
    """The chat operations opsbot uses, on Slack.

    ``invite`` makes one ``conversations.invite`` call per 100 users (with ``force=true``).
    When Slack refuses it for skippable reasons (already in, the bot itself, unknown id), the
    call is repeated without the users named in Slack's per-user ``errors``; when Slack does not
    name them, each user is invited on their own and the refusals are skipped.
    """

    def __init__(self, client: AsyncWebClient, *, on_error: ErrorSink | None = None) -> None:
        self._client = client
        self._on_error = on_error

    async def _api(
        self,
        method: str,
        request: Awaitable[AsyncSlackResponse],
        *,
        tolerate: Collection[str] = (),
    ) -> AsyncSlackResponse:
        """``_call``, reporting a failure to ``on_error`` as (method, Slack's code or cause)."""
        try:
            return await _call(method, request, tolerate=tolerate)
        except (ChatError, TransientChatError) as exc:
            if self._on_error is not None:
                self._on_error(method, _error_label(exc))
            raise

    async def create_channel(self, name: str) -> str:
        """Create a public channel; return its id. Raises ``ChannelNameTaken``."""
        reply = await self._api(
            "conversations.create", self._client.conversations_create(name=name)
        )
        return str(reply["channel"]["id"])

    async def is_ext_shared(self, channel: str) -> bool:
        """Whether Slack reports ``channel`` as shared with another organisation."""
        reply = await self._api(
            "conversations.info", self._client.conversations_info(channel=channel)
        )
        return bool((reply.get("channel") or {}).get("is_ext_shared"))

    async def find_channel(self, name: str) -> str | None:
        """The id of the unarchived public channel called ``name`` (``#`` optional)."""
        wanted = name.removeprefix("#")
        cursor: str | None = None
        while True:
            reply = await self._api(
                "conversations.list",
                self._client.conversations_list(
                    exclude_archived=True, types="public_channel", limit=LIST_PAGE, cursor=cursor
                ),
            )
            for channel in reply.get("channels") or []:
                if channel.get("name") == wanted:
                    return str(channel["id"])
            cursor = (reply.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return None

    async def set_topic(self, channel: str, topic: str) -> None:
        """Set the channel topic, cut to 250 characters."""
        await self._api(
            "conversations.setTopic",
            self._client.conversations_setTopic(channel=channel, topic=_cut(topic)),
        )

    async def set_purpose(self, channel: str, purpose: str) -> None:
        """Set the channel purpose, cut to 250 characters (Slack's limit too)."""
        await self._api(
            "conversations.setPurpose",
            self._client.conversations_setPurpose(channel=channel, purpose=_cut(purpose)),
        )

    async def invite(self, channel: str, user_ids: Sequence[str]) -> None:
        """Invite users; those already in, the bot itself and unknown ids are skipped."""
        users = list(dict.fromkeys(user_ids))
        for start in range(0, len(users), MAX_INVITES_PER_CALL):
            await self._invite(channel, users[start : start + MAX_INVITES_PER_CALL])

    async def _invite(self, channel: str, users: list[str]) -> None:
        reply = await self._api(
            "conversations.invite",
            self._client.conversations_invite(channel=channel, users=users, force=True),
            tolerate=SKIPPED_INVITE_CODES,
        )
        if reply.get("ok"):
            return
        refused = _refused_users(reply)
        rest = [user for user in users if user not in refused]
        if len(rest) < len(users):
            log.info("slack invite skipped users", extra={"skipped": sorted(refused)})
            if rest:
                await self._invite(channel, rest)
        elif len(users) > 1:
            for user in users:
                await self._invite(channel, [user])
        else:
            log.info("slack invite skipped", extra={"user": users[0], "error": reply["error"]})

    async def expand_members(self, ids: Sequence[str]) -> list[str]:
        """User ids for user (U…/W…) and user group (S…) ids, de-duplicated, in order.

        An unknown user group is skipped with a warning; other ids are dropped."""
        out: list[str] = []
        for ident in dict.fromkeys(ids):
            if ident.startswith(("U", "W")):
                out.append(ident)
            elif ident.startswith("S"):
                out.extend(await self._group_users(ident))
        return list(dict.fromkeys(out))

    async def _group_users(self, group: str) -> list[str]:
        reply = await self._api(
            "usergroups.users.list",
            self._client.usergroups_users_list(usergroup=group),
            tolerate={"no_such_subteam"},
        )
        if not reply.get("ok"):
            log.warning("slack user group not found", extra={"usergroup": group})
            return []
        return [str(user) for user in reply.get("users") or []]

    async def post(self, channel: str, text: str, blocks: Blocks | None = None) -> str:
        """Post a message; return its ``ts``."""
        reply = await self._api(
            "chat.postMessage",
            self._client.chat_postMessage(channel=channel, text=text, blocks=blocks),
        )
        return str(reply["ts"])

    async def update(self, channel: str, ts: str, text: str, blocks: Blocks | None = None) -> None:
        """Edit a message in place."""
        await self._api(
            "chat.update",
            self._client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks),
        )

    async def pin(self, channel: str, ts: str) -> None:
        """Pin a message; one pinned already is fine."""
        await self._api(
            "pins.add",
            self._client.pins_add(channel=channel, timestamp=ts),
            tolerate={"already_pinned"},
        )


async def _call(
    method: str,
    request: Awaitable[AsyncSlackResponse],
    *,
    tolerate: Collection[str] = (),
) -> AsyncSlackResponse:
    """Await one Web API call; a refusal with a ``tolerate``d code is returned, not raised."""
    try:
        return await request
    except SlackApiError as exc:
        response = exc.response
        if isinstance(response, AsyncSlackResponse) and _code(exc) in tolerate:
            return response
        raise _translate(method, exc) from exc
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise TransientChatError(f"{method}: {type(exc).__name__}") from exc


def _translate(method: str, exc: SlackApiError) -> Exception:
    """The port's error for a Slack refusal."""
    code = _code(exc)
    status = _status(exc)
    if code in TRANSIENT_CODES or status == 429 or status >= 500:
        reason = f"{method}: {code or f'HTTP {status}'}"
        return TransientChatError(reason, retry_after=_retry_after(exc))
    if code == "name_taken":
        return ChannelNameTaken(code, method)
    return ChatError(code or f"http_{status}", method)


def _error_label(exc: ChatError | TransientChatError) -> str:
    """Slack's error code, else ``http_<status>``, ``timeout`` or ``connection_error``."""
    if isinstance(exc, ChatError):
        return exc.code
    cause = exc.__cause__
    if isinstance(cause, SlackApiError):
        return _code(cause) or f"http_{_status(cause)}"
    return "timeout" if isinstance(cause, TimeoutError) else "connection_error"


def _code(exc: SlackApiError) -> str:
    response = exc.response
    data = getattr(response, "data", None)
    return str(data.get("error") or "") if isinstance(data, dict) else ""


def _status(exc: SlackApiError) -> int:
    """The HTTP status; slack_sdk keeps either its own response or aiohttp's."""
    response = exc.response
    status = getattr(response, "status_code", None) or getattr(response, "status", None)
    return status if isinstance(status, int) else 0


def _retry_after(exc: SlackApiError) -> float | None:
    """``Retry-After`` in seconds (aiohttp's headers are case-insensitive)."""
    headers = getattr(exc.response, "headers", None)
    raw = headers.get("Retry-After") if headers is not None else None
    try:
        return float(raw) if raw is not None else None
    except (TypeError, ValueError):
        return None


def _refused_users(reply: AsyncSlackResponse) -> set[str]:
    """Users Slack named as skippable in a failed invite (none when it named none).

    Raises ``ChatError`` when Slack names a user refused for another reason."""
    refused: set[str] = set()
    for entry in reply.get("errors") or []:
        error = str(entry.get("error") or "")
        if error not in SKIPPED_INVITE_CODES:
            raise ChatError(error or "invite_failed", "conversations.invite")
        refused.add(str(entry.get("user")))
    return refused


def _cut(text: str, limit: int = TEXT_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
