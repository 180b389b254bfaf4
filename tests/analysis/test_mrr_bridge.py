"""The MRR bridge: every movement kind by hand, the identity, and invariants."""

from __future__ import annotations

import random
from collections import defaultdict
from decimal import Decimal

import ibis
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kam.analysis.mrr_bridge import mrr_bridge
from kam.analysis.registry import run
from kam.errors import MissingDataError, ParameterError
from tests.analysis.golden import make_tables
from tests.analysis.golden_dashboards import HISTORY

CON = ibis.duckdb.connect()
D = Decimal


def bridge(rows: list[tuple[object, ...]], **params: object) -> list[dict[str, object]]:
    return list(mrr_bridge(make_tables(CON, {"mrr": rows}), **params).rows)  # type: ignore[arg-type]


def test_history_gives_each_movement_in_its_month() -> None:
    # Worked out in golden_dashboards.HISTORY's comment.
    rows = {r["month"]: r for r in bridge(HISTORY)}
    feb, mar, apr, may = (rows[m] for m in ("2024-02", "2024-03", "2024-04", "2024-05"))
    assert (feb["new"], feb["expansion"], feb["contraction"], feb["churn"]) == (
        D("100.00"),
        D("30.00"),
        D("50.00"),
        D("40.00"),
    )
    assert feb["accounts_start"] == 4
    assert feb["accounts_end"] == 4
    assert feb["quick_ratio"] == pytest.approx(130 / 90)
    # P drops its addon while its base plan continues: contraction, not churn.
    assert (mar["contraction"], mar["churn"], mar["accounts_churn"]) == (
        D("30.00"),
        D("0.00"),
        0,
    )
    # X returns after two months without MRR: reactivation, not new.
    assert (apr["reactivation"], apr["new"], apr["accounts_reactivation"]) == (
        D("60.00"),
        D("0.00"),
        1,
    )
    assert (may["churn"], may["end"], may["quick_ratio"]) == (
        D("100.00"),
        D("360.00"),
        0.0,
    )


def test_by_plan_counts_the_dropped_addon_as_that_plans_churn() -> None:
    result = mrr_bridge(make_tables(CON, {"mrr": HISTORY}), by_plan=True)
    addon = {r["month"]: r for r in result.tables["by_plan"] if r["plan"] == "addon"}
    # In the addon's own bridge P's 30 leaves in March (a churn of that plan).
    assert addon["2024-03"]["churn"] == D("30.00")
    assert addon["2024-03"]["end"] == D("0.00")


def test_range_limits_the_months_and_keeps_the_start() -> None:
    rows = bridge(HISTORY, period_from="2024-03", period_to="2024-04")
    assert [r["month"] for r in rows] == ["2024-03", "2024-04"]
    assert rows[0]["start"] == D("430.00")


def test_month_without_any_mrr_is_a_zero_row() -> None:
    rows = bridge([("A", "2024-01", "p", 10), ("A", "2024-03", "p", 10)])
    assert [r["month"] for r in rows] == ["2024-01", "2024-02", "2024-03"]
    assert rows[1]["churn"] == D("10.00")
    assert rows[1]["end"] == D("0.00")
    assert rows[2]["reactivation"] == D("10.00")


def test_bad_range_and_missing_sheet_are_refused() -> None:
    with pytest.raises(ParameterError):
        bridge(HISTORY, period_from="2024-04", period_to="2024-02")
    with pytest.raises(ParameterError):
        bridge(HISTORY, period_from="2024")
    with pytest.raises(MissingDataError):
        run("mrr_bridge", {})


def expected_bridge(rows: list[tuple[str, int, str, int]]) -> dict[int, dict[str, D]]:
    """An independent bridge: per account totals per month, classified in Python.

    Every month from the first to the last row counts (a zero row still says the
    data reaches that month)."""
    total: dict[tuple[str, int], D] = defaultdict(D)
    for account, month, _, cents in rows:
        total[(account, month)] += D(cents) / 100
    months = sorted({m for _, m, _, _ in rows})
    accounts = sorted({a for a, _, _, _ in rows})
    out: dict[int, dict[str, D]] = {}
    for m in range(months[0], months[-1] + 1):
        moves = dict.fromkeys(
            ("new", "expansion", "reactivation", "contraction", "churn"), D(0)
        )
        for a in accounts:
            before, now = total.get((a, m - 1), D(0)), total.get((a, m), D(0))
            earlier = any(total.get((a, k), D(0)) > 0 for k in range(months[0], m))
            if before > 0 and now > 0:
                moves["expansion" if now > before else "contraction"] += abs(
                    now - before
                )
            elif before > 0:
                moves["churn"] += before
            elif now > 0:
                moves["reactivation" if earlier else "new"] += now
        out[m] = moves
    return out


HISTORIES = st.lists(
    st.tuples(
        st.sampled_from(["A", "B", "C", "D"]),
        st.integers(0, 7),
        st.sampled_from(["p", "q"]),
        st.integers(0, 50_000),
    ),
    min_size=1,
    max_size=30,
    unique_by=lambda r: (r[0], r[1], r[2]),
)


def _as_rows(hist: list[tuple[str, int, str, int]]) -> list[tuple[object, ...]]:
    return [(a, f"2024-{m + 1:02d}", p, D(c) / 100) for a, m, p, c in hist]


@settings(max_examples=25, deadline=None)
@given(HISTORIES)
def test_identity_holds_every_month_and_matches_an_independent_count(
    hist: list[tuple[str, int, str, int]],
) -> None:
    if not any(c > 0 for *_, c in hist):
        return
    rows = bridge(_as_rows(hist))
    want = expected_bridge(hist)
    previous_end = D("0.00")
    for r in rows:
        start, end = r["start"], r["end"]
        assert start == previous_end
        assert (
            start
            + r["new"]
            + r["expansion"]
            + r["reactivation"]  # type: ignore[operator]
            - r["contraction"]
            - r["churn"]
            == end
        )
        m = int(str(r["month"])[5:]) - 1
        for kind, value in want[m].items():
            assert r[kind] == value, (r["month"], kind)
        previous_end = end  # type: ignore[assignment]


@settings(max_examples=10, deadline=None)
@given(HISTORIES, st.randoms(use_true_random=False))
def test_row_order_does_not_change_the_bridge(
    hist: list[tuple[str, int, str, int]], rnd: random.Random
) -> None:
    if not any(c > 0 for *_, c in hist):
        return
    shuffled = list(hist)
    rnd.shuffle(shuffled)
    assert bridge(_as_rows(hist)) == bridge(_as_rows(shuffled))
