"""The NATS entry point: the router of the command and ingest endpoints, and its contract."""
