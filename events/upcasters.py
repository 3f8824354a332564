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


# (event_type, from_version) -> upcaster to from_version + 1
UPCASTERS: Mapping[tuple[str, int], Upcaster] = {
    ("check_in.recorded", 1): check_in_recorded_v1_to_v2,
}
