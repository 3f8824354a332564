"""The ``okr`` command line."""
