"""The write side: pure deciders, the event store adapter, and the command service."""
