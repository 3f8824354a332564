"""The public event contract: envelope, payload models, registry, subjects. No I/O."""
