"""Satisfaction (analyses.md §4): NPS and CSAT by hand, with n, per account, for the
portfolio and by period."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import ibis
import pytest

from kam.analysis.registry import run
from kam.analysis.result import column_sums
from kam.analysis.satisfaction import csat, nps, satisfaction_scores
from kam.errors import MissingDataError
from tests.analysis.golden import arrow_table


def _surveys(rows: Sequence[Sequence[object]]) -> ibis.Table:
    return ibis.memtable(arrow_table("surveys", rows))


def test_nps_and_csat_formulas_by_hand() -> None:
    # 5 promoters, 3 passives, 2 detractors of 10: 50 % − 20 % = +30.
    assert nps(5, 2, 10) == pytest.approx(30.0)
    # Every answer a detractor: −100; none: no score.
    assert nps(0, 4, 4) == pytest.approx(-100.0)
    assert nps(0, 0, 0) is None
    assert csat(3, 4) == pytest.approx(0.75)
    assert csat(0, 0) is None


def test_scores_per_account_and_portfolio_with_the_scale_edges() -> None:
    day = date(2024, 6, 1)
    rows = [
        # P1: 9 and 10 promote, 7 and 8 are passive, 6 and 0 detract → (2 − 2)/6 = 0.
        *[("P1", day, "NPS", s) for s in (9, 10, 7, 8, 6, 0)],
        # P2: three 9s and one 6 → (3 − 1)/4 = +50.
        *[("P2", day, "NPS", s) for s in (9, 9, 9, 6)],
        # CSAT: 4 and 5 satisfied, 3 not: P1 5, 4, 3 → 2/3, mean 4; P2 1 → 0, mean 1.
        *[("P1", day, "CSAT", s) for s in (5, 4, 3)],
        ("P2", day, "CSAT", 1),
    ]
    result = satisfaction_scores(_surveys(rows), as_of=date(2024, 6, 30))
    by_id = {r["account_id"]: r for r in result.rows}
    assert by_id["P1"]["nps"] == pytest.approx(0.0)
    assert (by_id["P1"]["promoters"], by_id["P1"]["passives"]) == (2, 2)
    assert by_id["P1"]["detractors"] == 2
    assert by_id["P2"]["nps"] == pytest.approx(50.0)
    assert by_id["P1"]["csat"] == pytest.approx(2 / 3)
    assert by_id["P1"]["csat_mean"] == pytest.approx(4.0)
    assert by_id["P2"]["csat"] == pytest.approx(0.0)
    # Portfolio: 5 promoters, 3 detractors of 10 → +20; CSAT 2 of 4, mean 13/4.
    s = result.summary
    assert (s["nps"], s["nps_n"]) == (pytest.approx(20.0), 10)
    assert (s["csat"], s["csat_n"]) == (pytest.approx(0.5), 4)
    assert s["csat_mean"] == pytest.approx(3.25)
    assert s["headline"] == "NPS +20 (n = 10); CSAT 50 % satisfied, mean 3.25 (n = 4)"
    # n = 4 CSAT answers < 10: warned; every account has fewer than 10 answers.
    assert any("portfolio CSAT rests on 4 answers" in w for w in result.warnings)
    assert not any("portfolio NPS" in w for w in result.warnings)
    assert all(r["low_n"] for r in result.rows)


def test_window_of_months_and_monthly_trend() -> None:
    rows = [
        ("W", date(2023, 6, 30), "NPS", 0),  # before the 12 months from 2023-07-01
        ("W", date(2023, 7, 1), "NPS", 10),
        ("W", date(2024, 6, 15), "NPS", 10),
        ("W", date(2024, 7, 1), "NPS", 0),  # after as_of
    ]
    result = satisfaction_scores(
        _surveys(rows), as_of=date(2024, 6, 30), months=12, grain="month"
    )
    assert result.summary["since"] == "2023-07-01"
    assert (result.summary["nps"], result.summary["nps_n"]) == (100.0, 2)
    trend = {t["period"]: (t["nps"], t["nps_n"]) for t in result.tables["trend"]}
    assert trend == {
        "2023-06": (-100.0, 1),
        "2023-07": (100.0, 1),
        "2024-06": (100.0, 1),
    }
    everything = satisfaction_scores(_surveys(rows), as_of=date(2024, 6, 30), months=0)
    assert everything.summary["nps_n"] == 3
    quarters = [t["period"] for t in everything.tables["trend"]]
    assert quarters == ["2023-Q2", "2023-Q3", "2024-Q2"]


def test_row_order_does_not_change_the_scores() -> None:
    day = date(2024, 6, 1)
    rows = [(f"R{i % 3}", day, "NPS" if i % 2 else "CSAT", i % 6) for i in range(30)]
    one = satisfaction_scores(_surveys(rows), as_of=day)
    other = satisfaction_scores(_surveys(list(reversed(rows))), as_of=day)
    assert list(one.rows) == list(other.rows)
    assert one.summary == other.summary
    assert one.tables["trend"] == other.tables["trend"]


def test_satisfaction_names_the_missing_sheet() -> None:
    with pytest.raises(MissingDataError, match="Surveys"):
        run("satisfaction", {})


def test_column_sums_add_whole_numbers_and_count_true_values() -> None:
    data = ibis.memtable(
        {"n": [3, 0, 4], "low": [True, None, True], "ok": [False, False, True]}
    ).to_pyarrow()
    assert column_sums(data, ("n", "low", "ok")) == {"n": 7, "low": 2, "ok": 1}
    assert column_sums(data.slice(0, 0), ("n", "low")) == {"n": 0, "low": 0}
