"""Examples that use only the documented contract (docs/events.md), never this code."""
