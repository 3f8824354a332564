"""Upcasters: each lifts one stored payload version to the next, as plain JSON.

Stored events never change; readers bring old versions up to the current model here.
An upcaster sees the payload and the envelope header (for values it can derive).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

Json = dict[str, Any]
Upcaster = Callable[[Json, Mapping[str, Any]], Json]


def check_in_recorded_v1_to_v2(payload: Json, header: Mapping[str, Any]) -> Json:
    """v1 check-ins had no ``applies_at``: the value held when the check-in occurred."""
    return {**payload, "applies_at": header["occurred_at"]}


def stored_in_plaintext(payload: Json, header: Mapping[str, Any]) -> Json:
    """The version before sealing held the same fields, every text in plaintext: it reads as
    it is (a plaintext text is never sealed afterwards; docs/privacy.md says what that means
    for erasure)."""
    return payload


# (event_type, from_version) -> upcaster to from_version + 1
UPCASTERS: Mapping[tuple[str, int], Upcaster] = {
    ("check_in.recorded", 1): check_in_recorded_v1_to_v2,
    ("check_in.recorded", 2): stored_in_plaintext,
    ("objective.created", 1): stored_in_plaintext,
    ("key_result.added", 1): stored_in_plaintext,
    ("key_result.adjusted", 1): stored_in_plaintext,
    ("smart_goal.created", 1): stored_in_plaintext,
    ("goal.unaligned", 1): stored_in_plaintext,
    ("goal.closed", 1): stored_in_plaintext,
    ("goal.carried_over", 1): stored_in_plaintext,
    ("goal.archived", 1): stored_in_plaintext,
    ("scoring_policy.set", 1): stored_in_plaintext,
    ("check_in_cadence.set", 1): stored_in_plaintext,
}
