"""Sandbox OTLP receiver: a stateful OpenTelemetry collector stand-in (OTLP/HTTP, traces).

Start one with :class:`SandboxOtlp`, point an exporter at ``sandbox.url`` (the base URL:
``OTEL_EXPORTER_OTLP_ENDPOINT``; the traces endpoint is ``sandbox.traces_url``), read what
arrived with :meth:`OtlpState.spans`, :meth:`OtlpState.trace` and :meth:`OtlpState.exports`,
and make it refuse exports with :class:`OtlpFault`.
"""

from ._models import OtlpExport, OtlpFault, ReceivedEvent, ReceivedSpan
from ._server import SandboxOtlp
from ._state import OtlpState

__all__ = [
    "OtlpExport",
    "OtlpFault",
    "OtlpState",
    "ReceivedEvent",
    "ReceivedSpan",
    "SandboxOtlp",
]
