"""Counters and histograms for the write path: plain dict and list updates, read at scrape.

prometheus_client's own take a lock on every update and a histogram's observe walks its
buckets (measured on this machine: 1.5 µs an increment, 6.5 µs an observation). The
service records from its event loop only, so no lock is needed: a tally is a dict entry,
an observation a bisect; the collector turns them into the text format when scraped.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator, Sequence

from prometheus_client.metrics_core import CounterMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector


class Tally(Collector):
    """A counter by label values."""

    def __init__(self, name: str, documentation: str, labels: Sequence[str]) -> None:
        self._name, self._doc, self._labels = name, documentation, list(labels)
        self.counts: dict[tuple[str, ...], float] = {}

    def inc(self, *values: str) -> None:
        """Add one for ``values`` (in label order)."""
        counts = self.counts
        counts[values] = counts.get(values, 0.0) + 1.0

    def collect(self) -> Iterator[Metric]:
        """The counter family, one sample per label values seen."""
        family = CounterMetricFamily(self._name, self._doc, labels=self._labels)
        for values, count in list(self.counts.items()):
            family.add_metric(list(values), count)
        yield family


class _Series:
    __slots__ = ("buckets", "total")

    def __init__(self, size: int) -> None:
        self.buckets = [0] * size  # the last one is +Inf
        self.total = 0.0


class Spread(Collector):
    """A histogram by label values."""

    def __init__(
        self, name: str, documentation: str, labels: Sequence[str], bounds: Sequence[float]
    ) -> None:
        self._name, self._doc, self._labels = name, documentation, list(labels)
        self._bounds = list(bounds)
        self._series: dict[tuple[str, ...], _Series] = {}

    def observe(self, value: float, *values: str) -> None:
        """Record ``value`` for ``values`` (in label order)."""
        series = self._series.get(values)
        if series is None:
            series = self._series[values] = _Series(len(self._bounds) + 1)
        series.buckets[bisect_left(self._bounds, value)] += 1
        series.total += value

    def collect(self) -> Iterator[Metric]:
        """The histogram family: cumulative buckets, sum and count per label values."""
        family = HistogramMetricFamily(self._name, self._doc, labels=self._labels)
        edges = [str(float(b)) for b in self._bounds] + ["+Inf"]
        for values, series in list(self._series.items()):
            cumulative, running = [], 0
            for edge, count in zip(edges, series.buckets, strict=True):
                running += count
                cumulative.append((edge, float(running)))
            family.add_metric(list(values), cumulative, series.total)
        yield family
