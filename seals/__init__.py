"""Tamper evidence an outsider can check: RFC 9162 Merkle trees over a tenant's stored events,
signed tree heads (seals) and inclusion proofs. Imports nothing of ours: an auditor can run
it with ``cryptography`` alone."""
