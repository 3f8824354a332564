"""Auditors' tools: point-in-time replay, the audit report, tamper evidence."""
