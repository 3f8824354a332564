"""The HTTP API: one module per route group, shared parameters and the gate."""
