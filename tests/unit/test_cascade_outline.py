"""The cascade outline (pre-order, roll-ups, depth-limited cuts) and its cursor, pure."""

from __future__ import annotations

import base64
import json

import pytest

from projections.read_models.cascade import Outline, OutlineCache, _pre_order, _rolled_up
from projections.read_models.cascade_cursor import Cursor, CursorError, decode
from projections.scoring import ScoringPolicy, cascade_rollup

DEFAULT = ScoringPolicy()
# co (two KRs, "a" without data) <- t1 (on a), t2 (on a); t1 <- s (a SMART goal); t2 <- s too.
KNOWN = {
    ("objective", "co"): (0.5, [("a", 0.0, 1.0, False), ("b", 0.5, 1.0, True)]),
    ("objective", "t1"): (0.2, [("x", 0.2, 1.0, True)]),
    ("objective", "t2"): (None, []),
    ("smart_goal", "s"): (0.9, []),
}
CHILDREN = {
    "co": [("objective", "t1", "a"), ("objective", "t2", "a")],
    "t1": [("smart_goal", "s", "")],
    "t2": [("smart_goal", "s", "")],
}


def _outline() -> Outline:
    root = ("objective", "co")
    return _rolled_up(_pre_order(root, CHILDREN, KNOWN), KNOWN, DEFAULT)


def test_a_goal_under_two_parents_appears_under_each_in_pre_order() -> None:
    tree = _outline()

    assert [(n.ref[1], n.depth, n.parent) for n in tree.nodes] == [
        ("co", 0, None),
        ("t1", 1, "co"),
        ("s", 2, "t1"),
        ("t2", 1, "co"),
        ("s", 2, "t2"),
    ]
    assert [n.end for n in tree.nodes] == [5, 3, 3, 5, 5]
    assert list(tree.positions) == sorted(tree.positions)


def test_roll_ups_are_the_full_trees_from_the_leaves_up() -> None:
    tree = _outline()
    t1 = cascade_rollup([("x", 0.2, 1.0, True)], 0.2, [(None, 0.9)], DEFAULT)
    t2 = cascade_rollup([], None, [(None, 0.9)], DEFAULT)
    co = cascade_rollup(KNOWN[("objective", "co")][1], 0.5, [("a", t1), ("a", t2)], DEFAULT)

    assert [n.rolled_up_score for n in tree.nodes] == [co, t1, 0.9, t2, 0.9]
    assert [n.children for n in tree.nodes] == [2, 1, 0, 1, 0]


def test_a_loop_in_the_edges_stops_where_the_goal_is_already_on_the_way() -> None:
    known = {("objective", "p"): (0.1, []), ("objective", "q"): (0.3, [])}
    edges = {"p": [("objective", "q", "")], "q": [("objective", "p", "")]}

    tree = _rolled_up(_pre_order(("objective", "p"), edges, known), known, DEFAULT)
    assert [n.ref[1] for n in tree.nodes] == ["p", "q"]


def test_cuts_after_a_place_and_above_a_depth() -> None:
    tree = _outline()

    assert [n.ref[1] for n in tree.after(None, 2, None)] == ["co", "t1"]
    assert [n.ref[1] for n in tree.after(tree.positions[1], 10, None)] == ["s", "t2", "s"]
    assert [n.ref[1] for n in tree.after(None, 10, 1)] == ["co", "t1", "t2"]
    assert [n.ref[1] for n in tree.after(tree.positions[1], 10, 1)] == ["t2"]
    assert [n.ref[1] for n in tree.after(None, 10, 0)] == ["co"]
    assert tree.after(tree.positions[-1], 10, None) == []


def test_a_cursor_reads_back_as_it_was_given() -> None:
    cursor = Cursor("acme", ("objective", "co"), 3, (("objective", "t1", "a"),))

    assert decode(cursor.encode()) == cursor
    cursor.continues("acme", ("objective", "co"), 3)
    with pytest.raises(CursorError):
        cursor.continues("other", ("objective", "co"), 3)
    with pytest.raises(CursorError):
        cursor.continues("acme", ("objective", "co"), None)


def _encoded(body: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(body).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "!!",
        "bm90IGpzb24",
        _encoded({"v": 1}),
        _encoded([2, "acme", ["objective", "co"], None, []]),
        _encoded([1, "Acme", ["objective", "co"], None, []]),
        _encoded([1, "acme", ["kr", "co"], None, []]),
        _encoded([1, "acme", ["objective", "co"], -1, []]),
        _encoded([1, "acme", ["objective", "co"], True, []]),
        _encoded([1, "acme", ["objective", "co"], None, [["objective", "x'; DROP", ""]]]),
        _encoded([1, "acme", ["objective", "co"], None, [["objective", "x"]] * 65]),
        "A" * 9000,
    ],
)
def test_anything_but_a_given_cursor_is_refused(text: str) -> None:
    with pytest.raises(CursorError):
        decode(text)


def test_kept_outlines_hold_their_stamp_and_their_node_budget() -> None:
    tree = _outline()  # five nodes
    kept = OutlineCache(max_nodes=8)
    kept.put("a", ("objective", "co"), (1,), tree)

    assert kept.get("a", ("objective", "co"), (1,)) is tree
    assert kept.get("a", ("objective", "co"), (2,)) is None  # the read models moved
    kept.put("b", ("objective", "co"), (1,), tree)  # ten nodes: the older one goes
    assert kept.get("a", ("objective", "co"), (1,)) is None
    assert kept.get("b", ("objective", "co"), (1,)) is tree
    nothing = OutlineCache(max_nodes=0)
    nothing.put("a", ("objective", "co"), (1,), tree)
    assert nothing.get("a", ("objective", "co"), (1,)) is None
