"""The use cases: the command handler and its refusals, repository, ingest, auditor, auth."""
