"""The read side: projections of the goal event log into PostgreSQL, and scoring."""
