"""Sandbox n8n: a stateful emulator of n8n's public REST API v1 (n8n 2.x) for tests and demos.

Start one with :class:`SandboxN8n`, seed it through :class:`N8nState` (``add_workflow``,
``success``, ``error``, ``waiting``, ``running``, ``canceled``, ``crashed``, ``retry``) or
:func:`demo_state`, send ``X-N8N-API-KEY: state.api_key`` to ``sandbox.url + "/api/v1/..."``,
inject failures with :class:`N8nFault`, and read what happened with :meth:`N8nState.calls`.
"""

from ._models import (
    API_PREFIX,
    DEFAULT_API_KEY,
    WAIT_INDEFINITELY,
    Execution,
    N8nCall,
    N8nError,
    N8nFault,
    Workflow,
)
from ._runner import SandboxN8n
from ._seed import demo_state, seed
from ._server import create_n8n_app
from ._state import N8nState

__all__ = [
    "API_PREFIX",
    "DEFAULT_API_KEY",
    "WAIT_INDEFINITELY",
    "Execution",
    "N8nCall",
    "N8nError",
    "N8nFault",
    "N8nState",
    "SandboxN8n",
    "Workflow",
    "create_n8n_app",
    "demo_state",
    "seed",
]
