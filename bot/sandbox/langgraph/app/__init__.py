"""The ``ops`` graph served by the sandbox LangGraph server (see ``graph.py``)."""
