"""Creates the event and dead-letter streams idempotently; refuses a server or stream that
doesn't fit."""

from __future__ import annotations

import re
from dataclasses import dataclass

from nats.aio.client import Client
from nats.js.api import StorageType, StreamConfig, StreamInfo
from nats.js.errors import NotFoundError

from events.subjects import DEFAULT_SUBJECTS, Subjects

# Atomic batch publish (all-or-nothing commands) arrived in 2.12; the wildcard
# Expected-Last-Subject-Sequence-Subject check in 2.11.
MIN_SERVER_VERSION = (2, 12, 0)


class IncompatibleServer(RuntimeError):
    """The NATS server or the existing stream cannot give this service its guarantees."""


@dataclass(frozen=True)
class StreamSettings:
    """What one of the service's immutable streams must look like: the event log, with
    ``dead_letters`` the stream that keeps refused progress reports, with ``seals`` the
    stream of signed tree heads."""

    name: str
    subjects: Subjects = DEFAULT_SUBJECTS
    duplicate_window_s: float = 120.0
    replicas: int = 1
    dead_letters: bool = False
    seals: bool = False

    @property
    def captures(self) -> list[str]:
        """The subjects the stream holds."""
        if self.dead_letters:
            return self.subjects.dead_letter_subjects()
        if self.seals:
            return self.subjects.seal_subjects()
        return self.subjects.stream_subjects()

    @property
    def is_event_log(self) -> bool:
        """Whether this is the event stream (the only one that takes atomic batches)."""
        return not (self.dead_letters or self.seals)

    @property
    def purpose(self) -> str:
        """What the stream is for, as an operator reads it in a refusal."""
        if self.seals:
            return "the seals"
        return "the dead letters" if self.dead_letters else "the event log"

    @property
    def variable(self) -> str:
        """The setting that points the service at another stream of this kind."""
        if self.seals:
            return "OKR_SEAL_STREAM"
        return "OKR_DEAD_LETTER_STREAM" if self.dead_letters else "OKR_STREAM"

    def config(self) -> StreamConfig:
        """The JetStream configuration for a new stream."""
        description = (
            "Signed tree heads over each tenant's events, and the leaf hashes they cover"
            if self.seals
            else "Progress reports the service refused, with the reason"
            if self.dead_letters
            else "Immutable OKR and SMART-goal events (see README: event contract)"
        )
        return StreamConfig(
            name=self.name,
            description=description,
            subjects=self.captures,
            storage=StorageType.FILE,
            num_replicas=self.replicas,
            duplicate_window=self.duplicate_window_s,
            deny_delete=True,
            deny_purge=True,
            allow_direct=True,
            # Only commands append several events at once.
            allow_atomic=self.is_event_log,
        )


def parse_version(text: str) -> tuple[int, int, int]:
    """``'2.15.1'`` or ``'v2.12.0-beta'`` -> (2, 15, 1)."""
    match = re.match(r"v?(\d+)\.(\d+)\.(\d+)", text)
    if match is None:
        raise IncompatibleServer(f"cannot read the NATS server version {text!r}")
    return int(match[1]), int(match[2]), int(match[3])


def check_server(nc: Client) -> None:
    """Refuse a server without JetStream or older than MIN_SERVER_VERSION."""
    info = nc._server_info  # nats-py keeps the INFO block here; there is no public getter
    version = str(info.get("version", "0.0.0"))
    if parse_version(version) < MIN_SERVER_VERSION:
        need = ".".join(map(str, MIN_SERVER_VERSION))
        raise IncompatibleServer(
            f"NATS server {version} at {nc.connected_url} is too old: this service needs "
            f">= {need} (atomic batch publish, wildcard subject sequence checks). "
            "Unset OKR_NATS_URL to use the bundled server, or upgrade."
        )
    if not info.get("jetstream"):
        raise IncompatibleServer(f"NATS server at {nc.connected_url} has JetStream disabled (-js)")


def check_stream(info: StreamInfo, wanted: StreamSettings, require_subjects: bool = True) -> None:
    """Refuse an existing stream whose settings break the guarantees it is there for."""
    cfg = info.config
    problems = []
    if not cfg.deny_delete:
        problems.append("deny_delete is off (it can only be set when the stream is created)")
    if not cfg.deny_purge:
        problems.append("deny_purge is off (it can only be set when the stream is created)")
    if cfg.storage != StorageType.FILE:
        problems.append(f"storage is {cfg.storage}, not file")
    if not cfg.allow_atomic and wanted.is_event_log:
        problems.append("allow_atomic is off")
    if not cfg.allow_direct:
        problems.append("allow_direct is off")
    if require_subjects and set(cfg.subjects or ()) != set(wanted.captures):
        problems.append(f"subjects are {cfg.subjects}, expected {wanted.captures}")
    if cfg.max_age or (cfg.max_msgs or -1) > 0 or (cfg.max_bytes or -1) > 0:
        problems.append("limits (max_age/max_msgs/max_bytes) would discard messages")
    if problems:
        # These settings cannot be changed on a stream that exists: the way out is another.
        variable = wanted.variable
        raise IncompatibleServer(
            f"stream {wanted.name!r} does not fit {wanted.purpose}: "
            + "; ".join(problems)
            + f". Set {variable} to a new stream name (the existing one is kept as it is)."
        )


async def ensure_stream(nc: Client, wanted: StreamSettings) -> StreamInfo:
    """Create the stream if missing, else check it; idempotent and safe to race."""
    check_server(nc)
    js = nc.jetstream()
    try:
        info = await js.stream_info(wanted.name)
    except NotFoundError:
        info = await js.add_stream(wanted.config())
    else:
        # Only the tunable settings are updated, and subjects only added (a stream made
        # before the alignment guard lacks its subject); the guarantees are checked, never
        # loosened.
        cfg = info.config
        have = list(cfg.subjects or ())
        missing = [s for s in wanted.captures if s not in have]
        tunable = (cfg.duplicate_window, cfg.num_replicas)
        if tunable != (wanted.duplicate_window_s, wanted.replicas) or (
            missing and wanted.captures[0] in have
        ):
            check_stream(info, wanted, require_subjects=False)
            cfg.duplicate_window = wanted.duplicate_window_s
            cfg.num_replicas = wanted.replicas
            cfg.subjects = have + missing
            info = await js.update_stream(cfg)
    check_stream(info, wanted)
    return info
