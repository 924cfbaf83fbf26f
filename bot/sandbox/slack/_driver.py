"""Send signed requests to an app like Slack does, and apply its answers to the sandbox."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from types import TracebackType
from typing import Any, TypedDict, Unpack

import httpx

from ._interactions import apply_command_ack, apply_view_ack, decode_ack
from ._payloads import (
    Env,
    Outgoing,
    build_block_action,
    build_command,
    build_event,
    build_url_verification,
    build_view_submission,
    sign_request,
)
from ._runner import SandboxSlack


class SignOptions(TypedDict, total=False):
    """Ways to break signing on purpose (tests of the app's verification)."""

    timestamp: int
    signature: str
    unsigned: bool


@dataclass(frozen=True)
class DriverResponse:
    """The app's answer to one delivered request."""

    status_code: int
    headers: dict[str, str]
    body: bytes
    json: Any | None
    elapsed_s: float
    sent: dict[str, Any] | None = None

    @property
    def text(self) -> str:
        """The body decoded as UTF-8."""
        return self.body.decode(errors="replace")


class _DriverBase:
    """Payload building, signing and answer handling shared by both drivers."""

    def __init__(
        self,
        events_url: str,
        signing_secret: str,
        sandbox: SandboxSlack,
        *,
        team_id: str | None = None,
        interactions_url: str | None = None,
        commands_url: str | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.events_url = events_url
        self.interactions_url = interactions_url or events_url
        self.commands_url = commands_url or events_url
        self.signing_secret = signing_secret
        self.sandbox = sandbox
        self.timeout = timeout
        self.env = Env(sandbox.state, sandbox.base_url, team_id or sandbox.state.team_id)

    def _url(self, out: Outgoing) -> str:
        if out.kind == "command":
            return self.commands_url
        if out.kind in ("block_actions", "view_submission"):
            return self.interactions_url
        return self.events_url

    def _headers(
        self, out: Outgoing, *, timestamp: int | None, signature: str | None, unsigned: bool
    ) -> dict[str, str]:
        headers = {"Content-Type": out.content_type, "User-Agent": "Slackbot 1.0", **out.headers}
        if unsigned:
            return headers
        ts = int(time.time()) if timestamp is None else timestamp
        headers["X-Slack-Request-Timestamp"] = str(ts)
        headers["X-Slack-Signature"] = signature or sign_request(self.signing_secret, ts, out.body)
        return headers

    def _finish(self, out: Outgoing, resp: httpx.Response, elapsed: float) -> DriverResponse:
        body = resp.content
        try:
            data: Any = json.loads(body) if body.strip() else None
        except ValueError:
            data = None
        if resp.status_code == 200:
            self._apply(out, body, resp.headers.get("content-type", ""))
        return DriverResponse(
            resp.status_code, dict(resp.headers), body, data, elapsed, out.payload
        )

    def _apply(self, out: Outgoing, body: bytes, content_type: str) -> None:
        state = self.env.state
        ack = decode_ack(body, content_type)
        if out.kind == "command" and out.channel and out.user_id:
            apply_command_ack(state, ack, channel=out.channel, user_id=out.user_id)
        elif out.kind == "view_submission" and out.view_id:
            view = state.view(out.view_id)
            if view is not None:
                apply_view_ack(state, view, ack)

    # ----- builders ------------------------------------------------------------------------
    def _command(self, text: str, command: str, user_id: str, channel_id: str) -> Outgoing:
        return build_command(
            self.env, text, command=command, user_id=user_id, channel_id=channel_id
        )

    def _block_action(
        self,
        action_id: str,
        value: str | None,
        block_id: str | None,
        user_id: str,
        channel_id: str | None,
        message_ts: str | None,
        view_id: str | None,
    ) -> Outgoing:
        return build_block_action(
            self.env,
            action_id,
            value=value,
            block_id=block_id,
            user_id=user_id,
            channel_id=channel_id,
            message_ts=message_ts,
            view_id=view_id,
        )


class SlackDriver(_DriverBase):
    """Synchronous driver (httpx.Client); use as a context manager or call ``close()``."""

    def __init__(
        self,
        events_url: str,
        signing_secret: str,
        sandbox: SandboxSlack,
        *,
        team_id: str | None = None,
        interactions_url: str | None = None,
        commands_url: str | None = None,
        timeout: float = 10.0,
    ) -> None:
        super().__init__(
            events_url,
            signing_secret,
            sandbox,
            team_id=team_id,
            interactions_url=interactions_url,
            commands_url=commands_url,
            timeout=timeout,
        )
        self._client = httpx.Client(timeout=timeout)

    def close(self) -> None:
        """Close the HTTP client."""
        self._client.close()

    def __enter__(self) -> SlackDriver:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def send(
        self,
        out: Outgoing,
        *,
        timestamp: int | None = None,
        signature: str | None = None,
        unsigned: bool = False,
    ) -> DriverResponse:
        """Deliver a built request and apply the app's answer."""
        headers = self._headers(out, timestamp=timestamp, signature=signature, unsigned=unsigned)
        start = time.monotonic()
        resp = self._client.post(self._url(out), content=out.body, headers=headers)
        return self._finish(out, resp, time.monotonic() - start)

    def command(
        self,
        text: str,
        *,
        command: str = "/incident",
        user_id: str = "U0ALICE",
        channel_id: str = "C0INCIDENTS",
        **sign: Unpack[SignOptions],
    ) -> DriverResponse:
        """Invoke a slash command; a non-empty ack is shown in the channel."""
        return self.send(self._command(text, command, user_id, channel_id), **sign)

    def block_action(
        self,
        action_id: str,
        *,
        value: str | None = None,
        block_id: str | None = None,
        user_id: str = "U0ALICE",
        channel_id: str | None = "C0INCIDENTS",
        message_ts: str | None = None,
        view_id: str | None = None,
        **sign: Unpack[SignOptions],
    ) -> DriverResponse:
        """Click a button (or change an element) in a message or a view."""
        out = self._block_action(
            action_id,
            value,
            block_id,
            user_id,
            None if view_id and not message_ts else channel_id,
            message_ts,
            view_id,
        )
        return self.send(out, **sign)

    def view_submission(
        self,
        view_id: str,
        values: dict[str, dict[str, Any]] | None = None,
        *,
        user_id: str = "U0ALICE",
        **sign: Unpack[SignOptions],
    ) -> DriverResponse:
        """Submit a stored modal; the ack's ``response_action`` is applied to the stack."""
        return self.send(
            build_view_submission(self.env, view_id, values or {}, user_id=user_id), **sign
        )

    def event(
        self,
        event: dict[str, Any],
        *,
        event_id: str | None = None,
        retry_num: int | None = None,
        retry_reason: str = "http_timeout",
        **sign: Unpack[SignOptions],
    ) -> DriverResponse:
        """Deliver an Events API ``event_callback``."""
        out = build_event(
            self.env, event, event_id=event_id, retry_num=retry_num, retry_reason=retry_reason
        )
        return self.send(out, **sign)

    def url_verification(
        self, challenge: str | None = None, **sign: Unpack[SignOptions]
    ) -> DriverResponse:
        """The events URL handshake; a correct app echoes the challenge."""
        return self.send(build_url_verification(challenge), **sign)


class AsyncSlackDriver(_DriverBase):
    """Asynchronous twin of :class:`SlackDriver` (httpx.AsyncClient)."""

    def __init__(
        self,
        events_url: str,
        signing_secret: str,
        sandbox: SandboxSlack,
        *,
        team_id: str | None = None,
        interactions_url: str | None = None,
        commands_url: str | None = None,
        timeout: float = 10.0,
    ) -> None:
        super().__init__(
            events_url,
            signing_secret,
            sandbox,
            team_id=team_id,
            interactions_url=interactions_url,
            commands_url=commands_url,
            timeout=timeout,
        )
        self._client = httpx.AsyncClient(timeout=timeout)

    async def aclose(self) -> None:
        """Close the HTTP client."""
        await self._client.aclose()

    async def __aenter__(self) -> AsyncSlackDriver:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def send(
        self,
        out: Outgoing,
        *,
        timestamp: int | None = None,
        signature: str | None = None,
        unsigned: bool = False,
    ) -> DriverResponse:
        """Deliver a built request and apply the app's answer."""
        headers = self._headers(out, timestamp=timestamp, signature=signature, unsigned=unsigned)
        start = time.monotonic()
        resp = await self._client.post(self._url(out), content=out.body, headers=headers)
        return self._finish(out, resp, time.monotonic() - start)

    async def command(
        self,
        text: str,
        *,
        command: str = "/incident",
        user_id: str = "U0ALICE",
        channel_id: str = "C0INCIDENTS",
        **sign: Unpack[SignOptions],
    ) -> DriverResponse:
        """See :meth:`SlackDriver.command`."""
        return await self.send(self._command(text, command, user_id, channel_id), **sign)

    async def block_action(
        self,
        action_id: str,
        *,
        value: str | None = None,
        block_id: str | None = None,
        user_id: str = "U0ALICE",
        channel_id: str | None = "C0INCIDENTS",
        message_ts: str | None = None,
        view_id: str | None = None,
        **sign: Unpack[SignOptions],
    ) -> DriverResponse:
        """See :meth:`SlackDriver.block_action`."""
        out = self._block_action(
            action_id,
            value,
            block_id,
            user_id,
            None if view_id and not message_ts else channel_id,
            message_ts,
            view_id,
        )
        return await self.send(out, **sign)

    async def view_submission(
        self,
        view_id: str,
        values: dict[str, dict[str, Any]] | None = None,
        *,
        user_id: str = "U0ALICE",
        **sign: Unpack[SignOptions],
    ) -> DriverResponse:
        """See :meth:`SlackDriver.view_submission`."""
        return await self.send(
            build_view_submission(self.env, view_id, values or {}, user_id=user_id), **sign
        )

    async def event(
        self,
        event: dict[str, Any],
        *,
        event_id: str | None = None,
        retry_num: int | None = None,
        retry_reason: str = "http_timeout",
        **sign: Unpack[SignOptions],
    ) -> DriverResponse:
        """See :meth:`SlackDriver.event`."""
        out = build_event(
            self.env, event, event_id=event_id, retry_num=retry_num, retry_reason=retry_reason
        )
        return await self.send(out, **sign)

    async def url_verification(
        self, challenge: str | None = None, **sign: Unpack[SignOptions]
    ) -> DriverResponse:
        """See :meth:`SlackDriver.url_verification`."""
        return await self.send(build_url_verification(challenge), **sign)
