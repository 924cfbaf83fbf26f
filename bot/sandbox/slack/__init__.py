"""Sandbox Slack: a stateful Slack Web API emulator, a signed-request driver, transcripts.

Start one with :class:`SandboxSlack`, point ``slack_sdk.WebClient(base_url=sandbox.api_url)``
at it, drive an app with :class:`SlackDriver`, and read what happened with
:func:`render_transcript` or :meth:`SlackState.calls`.
"""

from ._blocks import check_blocks, check_view
from ._catalog import emitted_errors, implemented_methods
from ._driver import AsyncSlackDriver, DriverResponse, SignOptions, SlackDriver
from ._errors import COMMON_ERRORS, SlackError
from ._interactions import ResponseUrlError
from ._models import (
    Activity,
    Bookmark,
    Channel,
    Fault,
    JournalEntry,
    Message,
    User,
    Usergroup,
    View,
)
from ._payloads import sign_request
from ._runner import SandboxSlack
from ._server import create_sandbox_app
from ._state import SlackState
from ._transcript import blocks_to_text, format_mrkdwn, message_text, render_transcript

__all__ = [
    "COMMON_ERRORS",
    "Activity",
    "AsyncSlackDriver",
    "Bookmark",
    "Channel",
    "DriverResponse",
    "Fault",
    "JournalEntry",
    "Message",
    "ResponseUrlError",
    "SandboxSlack",
    "SignOptions",
    "SlackDriver",
    "SlackError",
    "SlackState",
    "User",
    "Usergroup",
    "View",
    "blocks_to_text",
    "check_blocks",
    "check_view",
    "create_sandbox_app",
    "emitted_errors",
    "format_mrkdwn",
    "implemented_methods",
    "message_text",
    "render_transcript",
    "sign_request",
]
