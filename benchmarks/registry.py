"""The benchmark's rows and what measures them, registered by the modules that own them.

A *measurement* is a function of one run's servers that returns named figures (one call a
round, or, with ``rounds_inside``, a list of them from one call). A *row* is a figure with
a stable key, its unit, and the limits it is read against, each a figure too. Selecting
rows (``--only``) runs just the measurements their figures and limits need.

A module adds rows by registering both at import; ``benchmarks.run`` imports it by name.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from nats.aio.client import Client

Figures = dict[str, float]


@dataclass(frozen=True)
class Sizes:
    """How much work each measurement does."""

    repeats: int = 3
    commands: int = 2000
    ingest: int = 4000
    in_flight: int = 64
    events: int = 100_000
    replay_events: int = 1_000_000
    replay_workers: int = 0  # worker processes of the replay rows; 0: the service's default
    goals: int = 10_000
    requests: int = 200
    peer_events: int = 20_000
    peer_in_flight: int = 16
    curve: tuple[int, ...] = ()  # extra catch-up sizes, for the plot


SMOKE = Sizes(
    repeats=1,
    commands=20,
    ingest=64,
    in_flight=8,
    events=1500,
    replay_events=1500,
    goals=60,
    requests=5,
    peer_events=300,
    peer_in_flight=4,
)


@dataclass(frozen=True)
class Bench:
    """What a measurement runs against."""

    nc: Client
    nats_url: str
    database_url: str
    sizes: Sizes


@dataclass(frozen=True)
class Measurement:
    """A function giving ``figures``; called once a round unless ``rounds_inside``."""

    name: str
    figures: tuple[str, ...]
    run: Callable[[Bench], Awaitable[Figures | list[Figures]]]
    rounds_inside: bool = False


@dataclass(frozen=True)
class Row:
    """One line of the table: the figure ``ours`` (by default the key) beside ``limit``.

    ``ratio`` is ours / limit: a share of the limit for rates, a multiple of it for times.
    ``also`` names further limits, each with its own ratio.
    """

    key: str
    label: str
    unit: str
    limit: str | None = None
    also: tuple[str, ...] = ()

    def needs(self) -> tuple[str, ...]:
        """Every figure the row reads."""
        return (self.key, *((self.limit,) if self.limit else ()), *self.also)


@dataclass
class Registry:
    """Every measurement (by the figures it gives) and every row, in registration order."""

    measurements: dict[str, Measurement] = field(default_factory=dict)
    rows: dict[str, Row] = field(default_factory=dict)

    def measures(
        self, *figures: str, rounds_inside: bool = False
    ) -> Callable[
        [Callable[[Bench], Awaitable[Figures | list[Figures]]]],
        Callable[[Bench], Awaitable[Figures | list[Figures]]],
    ]:
        """Register the decorated function as the one that gives ``figures``."""

        def register(
            run: Callable[[Bench], Awaitable[Figures | list[Figures]]],
        ) -> Callable[[Bench], Awaitable[Figures | list[Figures]]]:
            measurement = Measurement(run.__name__, figures, run, rounds_inside)
            for figure in figures:
                if figure in self.measurements:
                    raise ValueError(f"figure {figure!r} is measured twice")
                self.measurements[figure] = measurement
            return run

        return register

    def row(self, row: Row) -> None:
        """Register a row (its key is a contract: never rename it)."""
        if row.key in self.rows:
            raise ValueError(f"row {row.key!r} is registered twice")
        self.rows[row.key] = row

    def select(self, keys: list[str] | None) -> list[Row]:
        """The rows named by ``keys`` (all when None), in registration order."""
        if keys is None:
            return list(self.rows.values())
        unknown = [k for k in keys if k not in self.rows]
        if unknown:
            raise KeyError(f"no row {', '.join(unknown)}; rows: {', '.join(self.rows)}")
        return [row for row in self.rows.values() if row.key in keys]

    def needed(self, rows: list[Row]) -> list[Measurement]:
        """The measurements giving what ``rows`` read, each once, in registration order."""
        figures = {figure for row in rows for figure in row.needs()}
        missing = figures - self.measurements.keys()
        if missing:
            raise KeyError(f"nothing measures {', '.join(sorted(missing))}")
        chosen: dict[tuple[str, ...], Measurement] = {}
        for figure, measurement in self.measurements.items():
            if figure in figures:
                chosen.setdefault(measurement.figures, measurement)
        return list(chosen.values())


REGISTRY = Registry()
measures = REGISTRY.measures
row = REGISTRY.row
