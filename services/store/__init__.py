"""The event store adapter: the JetStream stream, append and load."""
