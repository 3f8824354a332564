"""Inbound progress from integrations: reading reports, applying them in order."""
