"""Configuration from the environment; every knob has a documented default."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from pydantic import ValidationError

from events.scoring_policy import ScoringPolicy
from events.subjects import (
    COMMAND_ID_BUCKET_NAME,
    DEAD_LETTER_STREAM_NAME,
    EVENT_ROOT,
    REVOKED_TOKEN_BUCKET_NAME,
    SEAL_STREAM_NAME,
    SIGNAL_STREAM_NAME,
    STREAM_NAME,
    SUBJECT_KEY_BUCKET_NAME,
)
from projections.partitions import DEFAULT_PARTITIONS
from services.domain.clock_skew import DEFAULT_AHEAD, DEFAULT_BEHIND, ClockSkew


@dataclass(frozen=True)
class DatabaseTimeouts:
    """How long the service waits on PostgreSQL before it answers ``unavailable``."""

    connect_s: float = 5.0
    acquire_s: float = 2.0
    # A read of the query API: a frozen database is reported within seconds.
    query_s: float = 5.0
    # A statement of the projector, a rebuild or an audit replay (batches, migrations).
    write_s: float = 60.0


def default_replay_workers() -> int:
    """Worker processes of a large audit replay: one a core, at most four."""
    return min(4, os.cpu_count() or 1)


@dataclass(frozen=True)
class Settings:
    """Service settings. Unset URLs mean: start the embedded servers."""

    nats_url: str | None = None
    database_url: str | None = None
    data_dir: Path = Path(".okr-data")
    stream_name: str = STREAM_NAME
    dead_letter_stream: str | None = None
    subject_root: str = EVENT_ROOT
    duplicate_window_s: float = 120.0
    stream_replicas: int = 1
    command_retries: int = 5
    db_schema: str = "okr"
    http_host: str = "127.0.0.1"
    http_port: int = 8080
    auth_secret: str | None = None
    db_timeouts: DatabaseTimeouts = field(default_factory=DatabaseTimeouts)
    command_id_days: float = 30.0
    token_max_days: float = 90.0
    max_clock_ahead_s: float = DEFAULT_AHEAD.total_seconds()
    max_clock_behind_days: float = DEFAULT_BEHIND.days
    seal_stream: str | None = None
    seal_key: str | None = None  # hex Ed25519 seed; unset: <data_dir>/seal-key
    seal_retired_keys: tuple[str, ...] = ()  # hex public keys of earlier signing keys
    seal_interval_s: float = 86400.0  # scheduled seals of grown tenants; 0 = none
    seal_poll_s: float = 30.0  # how often the sealer looks for due seals and closed cycles
    signal_stream: str | None = None
    # A signal's id dedupes a resend whose acknowledgement was lost; the subject-sequence
    # check keeps it single past the window.
    signal_duplicate_window_s: float = 86_400.0
    cadence_scan_s: float = 60.0
    # The deployment's default scoring policy: every tenant that set none is scored by it.
    scoring_policy: ScoringPolicy = field(default_factory=ScoringPolicy)
    log_format: str = "text"
    traces_exporter: str = "none"
    metrics_tenant_labels: bool = False
    # /readyz says "not ready" while the read models are further behind than this.
    ready_max_lag: int = 10_000
    # Projector worker processes `okr serve` starts (1: the service projects itself; 0: it
    # does not project, workers run elsewhere), and the tenant partitions they share
    # (fixed per schema at its first start).
    projectors: int = 1
    projection_partitions: int = DEFAULT_PARTITIONS
    # An audit replay of at least ``replay_parallel_from`` events is shared among this many
    # processes (projections/audit/parallel.py); 1 replays in the service's process.
    replay_workers: int = field(default_factory=default_replay_workers)
    replay_parallel_from: int = 50_000

    def _beside_events(self, configured: str | None, default: str, suffix: str) -> str:
        # A stream or bucket as configured, else the deployment's default name beside the
        # default event stream, else one named after another event stream (tests, second
        # deployments on one server).
        if configured:
            return configured
        return default if self.stream_name == STREAM_NAME else f"{self.stream_name}_{suffix}"

    @property
    def seals(self) -> str:
        """The seal stream: as configured, else named after the event stream."""
        return self._beside_events(self.seal_stream, SEAL_STREAM_NAME, "SEALS")

    @property
    def dead_letters(self) -> str:
        """The dead-letter stream: as configured, else named after the event stream."""
        return self._beside_events(self.dead_letter_stream, DEAD_LETTER_STREAM_NAME, "DLQ")

    @property
    def signals(self) -> str:
        """The signal stream: as configured, else named after the event stream."""
        return self._beside_events(self.signal_stream, SIGNAL_STREAM_NAME, "SIGNALS")

    @property
    def clock_skew(self) -> ClockSkew:
        """How far meta.now may lie from the service clock."""
        return ClockSkew(
            timedelta(seconds=self.max_clock_ahead_s), timedelta(days=self.max_clock_behind_days)
        )

    @property
    def command_ids(self) -> str:
        """The key-value bucket binding command ids to requests, named like the stream's."""
        return self._beside_events(None, COMMAND_ID_BUCKET_NAME, "COMMAND_IDS")

    @property
    def subject_keys(self) -> str:
        """The key-value bucket of the data subjects' keys (one per event stream)."""
        return self._beside_events(None, SUBJECT_KEY_BUCKET_NAME, "SUBJECT_KEYS")

    @property
    def revoked_tokens(self) -> str:
        """The key-value bucket of revoked token ids, named like the stream's."""
        return self._beside_events(None, REVOKED_TOKEN_BUCKET_NAME, "REVOKED_TOKENS")

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        """Read ``OKR_*`` variables (see README, Configuration)."""
        e = dict(os.environ if env is None else env)
        defaults = cls()
        waits = defaults.db_timeouts
        return cls(
            nats_url=e.get("OKR_NATS_URL") or None,
            database_url=e.get("OKR_DATABASE_URL") or None,
            data_dir=Path(e.get("OKR_DATA_DIR", str(defaults.data_dir))),
            stream_name=e.get("OKR_STREAM", defaults.stream_name),
            dead_letter_stream=e.get("OKR_DEAD_LETTER_STREAM") or None,
            subject_root=e.get("OKR_SUBJECT_ROOT", defaults.subject_root),
            duplicate_window_s=float(e.get("OKR_DUPLICATE_WINDOW_S", defaults.duplicate_window_s)),
            stream_replicas=int(e.get("OKR_STREAM_REPLICAS", defaults.stream_replicas)),
            command_retries=int(e.get("OKR_COMMAND_RETRIES", defaults.command_retries)),
            db_schema=e.get("OKR_DB_SCHEMA", defaults.db_schema),
            http_host=e.get("OKR_HTTP_HOST", defaults.http_host),
            http_port=int(e.get("OKR_HTTP_PORT", defaults.http_port)),
            auth_secret=e.get("OKR_AUTH_SECRET") or None,
            db_timeouts=DatabaseTimeouts(
                connect_s=_seconds(e, "OKR_DB_CONNECT_TIMEOUT_S", waits.connect_s),
                acquire_s=_seconds(e, "OKR_DB_ACQUIRE_TIMEOUT_S", waits.acquire_s),
                query_s=_seconds(e, "OKR_DB_QUERY_TIMEOUT_S", waits.query_s),
                write_s=_seconds(e, "OKR_DB_WRITE_TIMEOUT_S", waits.write_s),
            ),
            command_id_days=float(e.get("OKR_COMMAND_ID_DAYS", defaults.command_id_days)),
            token_max_days=float(e.get("OKR_TOKEN_MAX_DAYS", defaults.token_max_days)),
            max_clock_ahead_s=float(e.get("OKR_MAX_CLOCK_AHEAD_S", defaults.max_clock_ahead_s)),
            max_clock_behind_days=float(
                e.get("OKR_MAX_CLOCK_BEHIND_DAYS", defaults.max_clock_behind_days)
            ),
            seal_stream=e.get("OKR_SEAL_STREAM") or None,
            seal_key=e.get("OKR_SEAL_KEY") or None,
            seal_retired_keys=tuple(
                k.strip() for k in e.get("OKR_SEAL_RETIRED_KEYS", "").split(",") if k.strip()
            ),
            seal_interval_s=float(e.get("OKR_SEAL_INTERVAL_S", defaults.seal_interval_s)),
            seal_poll_s=_seconds(e, "OKR_SEAL_POLL_S", defaults.seal_poll_s),
            signal_stream=e.get("OKR_SIGNAL_STREAM") or None,
            signal_duplicate_window_s=_seconds(
                e, "OKR_SIGNAL_DUPLICATE_WINDOW_S", defaults.signal_duplicate_window_s
            ),
            cadence_scan_s=_seconds(e, "OKR_CADENCE_SCAN_S", defaults.cadence_scan_s),
            scoring_policy=scoring_policy_from(e),
            log_format=_choice(e, "OKR_LOG_FORMAT", defaults.log_format, ("text", "json")),
            traces_exporter=_choice(
                e, "OKR_TRACES_EXPORTER", defaults.traces_exporter, ("none", "otlp")
            ),
            metrics_tenant_labels=_flag(e, "OKR_METRICS_TENANT_LABELS"),
            ready_max_lag=int(e.get("OKR_READY_MAX_LAG", defaults.ready_max_lag)),
            projectors=_count(e, "OKR_PROJECTORS", defaults.projectors, least=0),
            projection_partitions=_count(
                e, "OKR_PROJECTION_PARTITIONS", defaults.projection_partitions
            ),
            replay_workers=_count(e, "OKR_REPLAY_WORKERS", defaults.replay_workers),
            replay_parallel_from=_count(
                e, "OKR_REPLAY_PARALLEL_FROM", defaults.replay_parallel_from, least=0
            ),
        )


SCORING_PREFIX = "OKR_SCORING_"


def scoring_variable(setting: str) -> str:
    """The environment variable of one scoring-policy setting (``OKR_SCORING_<SETTING>``)."""
    return f"{SCORING_PREFIX}{setting.upper()}"


def scoring_policy_from(env: dict[str, str]) -> ScoringPolicy:
    """The deployment's default scoring policy: the built-in one with the variables set."""
    given = {
        name: env[scoring_variable(name)]
        for name in ScoringPolicy.model_fields
        if env.get(scoring_variable(name))
    }
    try:
        return ScoringPolicy.model_validate(given)
    except ValidationError as exc:
        problems = "; ".join(
            f"{scoring_variable(str(item['loc'][0]))}: {item['msg']}" for item in exc.errors()
        )
        raise ValueError(f"the default scoring policy is invalid: {problems}") from None


def _seconds(env: dict[str, str], name: str, default: float) -> float:
    value = float(env.get(name, default))
    # A zero, negative or NaN wait would turn every query into a timeout (or none at all).
    if not value > 0 or value == float("inf"):
        raise ValueError(f"{name} must be a positive number of seconds, not {env[name]!r}")
    return value


def _count(env: dict[str, str], name: str, default: int, least: int = 1) -> int:
    value = int(env.get(name) or default)
    if value < least:
        raise ValueError(f"{name} must be a whole number of at least {least}, not {env[name]!r}")
    return value


def _choice(env: dict[str, str], name: str, default: str, allowed: tuple[str, ...]) -> str:
    value = env.get(name) or default
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(allowed)}, not {value!r}")
    return value


def _flag(env: dict[str, str], name: str) -> bool:
    value = env.get(name, "").strip().lower()
    if value not in ("", "0", "1", "false", "true", "no", "yes"):
        raise ValueError(f"{name} must be 1/true/yes or 0/false/no, not {env[name]!r}")
    return value in ("1", "true", "yes")
