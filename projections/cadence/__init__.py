"""The goal rhythm, pure: when check-ins fall due, and the goal-hygiene rules."""
