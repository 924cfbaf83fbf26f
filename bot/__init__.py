"""opsbot: Slack chat-ops for AI workflow operations."""

__all__ = ["__version__"]

__version__ = "0.1.0"
