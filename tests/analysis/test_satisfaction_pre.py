"""Satisfaction from the engine's per-account and per-month answer counts
(``_survey_months``, ``_survey_month_totals``): the counts by hand, the same figures
as from the answers, and the answers read whenever the counts cannot answer."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path

import ibis
import pytest

from kam.analysis.registry import run
from kam.engine import open_engine
from kam.engine.core import derive
from tests.analysis.golden import arrow_table, preaggregated_ledger

D = date
JAN, MAR = 2024 * 12, 2024 * 12 + 2
ROWS: list[tuple[object, ...]] = [
    ("A", D(2024, 1, 5), "NPS", 10),
    ("A", D(2024, 1, 20), "NPS", 9),
    ("A", D(2024, 1, 31), "NPS", 3),
    ("A", D(2024, 1, 10), "CSAT", 5),
    ("A", D(2024, 1, 11), "CSAT", 2),
    ("A", D(2024, 3, 2), "NPS", 7),
    ("A", None, "NPS", 10),  # no date: never counted
    ("B", D(2024, 1, 15), "CSAT", 4),
    ("B", D(2024, 3, 20), "NPS", 0),
    ("B", D(2024, 3, 25), "CSAT", 4),
]
ACCOUNTS = [("A", "Alpha", "active"), ("B", "Beta", "active")]


def _t(kind: str, rows: Sequence[Sequence[object]]) -> ibis.Table:
    return ibis.memtable(arrow_table(kind, rows))


def _tables(
    rows: Sequence[Sequence[object]], *, pre_from: Sequence[Sequence[object]] = ()
) -> dict[str, ibis.Table]:
    """The sheets and their pre-aggregates (built from ``pre_from`` when given)."""
    surveys, accounts = _t("surveys", rows), _t("accounts", ACCOUNTS)
    built = derive({"Surveys": _t("surveys", pre_from or rows), "Accounts": accounts})
    return {
        "surveys": surveys,
        "accounts": accounts,
        "_survey_months": built["_survey_months"],
        "_survey_month_totals": built["_survey_month_totals"],
    }


_KEYS = ("nps_n", "promoters", "detractors", "csat_n", "satisfied", "csat_total")


def test_answers_are_counted_per_account_and_month_by_hand() -> None:
    tables = _tables(ROWS)
    got = {
        (r["account_id"], r["month"]): (
            r["name"],
            *(r[k] for k in _KEYS),
            r["last_on"],
        )
        for r in tables["_survey_months"].to_pyarrow().to_pylist()
    }
    # A in January: NPS 10, 9 promote, 3 detracts; CSAT 5 (satisfied) and 2 → 7.
    assert got == {
        ("A", JAN): ("Alpha", 3, 2, 1, 2, 1, 7, D(2024, 1, 31)),
        ("A", MAR): ("Alpha", 1, 0, 0, 0, 0, 0, D(2024, 3, 2)),
        ("B", JAN): ("Beta", 0, 0, 0, 1, 1, 4, D(2024, 1, 15)),
        ("B", MAR): ("Beta", 1, 0, 1, 1, 1, 4, D(2024, 3, 25)),
    }
    totals = {
        r["month"]: (*(r[k] for k in _KEYS), r["last_on"])
        for r in tables["_survey_month_totals"].to_pyarrow().to_pylist()
    }
    assert totals == {
        JAN: (3, 2, 1, 3, 2, 11, D(2024, 1, 31)),
        MAR: (2, 0, 1, 1, 1, 4, D(2024, 3, 25)),
    }


def test_figures_from_the_counts_by_hand() -> None:
    result = run("satisfaction", _tables(ROWS), {"as_of": "2024-03-31", "months": 3})
    by_id = {r["account_id"]: r for r in result.rows}
    # A: NPS 10, 9, 3, 7 → (2 − 1)/4 = +25; CSAT 5, 2 → 1/2, mean 3.5.
    assert by_id["A"]["name"] == "Alpha"
    assert by_id["A"]["nps"] == pytest.approx(25.0)
    assert (by_id["A"]["nps_n"], by_id["A"]["passives"]) == (4, 1)
    assert (by_id["A"]["csat"], by_id["A"]["csat_mean"]) == (0.5, 3.5)
    # B: one NPS 0 → −100; CSAT 4, 4 → all satisfied, mean 4.
    assert by_id["B"]["nps"] == pytest.approx(-100.0)
    assert (by_id["B"]["csat"], by_id["B"]["csat_n"]) == (1.0, 2)
    # Portfolio: 2 promoters, 2 detractors of 5 → 0; CSAT 3 of 4, mean 15/4.
    s = result.summary
    assert (s["nps"], s["nps_n"], s["csat_n"]) == (0.0, 5, 4)
    assert s["csat_mean"] == pytest.approx(3.75)
    trend = {t["period"]: (t["nps_n"], t["csat_n"]) for t in result.tables["trend"]}
    assert trend == {"2024-Q1": (5, 4)}
    # Two months (February and March) leave A's and B's January answers out.
    short = run("satisfaction", _tables(ROWS), {"as_of": "2024-03-31", "months": 2})
    assert {r["account_id"]: r["nps_n"] for r in short.rows} == {"A": 1, "B": 1}
    assert short.summary["csat_n"] == 1


@pytest.mark.parametrize("totals", [True, False], ids=["totals", "restricted"])
def test_counts_are_read_only_when_no_answer_of_the_month_is_after_as_of(
    totals: bool,
) -> None:
    # The counts are built from other answers (A has a fourth NPS 10 in March), so
    # that a result shows where it came from. Without the per-month totals (as for
    # a reader restricted to some accounts) the check is the same.
    tables = _tables(ROWS, pre_from=[*ROWS, ("A", D(2024, 3, 3), "NPS", 10)])
    if not totals:
        del tables["_survey_month_totals"]

    def a_nps_n(day: str, **more: object) -> object:
        result = run("satisfaction", tables, {"as_of": day, **more})
        trend = {t["period"]: t["nps_n"] for t in result.tables["trend"]}
        a = next(r for r in result.rows if r["account_id"] == "A")
        return a["nps_n"], trend

    # 31 March ends its month: the counts (5 NPS answers of A) answer.
    assert a_nps_n("2024-03-31") == (5, {"2024-Q1": 6})
    # 24 March: B's CSAT of 25 March is after it, so the answers are read.
    assert a_nps_n("2024-03-24") == (4, {"2024-Q1": 5})
    # 15 February: no answer in February at all, the counts answer (January's).
    assert a_nps_n("2024-02-15", grain="month") == (3, {"2024-01": 3})


def _reference(
    rows: Sequence[Sequence[object]], day: date, months: int
) -> dict[str, tuple[int, ...]]:
    """Per account (nps_n, promoters, detractors, csat_n, satisfied, csat_total) of
    the answers from the first day of the month ``months − 1`` before ``day``'s."""
    first = day.year * 12 + day.month - 1 - (months - 1)
    out: dict[str, list[int]] = {}
    for account, on, instrument, score in rows:
        if not isinstance(on, date) or on > day:
            continue
        if months and on.year * 12 + on.month - 1 < first:
            continue
        c = out.setdefault(str(account), [0] * 6)
        s = int(str(score))
        if instrument == "NPS":
            c[0] += 1
            c[1] += s >= 9
            c[2] += s <= 6
        else:
            c[3] += 1
            c[4] += s >= 4
            c[5] += s
    return {a: tuple(c) for a, c in out.items()}


def _many_rows() -> list[tuple[object, ...]]:
    rows: list[tuple[object, ...]] = []
    for i in range(400):
        on = date.fromordinal(D(2023, 1, 1).toordinal() + (i * 37) % 700)
        kind = "NPS" if i % 3 else "CSAT"
        rows.append(
            (f"K{i % 7}", on, kind, (i * 7) % 11 if kind == "NPS" else i % 5 + 1)
        )
    return rows


@pytest.mark.parametrize(
    ("day", "months", "grain"),
    [
        (D(2024, 6, 30), 12, "quarter"),
        (D(2024, 6, 30), 0, "month"),
        (D(2024, 2, 29), 5, "month"),
        (D(2024, 6, 17), 12, "quarter"),  # mid-month: the answers are read
        (D(2030, 1, 1), 0, "quarter"),
    ],
)
def test_counts_and_answers_give_the_same_result(
    day: date, months: int, grain: str
) -> None:
    rows = _many_rows()
    params = {"as_of": day, "months": months, "grain": grain}
    tables = _tables(rows)
    pre = run("satisfaction", tables, params)
    sheets = {k: v for k, v in tables.items() if not k.startswith("_")}
    answers = run("satisfaction", sheets, params)
    want = _reference(rows, day, months)
    assert len(pre.rows) == len(want)
    for r in pre.rows:
        n, pro, det, c, sat, total = want[str(r["account_id"])]
        assert (r["nps_n"], r["promoters"], r["detractors"], r["csat_n"]) == (
            n,
            pro,
            det,
            c,
        )
        assert r["nps"] == (pytest.approx(100 * (pro - det) / n) if n else None)
        assert r["csat"] == (pytest.approx(sat / c) if c else None)
        assert r["csat_mean"] == (pytest.approx(total / c) if c else None)
    assert pre.to_dict() == answers.to_dict()
    assert pre.rows.arrow.equals(answers.rows.arrow)  # type: ignore[union-attr]


def test_an_engine_reads_the_stored_counts_with_the_same_types(tmp_path: Path) -> None:
    rows = _many_rows()
    folder = preaggregated_ledger(tmp_path / "ledger", "surveys", "Surveys", rows)
    params = {"as_of": "2024-06-30", "months": 12}
    engine = open_engine(f"parquet:{folder}")
    try:
        tables = engine.analysis_tables("satisfaction")
        assert "_survey_months" in tables
        sheets = {k: v for k, v in tables.items() if not k.startswith("_")}
        for accounts in (None, ["K1", "K4"]):
            pre = engine.run("satisfaction", params, accounts=accounts)
            scoped = engine.tables(accounts=accounts)
            answers = run(
                "satisfaction",
                {
                    "surveys": scoped["Surveys"],
                    "accounts": scoped["Accounts"],
                }
                if accounts
                else sheets,
                params,
            )
            assert pre.to_dict() == answers.to_dict()
            assert pre.rows.arrow.schema == answers.rows.arrow.schema  # type: ignore[union-attr]
        # K1 and K4 only: their counts, not the whole portfolio's.
        want = _reference(rows, D(2024, 6, 30), 12)
        assert pre.summary["nps_n"] == want["K1"][0] + want["K4"][0]
    finally:
        engine.close()
