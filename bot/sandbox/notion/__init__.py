"""Sandbox Notion: a stateful emulator of the Notion API (version 2025-09-03, data sources).

Start one with :class:`SandboxNotion`, point ``notion_client.Client(auth=..., base_url=
sandbox.url)`` at it, inject failures with :class:`NotionFault`, and read what happened with
:meth:`NotionState.pages`, :meth:`NotionState.blocks` and :meth:`NotionState.calls`.
"""

from ._models import (
    API_VERSION,
    DEFAULT_DATA_SOURCE_ID,
    DEFAULT_DATABASE_ID,
    DEFAULT_TOKEN,
    NotionCall,
    NotionError,
    NotionFault,
)
from ._render import incident_schema
from ._runner import SandboxNotion
from ._server import create_notion_app
from ._state import NotionState

__all__ = [
    "API_VERSION",
    "DEFAULT_DATABASE_ID",
    "DEFAULT_DATA_SOURCE_ID",
    "DEFAULT_TOKEN",
    "NotionCall",
    "NotionError",
    "NotionFault",
    "NotionState",
    "SandboxNotion",
    "create_notion_app",
    "incident_schema",
]
