"""Typed error codes and the exception that carries a rule violation."""

from __future__ import annotations

from enum import StrEnum

from events.values import Frozen


class ErrorCode(StrEnum):
    """Every reason a command can be refused; stable strings in replies."""

    MALFORMED_REQUEST = "malformed_request"
    INVALID_COMMAND = "invalid_command"
    UNKNOWN_COMMAND = "unknown_command"
    INVALID_REPORT = "invalid_report"
    TOO_LARGE = "too_large"
    UNKNOWN_GOAL = "unknown_goal"
    UNKNOWN_KEY_RESULT = "unknown_key_result"
    UNKNOWN_PARENT = "unknown_parent"
    GOAL_EXISTS = "goal_exists"
    KEY_RESULT_EXISTS = "key_result_exists"
    TOO_MANY_KEY_RESULTS = "too_many_key_results"
    ALREADY_ACTIVE = "already_active"
    NOT_SMART = "not_smart"
    VALUE_DOES_NOT_FIT_METRIC = "value_does_not_fit_metric"
    KEY_RESULT_REQUIRED = "key_result_required"
    KEY_RESULT_NOT_EXPECTED = "key_result_not_expected"
    CHECK_IN_OUTSIDE_CYCLE = "check_in_outside_cycle"
    CHECK_IN_IN_FUTURE = "check_in_in_future"
    REASON_REQUIRED = "reason_required"
    NOTHING_CHANGED = "nothing_changed"
    ALIGNMENT_CYCLE = "alignment_cycle"
    ALIGNMENT_ACROSS_TENANTS = "alignment_across_tenants"
    ALIGNMENT_TO_SELF = "alignment_to_self"
    ALIGNMENT_LEVEL_INVERTED = "alignment_level_inverted"
    ALREADY_ALIGNED = "already_aligned"
    NOT_ALIGNED = "not_aligned"
    GOAL_CLOSED = "goal_closed"
    GOAL_ARCHIVED = "goal_archived"
    CYCLE_NOT_LATER = "cycle_not_later"
    CONCURRENCY_CONFLICT = "concurrency_conflict"
    COMMAND_ID_REUSED = "command_id_reused"
    UNAVAILABLE = "unavailable"
    INTERNAL_ERROR = "internal_error"
    # Refusals of the HTTP edge, in the same reply shape.
    UNAUTHENTICATED = "unauthenticated"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    INVALID_PARAMETERS = "invalid_parameters"


class Violation(Frozen):
    """One failed criterion, e.g. the 'measurable' part of a SMART goal."""

    criterion: str
    code: str
    message: str


class RuleViolation(Exception):
    """A command broke a business rule; the reply carries code, message and details."""

    def __init__(
        self, code: ErrorCode, message: str, violations: tuple[Violation, ...] = ()
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.violations = violations
