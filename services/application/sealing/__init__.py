"""Seals over each tenant's events: making them, checking the log against them, proofs."""
