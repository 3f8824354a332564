"""Hypothesis strategies for request bodies: plausible commands and reports, and garbage.

Plausible bodies draw each field from values near its schema (right shape, wrong value,
edge numbers, bad tokens, missing, of another type), so that some commands pass and
exercise the deciders and the append; garbage bodies exercise the parser.
"""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID, uuid4

from hypothesis import strategies as st

from events.values import Cycle
from services.application.codec import COMMANDS_BY_NAME

Q4 = Cycle.quarter("2026-q4").model_dump(mode="json")
EXISTING_OBJECTIVE, EXISTING_KRS, EXISTING_SMART_GOAL = "o1", ("k1", "k2"), "g1"
REUSED_ID = UUID("00000000-0000-4000-8000-000000000001")

JSON_VALUES: st.SearchStrategy[Any] = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
NUMBERS = (
    st.integers(-(10**6), 10**6)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from([0, 1, 0.5, -1, 1e308, -1e308, 10**30, "12", "NaN"])
)
TOKENS = st.sampled_from(
    [
        EXISTING_OBJECTIVE,
        EXISTING_SMART_GOAL,
        *EXISTING_KRS,
        "",
        "Bad.Token",
        "UPPER",
        "ü",
        "a" * 200,
    ]
) | st.from_regex(r"[a-z0-9_-]{1,12}", fullmatch=True)
TEXT = st.text(max_size=40) | st.sampled_from(["", "x" * 6000])
INSTANTS = st.sampled_from(
    [
        "2026-11-15T09:00:00Z",
        "2026-10-01T00:00:00+02:00",
        "2026-12-31T23:59:59Z",
        "2026-11-15T09:00:00",  # naive: refused
        "2027-05-01T00:00:00Z",  # outside the cycle, in the future
        "2025-01-01T00:00:00Z",
        "yesterday",
        "",
    ]
)
DATES = st.sampled_from(["2026-12-15", "2026-10-01", "2027-02-30", "2020-01-01", "soon"])
METRICS = st.fixed_dictionaries(
    {
        "kind": st.sampled_from(
            ["numeric", "percentage", "currency", "binary", "milestone", "weird"]
        ),
        "target": NUMBERS,
    },
    optional={
        "baseline": NUMBERS,
        "direction": st.sampled_from(
            ["increase", "decrease", "keep_above", "keep_below", "range", "sideways"]
        ),
        "unit": TEXT,
        "target_max": NUMBERS,
        "milestones": st.lists(st.text(max_size=10), max_size=4),
    },
)
CYCLES = st.just(Q4) | st.fixed_dictionaries({"id": TOKENS, "starts_on": DATES, "ends_on": DATES})
PARENTS = st.fixed_dictionaries(
    {
        "kind": st.sampled_from(["objective", "key_result", "team"]),
        "objective_id": TOKENS,
    },
    optional={"key_result_id": TOKENS, "tenant_id": TOKENS},
)
GOAL_TYPES = st.sampled_from(["objective", "smart_goal", "key_result", ""])

FIELDS: dict[str, st.SearchStrategy[Any]] = {
    "objective_id": TOKENS,
    "goal_id": TOKENS,
    "key_result_id": TOKENS | st.none(),
    "goal_type": GOAL_TYPES,
    "title": TEXT,
    "description": TEXT,
    "level": st.sampled_from(["company", "team", "individual", "galaxy"]),
    "owner": TEXT,
    "team": TEXT | st.none(),
    "cycle": CYCLES,
    "to_cycle": CYCLES | st.just(Cycle.quarter("2027-q1").model_dump(mode="json")),
    "commitment": st.sampled_from(["committed", "aspirational", "maybe"]),
    "terms": st.fixed_dictionaries({"title": TEXT, "metric": METRICS, "weight": NUMBERS}),
    "metric": METRICS,
    "weight": NUMBERS,
    "reason": TEXT | st.none(),
    "statement": TEXT | st.just("Publish three onboarding guides for trial users by December"),
    "deadline": DATES,
    "achievability": TEXT,
    "initial_confidence": NUMBERS,
    "serves": st.lists(PARENTS, max_size=3),
    "personal": st.booleans(),
    "parent": PARENTS,
    "value": NUMBERS,
    "confidence": NUMBERS,
    "note": TEXT,
    "applies_at": INSTANTS,
    "source": TOKENS,
    "idempotency_key": TEXT,
    "observed_at": INSTANTS,
    "grade": NUMBERS,
}
META = st.fixed_dictionaries(
    {"actor": st.just("fuzzer") | TEXT},
    optional={
        "now": INSTANTS,
        "expected_version": st.integers(-1, 50) | st.text(max_size=3),
        "correlation_id": st.uuids().map(str) | st.text(max_size=5),
        "tenant_id": st.sampled_from(["someone-else"]),
    },
)


FRESH_IDS = st.from_regex(r"f[a-z0-9]{6}", fullmatch=True)
VALID_METRICS = st.builds(
    lambda target: {"kind": "numeric", "baseline": 0, "target": target},
    st.integers(1, 10_000),
)
KR_TERMS = st.builds(
    lambda metric, weight: {"title": "A key result", "metric": metric, "weight": weight},
    VALID_METRICS,
    st.integers(1, 5),
)
ON_KR = {"goal_type": "objective", "goal_id": EXISTING_OBJECTIVE}
SMART = {"goal_type": "smart_goal", "goal_id": EXISTING_SMART_GOAL}
TO_OBJECTIVE = {"kind": "objective", "objective_id": EXISTING_OBJECTIVE}
# A body each command accepts (on the goals the fuzz fixture creates), before mutation.
VALID: dict[str, st.SearchStrategy[dict[str, Any]]] = {
    "create_objective": st.fixed_dictionaries(
        {
            "objective_id": FRESH_IDS,
            "title": st.just("Grow"),
            "level": st.sampled_from(["company", "team", "individual"]),
            "owner": st.just("lead"),
            "cycle": st.just(Q4),
        }
    ),
    "add_key_result": st.fixed_dictionaries(
        {"objective_id": st.just(EXISTING_OBJECTIVE), "key_result_id": FRESH_IDS, "terms": KR_TERMS}
    ),
    "activate_objective": st.just({"objective_id": EXISTING_OBJECTIVE}),
    "adjust_key_result": st.fixed_dictionaries(
        {
            "objective_id": st.just(EXISTING_OBJECTIVE),
            "key_result_id": st.sampled_from(EXISTING_KRS),
            "metric": VALID_METRICS,
            "reason": st.just("the market moved"),
        }
    ),
    "create_smart_goal": st.fixed_dictionaries(
        {
            "goal_id": FRESH_IDS,
            "owner": st.just("ana"),
            "cycle": st.just(Q4),
            "statement": st.just("Publish three onboarding guides for trial users"),
            "metric": st.just({"kind": "numeric", "baseline": 0, "target": 3}),
            "deadline": st.just("2026-12-15"),
            "serves": st.just([TO_OBJECTIVE]),
        }
    ),
    "align_goal": st.just({**SMART, "parent": TO_OBJECTIVE}),
    "unalign_goal": st.just({**SMART, "parent": TO_OBJECTIVE}),
    "record_check_in": st.fixed_dictionaries(
        {
            **{k: st.just(v) for k, v in ON_KR.items()},
            "key_result_id": st.sampled_from(EXISTING_KRS),
            "value": st.integers(0, 100),
            "confidence": st.floats(0, 1),
        }
    )
    | st.fixed_dictionaries(
        {
            **{k: st.just(v) for k, v in SMART.items()},
            "value": st.integers(0, 3),
            "confidence": st.floats(0, 1),
        }
    ),
    "report_progress": st.fixed_dictionaries(
        {
            **{k: st.just(v) for k, v in ON_KR.items()},
            "key_result_id": st.sampled_from(EXISTING_KRS),
            "source": st.just("jira"),
            "idempotency_key": st.uuids().map(str),
            "value": st.integers(0, 100),
            "observed_at": st.just("2026-11-10T08:00:00Z"),
        }
    ),
    # Closing, carrying over or archiving the shared goals would refuse every later
    # example on them; fresh (unknown) goals are refused as such, a typed answer too.
    "close_goal": st.fixed_dictionaries(
        {"goal_type": st.just("objective"), "goal_id": FRESH_IDS, "grade": st.floats(0, 1)}
    ),
    "carry_over_goal": st.fixed_dictionaries(
        {
            "goal_type": st.just("objective"),
            "goal_id": FRESH_IDS,
            "to_cycle": st.just(Cycle.quarter("2027-q1").model_dump(mode="json")),
        }
    ),
    "archive_goal": st.fixed_dictionaries(
        {"goal_type": st.just("smart_goal"), "goal_id": FRESH_IDS}
    ),
    "erase_data_subject": st.fixed_dictionaries(
        {"subject_id": st.sampled_from(["lead", "ana"]), "reason": st.just("request 1")}
    ),
    "set_check_in_cadence": st.fixed_dictionaries(
        {
            "goal_type": st.sampled_from([None, "objective", "smart_goal"]),
            "cadence": st.fixed_dictionaries(
                {"period_days": st.integers(1, 92), "grace_days": st.integers(0, 30)}
            ),
        }
    ),
    "set_hygiene_policy": st.fixed_dictionaries({"max_goals_per_owner": st.integers(1, 100)}),
    "set_scoring_policy": st.fixed_dictionaries(
        {
            "policy": st.fixed_dictionaries(
                {},
                optional={
                    "keep_comparison": st.sampled_from(["inclusive", "strict"]),
                    "at_risk_ratio": st.floats(0.6, 1.0),
                    "green_from": st.floats(0.4, 1.0),
                },
            ),
            "reason": st.just("fuzzed"),
        }
    ),
}


@st.composite
def mutated(draw: st.DrawFn, name: str) -> dict[str, Any]:
    """A valid body for ``name`` with none, one or two fields made odd or dropped."""
    body = dict(draw(VALID[name]))
    fields = sorted(set(COMMANDS_BY_NAME[name].model_fields) - {"meta"})
    changes = draw(st.sampled_from([0, 0, 1, 2]))  # half of them stay valid
    for field in draw(st.lists(st.sampled_from(fields), min_size=changes, max_size=changes)):
        if draw(st.booleans()):
            body.pop(field, None)
        else:
            body[field] = draw(FIELDS.get(field, JSON_VALUES))
    return body


@st.composite
def command_fields(draw: st.DrawFn, name: str) -> dict[str, Any]:
    """A plausible body for command ``name``: each field right, wrong, odd or missing."""
    body: dict[str, Any] = {}
    for field in COMMANDS_BY_NAME[name].model_fields:
        if field == "meta":
            continue
        roll = draw(st.integers(0, 11))
        if roll == 0:
            continue  # missing
        body[field] = draw(JSON_VALUES if roll == 1 else FIELDS.get(field, JSON_VALUES))
    if draw(st.integers(0, 9)) == 0:
        body["unexpected"] = draw(JSON_VALUES)
    return body


@st.composite
def command_requests(draw: st.DrawFn) -> tuple[str, bytes, str]:
    """(command name, body, command id) - the id is in the body when it has a meta."""
    name = draw(st.sampled_from(sorted(COMMANDS_BY_NAME)))
    # Mostly a fresh id (hypothesis would draw the same simple UUID again and again, and
    # every repeat would be a mere duplicate); now and then a reused one, on purpose.
    command_id = str(draw(st.just(None).map(lambda _: uuid4()) | st.just(REUSED_ID)))
    # Half valid-then-mutated, half odd fields or garbage. Shape 0 (hypothesis's simplest
    # draw, and where it shrinks to) is a valid command.
    shape = draw(st.integers(0, 9))
    if shape == 9:
        return name, draw(st.binary(max_size=64)), command_id
    if shape == 8:
        return name, json.dumps(draw(JSON_VALUES)).encode(), command_id
    body = draw(mutated(name) if shape <= 4 else command_fields(name))
    meta: Any = {"actor": "fuzzer"}
    if shape == 7:
        meta = draw(JSON_VALUES)
    elif shape in (4, 6):
        meta = draw(META)
    if isinstance(meta, dict):
        meta["command_id"] = command_id
    body["meta"] = meta
    return name, json.dumps(body, allow_nan=False).encode(), command_id


REPORTS = st.fixed_dictionaries(
    {
        "goal_type": st.sampled_from(["objective", "smart_goal"]) | GOAL_TYPES,
        "goal_id": st.sampled_from([EXISTING_OBJECTIVE, EXISTING_SMART_GOAL]) | TOKENS,
        "value": NUMBERS,
        "source": st.sampled_from(["jira", "crm"]) | TOKENS,
        "idempotency_key": st.uuids().map(str) | TEXT,
        "observed_at": st.sampled_from(["2026-11-10T08:00:00Z", "2026-10-20T12:00:00+01:00"])
        | INSTANTS,
    },
    optional={
        "key_result_id": st.sampled_from(EXISTING_KRS) | TOKENS | st.none(),
        "correlation_id": st.uuids().map(str) | st.text(max_size=4),
        "extra": JSON_VALUES,
    },
)


GOOD_REPORTS = st.fixed_dictionaries(
    {
        "goal_type": st.just("objective"),
        "goal_id": st.just(EXISTING_OBJECTIVE),
        "key_result_id": st.sampled_from(EXISTING_KRS),
        "value": st.integers(0, 100),
        "source": st.sampled_from(["jira", "crm"]),
        # A few keys only: the same (source, key) again must count once (duplicate).
        "idempotency_key": st.sampled_from(["a", "b", "c"]) | st.uuids().map(str),
        "observed_at": st.sampled_from(["2026-11-10T08:00:00Z", "2026-11-12T08:00:00Z"]),
    }
) | st.fixed_dictionaries(
    {
        "goal_type": st.just("smart_goal"),
        "goal_id": st.just(EXISTING_SMART_GOAL),
        "value": st.integers(0, 3),
        "source": st.just("jira"),
        "idempotency_key": st.uuids().map(str),
        "observed_at": st.just("2026-11-11T08:00:00Z"),
    }
)


@st.composite
def ingest_bodies(draw: st.DrawFn) -> bytes:
    """One report, a batch of them (some bad), or garbage."""
    shape = draw(st.integers(0, 9))  # 0, the simplest: a good report
    if shape == 9:
        return draw(st.binary(max_size=64))
    if shape == 8:
        return json.dumps(draw(JSON_VALUES)).encode()
    if shape <= 2:
        return json.dumps(draw(GOOD_REPORTS), allow_nan=False).encode()
    if shape <= 4:
        return json.dumps(draw(REPORTS), allow_nan=False).encode()
    items = draw(st.lists(GOOD_REPORTS | REPORTS | JSON_VALUES, min_size=0, max_size=6))
    return json.dumps({"reports": items}, allow_nan=False).encode()
