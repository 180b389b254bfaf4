"""ABC classes: boundary rules, ties, count basis, migration, XYZ, rejections."""

from __future__ import annotations

import math
import random
from collections import Counter
from decimal import Decimal

import ibis
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kam.analysis.abc_analysis import abc_classes
from kam.errors import InputError, ParameterError
from tests.analysis.golden import make_table

CON = ibis.duckdb.connect()
WORKED = [400, 250, 120, 80, 50, 40, 25, 20, 10, 5]


def values(rows: list[tuple[str, str, object]]) -> ibis.Table:
    return make_table(CON, "values", rows)


def worked() -> ibis.Table:
    return values([(f"A{i:02d}", "2024", v) for i, v in enumerate(WORKED, 1)])


def classes(result, period: str = "2024") -> str:  # type: ignore[no-untyped-def]
    return "".join(str(r["class"]) for r in result.rows if r["period"] == period)


def test_upper_rule_puts_the_crossing_account_in_a() -> None:
    result = abc_classes(worked())
    assert classes(result) == "AAAABBBCCC"
    fourth = result.rows[3]
    assert fourth["cum_share_before"] == pytest.approx(0.77)
    assert fourth["why"] == "cumulative share before this account 77.0 % < 80 % → A"


def test_strict_rule_puts_the_crossing_account_in_b() -> None:
    result = abc_classes(worked(), boundary="strict")
    assert classes(result) == "AAABBBCCCC"
    assert result.rows[3]["why"] == (
        "cumulative share including this account 85.0 % > 80 %, ≤ 95 % → B"
    )


def test_top_account_is_a_even_when_it_alone_passes_the_cut_offs() -> None:
    rows = [("A", "2024", 97), ("B", "2024", 3)]
    for boundary in ("upper", "strict"):
        result = abc_classes(values(rows), boundary=boundary)
        assert classes(result) == "AC"
        assert result.rows[0]["why"] == "top account → A"


def test_equal_values_get_the_class_of_the_first_of_them() -> None:
    # Shares 70, 10, 10, 5, 5 %: before-shares 0, .70, .80, .90, .95. B2 (.80) would
    # be B and C2 (.95) C, but each ties with the account before it.
    rows = [("A", "2024", 70), ("B2", "2024", 10), ("B1", "2024", 10)]
    rows += [("C2", "2024", 5), ("C1", "2024", 5)]
    result = abc_classes(values(rows))
    assert [(r["account_id"], r["class"]) for r in result.rows[:5]] == [
        ("A", "A"),
        ("B1", "A"),
        ("B2", "A"),
        ("C1", "B"),
        ("C2", "B"),
    ]
    assert result.rows[2]["why"] == "same value as B1 (rank 2) → A"


def test_count_basis_takes_top_20_and_next_30_percent_of_accounts() -> None:
    result = abc_classes(worked(), basis="count")
    assert classes(result) == "AABBBCCCCC"
    assert result.rows[2]["why"] == (
        "share of accounts ranked before this one 20.0 % ≥ 20 %, < 50 % → B"
    )
    strict = abc_classes(
        values([(f"A{i}", "2024", 10 - i) for i in range(7)]),
        basis="count",
        boundary="strict",
    )
    # rank / 7 ≤ .2 only for rank 1; ≤ .5 for ranks 2 and 3.
    assert classes(strict) == "ABBCCCC"


def test_accounts_without_value_have_no_class_and_migrate_as_new_or_lost() -> None:
    rows = [("A", "2023", 10), ("B", "2023", 5), ("B", "2024", 5), ("C", "2024", 0)]
    rows += [("D", "2024", 8)]
    result = abc_classes(values(rows))
    in_2024 = {r["account_id"]: r for r in result.rows if r["period"] == "2024"}
    assert set(in_2024) == {"B", "D"}
    assert in_2024["D"]["previous_class"] == "new"
    cells = {
        (c["from_class"], c["to_class"]): c["accounts"]
        for c in result.tables["migration"]
        if c["accounts"]
    }
    # 2023: A (before 0) A, B (before .667) A. 2024: D A, B (before 8/13) A.
    assert cells == {("A", "lost"): 1, ("A", "A"): 1, ("new", "A"): 1}


def test_a_period_with_no_data_warns_and_breaks_the_chain() -> None:
    rows = [("A", "2022", 10), ("A", "2024", 10)]
    result = abc_classes(values(rows))
    assert result.summary["periods"] == ["2022", "2023", "2024"]
    assert "no revenue in 2023: no account has a class there" in result.warnings
    moves = [
        (c["period_from"], c["from_class"], c["to_class"])
        for c in result.tables["migration"]
        if c["accounts"]
    ]
    assert moves == [("2022", "A", "lost"), ("2023", "new", "A")]


def test_class_summary_counts_accounts_and_value_per_class() -> None:
    result = abc_classes(worked())
    summary = {r["class"]: r for r in result.tables["classes"] if r["period"] == "2024"}
    assert summary["A"]["accounts"] == 4
    assert summary["A"]["account_share"] == pytest.approx(0.4)
    assert summary["A"]["value"] == Decimal("850.00")
    assert summary["B"]["value_share"] == pytest.approx(0.115)
    assert summary["C"]["value"] == Decimal("35.00")


def test_quarter_grain_classes_each_quarter_from_monthly_rows() -> None:
    rows = [("A", "2024-01", 5), ("A", "2024-02", 5), ("B", "2024-03", 20)]
    rows += [("A", "2024-04", 30), ("B", "2024-05", 1)]
    result = abc_classes(
        values(rows), grain="quarter", period_from="2024", period_to="2024"
    )
    assert result.summary["periods"] == ["2024-Q1", "2024-Q2", "2024-Q3", "2024-Q4"]
    q1 = [
        (r["account_id"], r["value"]) for r in result.rows if r["period"] == "2024-Q1"
    ]
    assert q1 == [("B", Decimal("20.00")), ("A", Decimal("10.00"))]


def test_a_grain_finer_than_the_rows_is_rejected_naming_the_grain() -> None:
    with pytest.raises(ParameterError, match="rows by year") as info:
        abc_classes(worked(), grain="month")
    assert info.value.parameter == "grain"


@pytest.mark.parametrize(
    "cutoffs", [(0.95, 0.80), (0.0, 0.5), (0.8, 1.0), (0.8,), (0.8, 0.8)]
)
def test_bad_cut_offs_are_rejected_naming_the_parameter(cutoffs: tuple) -> None:
    with pytest.raises(ParameterError, match="parameter cutoffs"):
        abc_classes(worked(), cutoffs=cutoffs)


def test_negative_values_are_rejected() -> None:
    with pytest.raises(InputError, match="must not be negative"):
        abc_classes(values([("A", "2024", 5), ("B", "2024", -1)]))


def test_default_range_is_three_complete_years_or_fewer_with_a_warning() -> None:
    rows = [("A", str(y), 1) for y in range(2019, 2025)] + [("A", "2025-02", 1)]
    result = abc_classes(values(rows))
    assert result.summary["periods"] == ["2022", "2023", "2024"]
    short = abc_classes(values([("A", "2023", 1), ("A", "2024", 1)]))
    assert short.summary["periods"] == ["2023", "2024"]
    assert "only 2 complete fiscal years" in short.warnings[0]


def monthly(rows: dict[str, list[int]]) -> ibis.Table:
    return values(
        [
            (account, f"2024-{m:02d}", v)
            for account, series in rows.items()
            for m, v in enumerate(series, 1)
            if v
        ]
    )


def test_xyz_classes_the_variability_of_monthly_values() -> None:
    series = {
        "STEADY": [10] * 12,  # σ = 0 → CV 0 → X
        "SWING": [10, 30] * 6,  # μ 20, σ 10 → CV 0.5 → Y (0.5 is not < 0.5)
        "ONCE": [120] + [0] * 11,  # μ 10, σ = √(110² + 11 · 10²)/√12 = 10√11 → Z
    }
    result = abc_classes(monthly(series), xyz=True)
    pooled = {r["account_id"]: r for r in result.rows if r["period"] == "pooled"}
    assert pooled["STEADY"]["cv"] == 0.0
    assert pooled["STEADY"]["xyz"] == "X"
    assert pooled["SWING"]["cv"] == pytest.approx(0.5)
    assert pooled["SWING"]["xyz"] == "Y"
    assert pooled["ONCE"]["cv"] == pytest.approx(math.sqrt(11))
    assert pooled["ONCE"]["xyz"] == "Z"
    assert result.summary["xyz"] == {"X": 1, "Y": 1, "Z": 1}
    assert all(r["xyz"] is None for r in result.rows if r["period"] != "pooled")


def test_xyz_needs_six_sub_periods() -> None:
    yearly = abc_classes(worked(), xyz=True)
    assert any(w.startswith("XYZ: not enough periods") for w in yearly.warnings)
    quarters = values([("A", f"2024-Q{q}", 5) for q in range(1, 5)])
    short = abc_classes(quarters, xyz=True)
    assert "XYZ: not enough periods: 4 quarters in 2024, 6 are needed" in short.warnings
    assert all(r["xyz"] is None for r in short.rows)


def test_result_is_json_with_money_as_text() -> None:
    data = abc_classes(worked()).to_dict()
    assert data["rows"][0]["value"] == "400.00"  # type: ignore[index]
    assert set(data) == {
        "analysis",
        "parameters",
        "summary",
        "rows",
        "warnings",
        "tables",
    }


portfolios = st.lists(
    st.tuples(
        st.sampled_from([f"A{i}" for i in range(12)]),
        st.sampled_from(["2022", "2023", "2024"]),
        st.integers(min_value=0, max_value=50),
    ),
    min_size=1,
    max_size=40,
).filter(lambda rows: any(v > 0 for _, _, v in rows))


@settings(max_examples=25, deadline=None)
@given(rows=portfolios, seed=st.integers(0, 10**6))
def test_every_account_has_one_class_and_migration_counts_every_account(
    rows: list[tuple[str, str, int]], seed: int
) -> None:
    result = abc_classes(values(rows), period_from="2022", period_to="2024")
    totals: Counter[tuple[str, str]] = Counter()
    for a, p, v in rows:
        totals[(a, p)] += v
    for period in ("2022", "2023", "2024"):
        present = {a for (a, p), v in totals.items() if p == period and v > 0}
        got = [r["account_id"] for r in result.rows if r["period"] == period]
        assert sorted(got) == sorted(present)
        assert all(r["class"] in "ABC" for r in result.rows)
    for before, after in (("2022", "2023"), ("2023", "2024")):
        either = {a for (a, p), v in totals.items() if p in (before, after) and v > 0}
        cells = [c for c in result.tables["migration"] if c["period_from"] == before]
        assert len(cells) == 16
        assert sum(int(str(c["accounts"])) for c in cells) == len(either)
    random.Random(seed).shuffle(rows)
    again = abc_classes(values(rows), period_from="2022", period_to="2024")
    assert again.rows == result.rows
    assert again.tables == result.tables


def test_values_finer_than_cents_keep_their_classes() -> None:
    # 0.004 and 0.003 round to 0.00 (no class at all on cents). Unrounded: F1 is the
    # top account (A); before F2 lie 4/7 ≈ 57 % of the value: ≥ 50 %, < 90 % → B.
    t = CON.create_table(
        "fine_values",
        ibis.memtable(
            {
                "account_id": ["F1", "F2"],
                "period": ["2024", "2024"],
                "value": [0.004, 0.003],
            }
        ),
        overwrite=True,
    )
    result = abc_classes(t, cutoffs=(0.5, 0.9))
    classes = {(r["period"], r["account_id"]): r["class"] for r in result.rows}
    assert classes == {
        ("2024", "F1"): "A",
        ("2024", "F2"): "B",
        ("pooled", "F1"): "A",
        ("pooled", "F2"): "B",
    }


@pytest.mark.parametrize("period_to", ["2021", "2024"])
def test_previous_classes_and_migration_follow_each_account(period_to: str) -> None:
    # 4 quarters (each account's values spread on one row) or 16 (a window over
    # each account's rows): the same classes before and the same matrices.
    rows = [("X", f"{y}-Q{q}", 10) for y in range(2021, 2025) for q in range(1, 5)]
    rows += [("Y", "2021-Q1", 30), ("Y", "2021-Q3", 1)]
    result = abc_classes(
        values(rows), grain="quarter", period_from="2021", period_to=period_to
    )
    assert len(result.summary["periods"]) == (4 if period_to == "2021" else 16)
    got = {
        (r["period"], r["account_id"]): (r["class"], r["previous_class"])
        for r in result.rows
        if r["period"] in ("2021-Q1", "2021-Q2", "2021-Q3", "2021-Q4")
    }
    # Q1: Y 30 (top, A), X 10 (before 30/40 = .75 → A). Q3: X 10 (A), Y 1 (before
    # 10/11 ≈ .91 → B).
    assert got == {
        ("2021-Q1", "Y"): ("A", None),
        ("2021-Q1", "X"): ("A", None),
        ("2021-Q2", "X"): ("A", "A"),
        ("2021-Q3", "X"): ("A", "A"),
        ("2021-Q3", "Y"): ("B", "new"),
        ("2021-Q4", "X"): ("A", "A"),
    }
    cells = {
        (c["period_to"], c["from_class"], c["to_class"]): (
            c["accounts"],
            c["value_before"],
            c["value_after"],
        )
        for c in result.tables["migration"]
        if c["accounts"] and c["period_to"] <= "2021-Q4"
    }
    ten, one, thirty, zero = (Decimal(v) for v in ("10.00", "1.00", "30.00", "0.00"))
    assert cells == {
        ("2021-Q2", "A", "A"): (1, ten, ten),
        ("2021-Q2", "A", "lost"): (1, thirty, zero),
        ("2021-Q3", "A", "A"): (1, ten, ten),
        ("2021-Q3", "new", "B"): (1, zero, one),
        ("2021-Q4", "A", "A"): (1, ten, ten),
        ("2021-Q4", "B", "lost"): (1, one, zero),
    }
    assert [(u["period_to"], u["account_id"]) for u in result.tables["upgrades"]] == []
    assert len(result.tables["downgrades"]) == 0
