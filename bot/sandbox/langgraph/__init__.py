"""The real LangGraph dev server on loopback with a tiny graph that needs no model, for the
end-to-end tests and ``opsbot demo`` (``langgraph-cli[inmem]`` comes with the dev extras)."""

from __future__ import annotations

from bot.sandbox.langgraph._server import APP_DIR, LangGraphError, LangGraphServer, find_langgraph

__all__ = ["APP_DIR", "LangGraphError", "LangGraphServer", "find_langgraph"]
