"""The premium upsell (analyses.md §4): attach rate and candidates by hand."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import ibis
import pytest

from kam.analysis.registry import run
from kam.errors import MissingDataError
from tests.analysis.golden import arrow_table

PRODUCTS = [
    ("BASE", "core", "plan", 1, False),
    ("PLUS", "core", "plan", 2, None),  # blank premium: not premium
    ("PREM", "core", "addon", None, True),
    ("PREM2", "core", "addon", None, True),
]


def _tables(data: Mapping[str, Sequence[Sequence[object]]]) -> dict[str, ibis.Table]:
    return {k: ibis.memtable(arrow_table(k, rows)) for k, rows in data.items()}


def test_attach_rate_counts_active_accounts_with_any_premium_plan() -> None:
    mrr = [
        ("U1", "2024-03", "BASE", 100),
        ("U1", "2024-03", "PREM", 25),
        ("U2", "2024-03", "PLUS", 80),
        ("U3", "2024-03", "BASE", 60),
        ("U3", "2024-03", "PREM2", 15),
        ("U4", "2024-03", "BASE", 40),
        ("U5", "2024-03", "BASE", 0),  # a zero row: not active
        ("U6", "2024-02", "PREM", 99),  # another month
    ]
    revenue = [("U1", "2023", "X", 10)]
    result = run(
        "upsell",
        _tables({"mrr": mrr, "products": PRODUCTS, "revenue": revenue}),
        {"as_of": "2024-03-31"},
    )
    s = result.summary
    # Active U1, U2, U3, U4; premium U1 and U3 → 2/4; premium MRR 25 + 15 of 320.
    assert s["month"] == "2024-03"
    assert (s["active_accounts"], s["premium_accounts"]) == (4, 2)
    assert s["attach_rate"] == pytest.approx(0.5)
    assert (s["premium_mrr"], s["total_mrr"]) == ("40.00", "320.00")
    assert s["premium_share"] == pytest.approx(40 / 320)
    assert s["headline"].startswith("Premium attach rate 50.0 % (2 of 4 active")


def test_candidates_are_a_accounts_without_premium_by_mrr_ties_by_id() -> None:
    # Fiscal 2023 revenue 1000: C1 300, C2 250, C3 250, C4 150, C5 50. Shares before:
    # 0, .30, .55, .80 → C1, C2, C3 are A (C4 starts at 0.80: B).
    revenue = [
        ("C1", "2023", "X", 300),
        ("C2", "2023", "X", 250),
        ("C3", "2023", "X", 250),
        ("C4", "2023", "X", 150),
        ("C5", "2023", "X", 50),
    ]
    mrr = [
        ("C1", "2024-01", "BASE", 10),
        ("C2", "2024-01", "BASE", 40),
        ("C3", "2024-01", "BASE", 40),
        ("C4", "2024-01", "BASE", 90),  # B: no candidate despite the MRR
        ("C5", "2024-01", "BASE", 5),
        ("C5", "2024-01", "PREM", 5),
    ]
    result = run(
        "upsell",
        _tables({"mrr": mrr, "products": PRODUCTS, "revenue": revenue}),
        {"as_of": "2024-01-31"},
    )
    got = [(r["rank"], r["account_id"], str(r["mrr"])) for r in result.rows]
    assert got == [(1, "C2", "40.00"), (2, "C3", "40.00"), (3, "C1", "10.00")]
    assert result.summary["candidates_mrr"] == "90.00"
    assert result.summary["abc_range"] == "2023"
    # The same with the rows reversed.
    again = run(
        "upsell",
        _tables(
            {"mrr": mrr[::-1], "products": PRODUCTS[::-1], "revenue": revenue[::-1]}
        ),
        {"as_of": "2024-01-31"},
    )
    assert list(again.rows) == list(result.rows)
    assert again.summary == result.summary


def test_upsell_without_revenue_classes_on_mrr_and_says_so() -> None:
    mrr = [("M1", "2023-12", "BASE", 10), ("M1", "2024-01", "BASE", 10)]
    result = run(
        "upsell", _tables({"mrr": mrr, "products": PRODUCTS}), {"as_of": "2024-01-31"}
    )
    assert any("no Revenue sheet" in w for w in result.warnings)
    assert [r["account_id"] for r in result.rows] == ["M1"]


def test_upsell_names_the_missing_sheet() -> None:
    mrr = [("M1", "2024-01", "BASE", 10)]
    with pytest.raises(MissingDataError, match="Products"):
        run("upsell", _tables({"mrr": mrr}))


def test_upsell_reads_the_engines_monthly_tables_with_the_same_result() -> None:
    """With the per-account totals and the per-plan events the engine keeps, the
    month and its MRR come from them; the figures are those of the MRR sheet."""
    from kam.analysis.movements import plan_movements
    from kam.analysis.preagg import MRR_BY_MONTH, MRR_PLAN_MOVEMENTS, mrr_by_month

    mrr = [
        ("U1", "2024-03", "BASE", 100),
        ("U1", "2024-03", "PREM", 25),
        ("U2", "2024-03", "PLUS", 80),
        ("U3", "2024-03", "BASE", 60),
        ("U3", "2024-03", "PREM2", 15),
        ("U3", "2024-02", "PREM2", 70),  # another month
        ("U4", "2024-03", "BASE", 40),
        ("U4", "2024-03", "PREM", 0),  # a zero premium row: not premium
        ("U5", "2024-03", "BASE", 0),  # a zero row: not active
    ]
    tables = _tables({"mrr": mrr, "products": PRODUCTS})
    last = 2024 * 12 + 3 - 1
    tables[MRR_BY_MONTH] = mrr_by_month(tables["mrr"])
    tables[MRR_PLAN_MOVEMENTS] = plan_movements(tables["mrr"], last)
    s = run("upsell", tables, {"as_of": "2024-12-31"}).summary
    # The last month with rows is 2024-03. Active U1, U2, U3, U4 (MRR 125, 80, 75,
    # 40 = 320); premium U1 (25) and U3 (15): 2 of 4, premium MRR 40.
    assert s["month"] == "2024-03"
    assert (s["active_accounts"], s["premium_accounts"]) == (4, 2)
    assert (s["premium_mrr"], s["total_mrr"]) == ("40.00", "320.00")
    # February, asked for: only U3's 70 on a premium plan.
    s = run("upsell", tables, {"month": "2024-02"}).summary
    assert (s["active_accounts"], s["premium_accounts"]) == (1, 1)
    assert (s["premium_mrr"], s["total_mrr"]) == ("70.00", "70.00")
    # as_of in February: the last month up to it is February.
    s = run("upsell", tables, {"as_of": "2024-02-29"}).summary
    assert s["month"] == "2024-02"


def test_upsell_month_is_the_last_with_rows_even_if_only_zero_ones() -> None:
    from kam.analysis.movements import plan_movements
    from kam.analysis.preagg import MRR_BY_MONTH, MRR_PLAN_MOVEMENTS, mrr_by_month

    mrr = [
        ("U1", "2024-03", "BASE", 100),
        ("U1", "2024-04", "BASE", 0),  # April has rows, all zero
    ]
    for derived in (False, True):
        tables = _tables({"mrr": mrr, "products": PRODUCTS})
        if derived:
            tables[MRR_BY_MONTH] = mrr_by_month(tables["mrr"])
            tables[MRR_PLAN_MOVEMENTS] = plan_movements(tables["mrr"], 2024 * 12 + 3)
        s = run("upsell", tables, {"as_of": "2024-12-31"}).summary
        assert s["month"] == "2024-04", derived
        assert (s["active_accounts"], s["total_mrr"]) == (0, "0.00"), derived
