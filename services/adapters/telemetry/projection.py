"""The projector's observer: batch metrics, and a span for each event that carries a trace."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager

from opentelemetry.trace import Span, SpanKind, Status, StatusCode

from events.envelope import RawEvent
from services.adapters.telemetry.metrics import Metrics
from services.adapters.telemetry.tracing import Tracing, context_of

SPAN_NAME = "project event"


class _Watch:
    count = 0

    def applied(self, count: int) -> None:
        self.count = count


class ProjectionTelemetry:
    """Observes each batch: its size, duration and events applied; traced events' spans.

    An event stored with a ``traceparent`` gets a span in that trace covering the batch
    transaction that applied it: one trace runs from the request to the score row.
    """

    def __init__(self, metrics: Metrics, tracing: Tracing) -> None:
        self._metrics = metrics
        self._tracer = tracing.tracer

    def batch(self, events: Sequence[RawEvent]) -> AbstractContextManager[_Watch]:
        """The scope of writing one batch."""
        return self._batch(events)

    @contextmanager
    def _batch(self, events: Sequence[RawEvent]) -> Iterator[_Watch]:
        began = time.perf_counter()
        spans = self._spans(events) if self._tracer is not None else []
        watch = _Watch()
        try:
            yield watch
        except BaseException as exc:
            for span in spans:
                span.record_exception(exc)
                span.set_status(Status(StatusCode.ERROR, type(exc).__name__))
            raise
        else:
            self._metrics.batch_written(len(events), watch.count, time.perf_counter() - began)
        finally:
            for span in spans:
                span.end()

    def _spans(self, events: Sequence[RawEvent]) -> list[Span]:
        assert self._tracer is not None
        return [
            self._tracer.start_span(
                SPAN_NAME,
                context=context_of(event.traceparent),
                kind=SpanKind.CONSUMER,
                attributes={"okr.stream_sequence": event.sequence, "okr.batch_size": len(events)},
            )
            for event in events
            if event.traceparent
        ]
