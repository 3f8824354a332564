"""Benchmarks: scripts that print figures beside the raw limits measured in the same run."""
