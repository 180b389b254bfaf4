"""The org-chart layout: tidy trees, roots side by side, organisations in columns."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kam.analysis.orgchart import Box, OrgChart, org_chart
from kam.errors import InputError

W, H, GX, GY, CG = 10.0, 4.0, 2.0, 3.0, 5.0
PITCH_X, PITCH_Y = W + GX, H + GY


People = Sequence[tuple[str, str | None, str | None]]


def layout(people: People) -> OrgChart:
    return org_chart(
        people, box_width=W, box_height=H, gap_x=GX, gap_y=GY, column_gap=CG
    )


def test_a_manager_is_centred_over_their_reports_one_row_up() -> None:
    chart = layout([("B", None, None), ("C1", "B", None), ("C2", "B", None)])
    b, c1, c2 = chart.boxes["B"], chart.boxes["C1"], chart.boxes["C2"]
    # Leaves take slots 0 and 1; the boss sits half way between them.
    assert (c1.x, c2.x) == (0.0, PITCH_X)
    assert (c1.y, b.y) == (PITCH_Y, 0.0)
    assert b.centre_x == (c1.centre_x + c2.centre_x) / 2
    assert (chart.width, chart.height) == (PITCH_X + W, PITCH_Y + H)


def test_roots_stand_side_by_side_in_id_order_and_externals_get_a_column() -> None:
    chart = layout(
        [
            ("Z", None, "Advisers"),
            ("R2", None, None),
            ("R1", None, None),
            ("K", "R1", None),
        ]
    )
    assert chart.boxes["R1"].x == chart.boxes["K"].x == 0.0
    assert chart.boxes["R2"].x == PITCH_X
    # The consultancy's column starts a column gap after the account's last slot.
    assert chart.boxes["Z"].x == 2 * PITCH_X + CG
    assert [(c.organisation, c.x, c.width) for c in chart.columns] == [
        (None, 0.0, PITCH_X + W),
        ("Advisers", 2 * PITCH_X + CG, W),
    ]


def test_a_manager_outside_the_list_makes_a_root() -> None:
    chart = layout([("A", "GONE", None)])
    assert chart.boxes["A"] == Box(0.0, 0.0, W, H, 0)


def test_a_cycle_is_refused_naming_its_people() -> None:
    with pytest.raises(InputError, match="A, B form a cycle"):
        layout([("A", "B", None), ("B", "A", None), ("C", None, None)])


def test_adding_a_new_last_root_moves_nobody_else() -> None:
    before = layout([("A", None, None), ("A1", "A", None), ("A2", "A", None)])
    after = layout(
        [("A", None, None), ("A1", "A", None), ("A2", "A", None), ("B", None, None)]
    )
    assert {k: after.boxes[k] for k in before.boxes} == before.boxes


def test_a_deep_chain_does_not_hit_the_recursion_limit() -> None:
    chain: list[tuple[str, str | None, str | None]] = [("P0", None, None)] + [
        (f"P{i}", f"P{i - 1}", None) for i in range(1, 3000)
    ]
    chart = layout(chain)
    assert chart.boxes["P2999"].depth == 2999


@st.composite
def forests(draw: st.DrawFn) -> list[tuple[str, str | None, str | None]]:
    n = draw(st.integers(min_value=1, max_value=300))
    people: list[tuple[str, str | None, str | None]] = []
    for i in range(n):
        # A manager among the people before (a forest), or none (a root).
        boss = draw(st.integers(min_value=-1, max_value=i - 1))
        org = draw(st.sampled_from([None, None, None, "Advisers", "Auditors"]))
        people.append((f"S{i:03d}", None if boss < 0 else f"S{boss:03d}", org))
    return people


@settings(max_examples=60, deadline=None)
@given(forests())
def test_no_two_boxes_overlap_in_generated_forests(
    people: list[tuple[str, str | None, str | None]],
) -> None:
    chart = layout(people)
    assert set(chart.boxes) == {p for p, _, _ in people}
    boxes = sorted(chart.boxes.values(), key=lambda b: (b.y, b.x))
    for depth_row in _rows(boxes):
        for left, right in itertools.pairwise(depth_row):
            assert right.x - left.x >= PITCH_X - 1e-9
    assert not any(a.overlaps(b) for a, b in itertools.combinations(boxes, 2))
    for pid, boss, _ in people:
        if boss is not None:
            assert chart.boxes[pid].depth == chart.boxes[boss].depth + 1
    for a, b in itertools.pairwise(chart.columns):
        assert a.x + a.width + CG <= b.x + 1e-9


def _rows(boxes: list[Box]) -> list[list[Box]]:
    rows: dict[float, list[Box]] = {}
    for b in boxes:
        rows.setdefault(b.y, []).append(b)
    return list(rows.values())
