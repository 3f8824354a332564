"""OpenTelemetry traces, off unless configured; the W3C trace context on NATS messages.

The context travels as a ``traceparent`` header: from an HTTP request onto the NATS
request it relays, from there into every event the command stores, and from the stored
event into the projector's span for it. Spans are recorded only with a tracer provider
(``OKR_TRACES_EXPORTER=otlp``, or a test's); without one an incoming ``traceparent`` is
still passed on, so a caller's trace id reaches the stored events either way.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Final

from opentelemetry import context, trace
from opentelemetry.context import Context
from opentelemetry.trace import SpanKind, Tracer, TracerProvider
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from events.subjects import HEADER_TRACEPARENT

TRACER_NAME: Final = "okr-ledger"
SERVICE_NAME: Final = "okr-ledger"
_PROPAGATOR: Final = TraceContextTextMapPropagator()
_UNTRACED: Final = nullcontext()


def current_traceparent() -> str | None:
    """The active span's context as a W3C ``traceparent`` value, if there is one."""
    span_context = trace.get_current_span().get_span_context()
    if not span_context.is_valid:
        return None
    flags = int(span_context.trace_flags)
    return f"00-{span_context.trace_id:032x}-{span_context.span_id:016x}-{flags:02x}"


def trace_headers() -> dict[str, str]:
    """Headers carrying the active trace context onto a message (none without one)."""
    value = current_traceparent()
    return {} if value is None else {HEADER_TRACEPARENT: value}


def context_of(traceparent: str) -> Context:
    """The trace context a ``traceparent`` value names (an empty one if it is malformed)."""
    return _PROPAGATOR.extract({HEADER_TRACEPARENT: traceparent})


def otlp_provider() -> TracerProvider:
    """A provider exporting spans in batches over OTLP/HTTP (``OTEL_EXPORTER_OTLP_*``)."""
    # Imported here: the SDK and the exporter are loaded only when traces are configured.
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import OTELResourceDetector, Resource
    from opentelemetry.sdk.trace import TracerProvider as SdkTracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    # OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES, when set, win over the default name.
    resource = Resource({"service.name": SERVICE_NAME}).merge(OTELResourceDetector().detect())
    provider = SdkTracerProvider(resource=resource)
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    return provider


class Tracing:
    """Spans of one service on ``provider``; with none, only the context is passed on."""

    def __init__(self, provider: TracerProvider | None = None) -> None:
        self.provider = provider
        self.tracer: Tracer | None = None if provider is None else provider.get_tracer(TRACER_NAME)

    def handling(
        self, name: str, headers: Mapping[str, str] | None
    ) -> AbstractContextManager[None]:
        """The scope of handling one request (nothing at all with no tracer and no caller's
        trace: the write path pays one dict lookup)."""
        if self.tracer is None and not (headers and HEADER_TRACEPARENT in headers):
            return _UNTRACED
        return self._handling(name, headers)

    @contextmanager
    def _handling(self, name: str, headers: Mapping[str, str] | None) -> Iterator[None]:
        """The scope of handling one request: a span, child of the caller's trace.

        The caller's trace is the active span (a transport's middleware made it), else the
        request's ``traceparent`` header: a transport without tracing still joins it.
        """
        parent: Context | None = None
        if not trace.get_current_span().get_span_context().is_valid:
            sent = headers.get(HEADER_TRACEPARENT) if headers else None
            if sent:
                parent = context_of(sent)
        if self.tracer is None:
            if parent is None:
                yield
                return
            token = context.attach(parent)
            try:
                yield
            finally:
                context.detach(token)
            return
        with self.tracer.start_as_current_span(name, context=parent, kind=SpanKind.SERVER):
            yield

    def shutdown(self) -> None:
        """Flush and stop the provider's exporters, if it has any."""
        stop = getattr(self.provider, "shutdown", None)
        if callable(stop):
            stop()
