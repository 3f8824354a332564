"""The service's JetStream key-value buckets: one value a key, on file, created if missing."""

from __future__ import annotations

from nats.aio.client import Client
from nats.js.api import KeyValueConfig, StorageType
from nats.js.errors import BucketNotFoundError
from nats.js.kv import KeyValue


async def open_bucket(
    nc: Client, bucket: str, description: str, keep_s: float, replicas: int = 1
) -> KeyValue:
    """The bucket ``bucket``, created if missing (safe to race); a key lives ``keep_s``."""
    js = nc.jetstream()
    try:
        return await js.key_value(bucket)
    except BucketNotFoundError:
        return await js.create_key_value(
            KeyValueConfig(
                bucket=bucket,
                description=f"{description} (okr-ledger)",
                history=1,
                ttl=keep_s,
                storage=StorageType.FILE,
                replicas=replicas,
            )
        )
