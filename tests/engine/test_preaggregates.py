"""Derived tables kept beside a Parquet ledger, and what the engine learns of them."""

from __future__ import annotations

import os
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import ibis
import ibis.expr.datatypes as dt
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from kam.engine import open_engine
from kam.engine.core import derive
from kam.engine.sources import write_derived
from kam.engine.unique import one_row_each
from kam.errors import InputError

MONEY = pa.decimal128(18, 2)


def _ledger(folder: Path, revenue: list[tuple[str, str, str]]) -> Path:
    folder.mkdir()
    ids = sorted({a for a, _, _ in revenue})
    pq.write_table(
        pa.table({"account_id": ids, "name": [f"Account {a}" for a in ids]}),
        folder / "Accounts.parquet",
    )
    pq.write_table(
        pa.table(
            {
                "account_id": [a for a, _, _ in revenue],
                "period": [p for _, p, _ in revenue],
                "amount": pa.array([Decimal(v) for _, _, v in revenue], MONEY),
            }
        ),
        folder / "Revenue.parquet",
    )
    return folder


def _pareto_total(folder: Path) -> str:
    engine = open_engine(f"parquet:{folder}")
    try:
        result = engine.run("pareto", {"period_from": "2024", "period_to": "2024"})
        return str(result.summary["total"])
    finally:
        engine.close()


def _write_values(path: Path, rows: list[tuple[str, str, str]]) -> None:
    pq.write_table(
        pa.table(
            {
                "account_id": [a for a, _, _ in rows],
                "period": [p for _, p, _ in rows],
                "value": pa.array([Decimal(v) for _, _, v in rows], MONEY),
            }
        ),
        path,
    )


def test_write_derived_sums_revenue_per_account_and_period(tmp_path: Path) -> None:
    folder = _ledger(
        tmp_path / "l",
        [("A", "2024", "1.10"), ("A", "2024", "2.20"), ("B", "2024", "5")],
    )
    written = write_derived(folder, derive)
    assert [p.name for p in written] == [
        "_revenue_by_period.parquet",
        "_revenue_by_year.parquet",
    ]
    for path in written:
        sums = pq.read_table(path).sort_by("account_id").to_pylist()
        assert [(r["account_id"], r["period"], r["value"]) for r in sums] == [
            ("A", "2024", Decimal("3.30")),
            ("B", "2024", Decimal("5.00")),
        ]
    assert _pareto_total(folder) == "8.30"


def test_write_derived_sums_months_into_years(tmp_path: Path) -> None:
    folder = _ledger(
        tmp_path / "l",
        [
            ("A", "2023-12", "1.00"),
            ("A", "2024-01", "2.00"),
            ("A", "2024-01", "0.50"),
            ("A", "2024-11", "4.00"),
            ("B", "2024-06", "7.25"),
        ],
    )
    written = write_derived(folder, derive)
    years = pq.read_table(folder / "_revenue_by_year.parquet")
    rows = sorted((r["account_id"], r["period"], r["value"]) for r in years.to_pylist())
    assert rows == [
        ("A", "2023", Decimal("1.00")),
        ("A", "2024", Decimal("6.50")),
        ("B", "2024", Decimal("7.25")),
    ]
    assert folder / "_revenue_by_year.parquet" in written


def test_a_year_file_beside_a_stale_period_file_is_not_read(tmp_path: Path) -> None:
    # A year file that disagrees with the sheet, kept beside no (fresh) period file:
    # the engine sums the years again from the sheet.
    folder = _ledger(tmp_path / "l", [("A", "2024-03", "1"), ("B", "2024-04", "2")])
    _write_values(
        folder / "_revenue_by_year.parquet",
        [("A", "2024", "100"), ("B", "2024", "200")],
    )
    assert _pareto_total(folder) == "3.00"


def test_a_newer_derived_file_is_read_instead_of_the_sheet(tmp_path: Path) -> None:
    # The derived file says 100 + 200, the sheet 1 + 2: the total shows which was read.
    folder = _ledger(tmp_path / "l", [("A", "2024", "1"), ("B", "2024", "2")])
    _write_values(
        folder / "_revenue_by_period.parquet",
        [("A", "2024", "100"), ("B", "2024", "200")],
    )
    assert _pareto_total(folder) == "300.00"


def test_a_derived_file_older_than_a_sheet_is_ignored(tmp_path: Path) -> None:
    folder = _ledger(tmp_path / "l", [("A", "2024", "1"), ("B", "2024", "2")])
    derived = folder / "_revenue_by_period.parquet"
    _write_values(derived, [("A", "2024", "100"), ("B", "2024", "200")])
    sheet_time = (folder / "Revenue.parquet").stat().st_mtime_ns
    os.utime(derived, ns=(sheet_time - 10**9, sheet_time - 10**9))
    assert _pareto_total(folder) == "3.00"


def test_negative_revenue_in_the_range_is_still_rejected(tmp_path: Path) -> None:
    folder = _ledger(
        tmp_path / "l",
        [("A", "2024", "5"), ("B", "2024", "-2.50"), ("B", "2023", "-1")],
    )
    with pytest.raises(InputError, match=r"account B in 2024: -2\.50"):
        _pareto_total(folder)


def test_negative_revenue_outside_the_range_does_not_matter(tmp_path: Path) -> None:
    folder = _ledger(
        tmp_path / "l", [("A", "2024", "5"), ("B", "2024", "3"), ("B", "2023", "-1")]
    )
    assert _pareto_total(folder) == "8.00"


def test_whole_years_are_read_from_the_year_file(tmp_path: Path) -> None:
    # The year file says 100 + 200 for 2024, the period file 1 + 2: a Pareto over
    # the whole year reads the year file, one over part of it the period file.
    folder = _ledger(tmp_path / "l", [("A", "2024-03", "1"), ("B", "2024-04", "2")])
    _write_values(
        folder / "_revenue_by_period.parquet",
        [("A", "2024-03", "1"), ("B", "2024-04", "2")],
    )
    _write_values(
        folder / "_revenue_by_year.parquet",
        [("A", "2024", "100"), ("B", "2024", "200")],
    )
    assert _pareto_total(folder) == "300.00"
    engine = open_engine(f"parquet:{folder}")
    try:
        part = engine.run("pareto", {"period_from": "2024-01", "period_to": "2024-03"})
        assert part.summary["total"] == "1.00"
    finally:
        engine.close()


def test_a_range_mixes_whole_years_and_months_of_other_types(tmp_path: Path) -> None:
    # 2023 is whole in the range (read from the year file: 100.25, not 1 + 2), 2024
    # only up to March (its February row from the period file, not June's); the year
    # file holds decimal(38, 2), the period file decimal(18, 2).
    rows = [("A", "2023-05", "1"), ("A", "2023-09", "2"), ("A", "2024-02", "0.50")]
    rows.append(("A", "2024-06", "7"))
    folder = _ledger(tmp_path / "l", rows)
    _write_values(folder / "_revenue_by_period.parquet", rows)
    pq.write_table(
        pa.table(
            {
                "account_id": ["A", "A"],
                "period": ["2023", "2024"],
                "value": pa.array(
                    [Decimal("100.25"), Decimal("300.00")], pa.decimal128(38, 2)
                ),
            }
        ),
        folder / "_revenue_by_year.parquet",
    )
    engine = open_engine(f"parquet:{folder}")
    try:
        result = engine.run(
            "pareto", {"period_from": "2023-01", "period_to": "2024-03"}
        )
        assert result.summary["total"] == "100.75"
    finally:
        engine.close()


def _monthly_rows() -> list[tuple[str, str, str]]:
    # Five accounts over 2023-01 … 2025-12, several rows per month for some, gaps,
    # ties and cents; the values follow a fixed pattern (no randomness).
    rows: list[tuple[str, str, str]] = []
    for i, account in enumerate("ABCDE"):
        for m in range(36):
            if (m + i) % 7 == 3:
                continue  # a month without revenue
            year, month = 2023 + m // 12, m % 12 + 1
            cents = ((i + 1) * 1_000 + ((m * (i + 3)) % 11) * 137) * (5 - i)
            rows.append((account, f"{year}-{month:02d}", f"{cents / 100:.2f}"))
            if i == 2 and m % 5 == 0:
                rows.append((account, f"{year}-{month:02d}", "0.07"))
    return rows


def _reference(
    rows: list[tuple[str, str, str]], first: str, last: str, label: Callable[[str], str]
) -> dict[tuple[str, str], Decimal]:
    sums: dict[tuple[str, str], Decimal] = {}
    for account, period, amount in rows:
        if first <= period <= last:
            key = (account, label(period))
            sums[key] = sums.get(key, Decimal("0")) + Decimal(amount)
    return sums


def _fiscal_year(start: int) -> Callable[[str], str]:
    def label(period: str) -> str:
        year, month = int(period[:4]), int(period[5:])
        return str(year + 1 if start > 1 and month >= start else year)

    return label


def _quarter(period: str) -> str:
    return f"{period[:4]}-Q{(int(period[5:]) - 1) // 3 + 1}"


@pytest.mark.parametrize(
    ("options", "first", "last", "label"),
    [
        (
            {"period_from": "2023-01", "period_to": "2025-12"},
            "2023-01",
            "2025-12",
            "fy1",
        ),
        (
            {"period_from": "2023-04", "period_to": "2025-09"},
            "2023-04",
            "2025-09",
            "fy1",
        ),
        (
            {"period_from": "2023-07", "period_to": "2025-06", "fiscal_year_start": 7},
            "2023-07",
            "2025-06",
            "fy7",
        ),
        (
            {"period_from": "2024-01", "period_to": "2025-12", "grain": "quarter"},
            "2024-01",
            "2025-12",
            "quarter",
        ),
    ],
)
def test_sums_with_the_year_file_equal_sums_of_the_sheet(
    tmp_path: Path,
    options: dict[str, object],
    first: str,
    last: str,
    label: str,
) -> None:
    rows = _monthly_rows()
    folder = _ledger(tmp_path / "l", rows)
    write_derived(folder, derive)
    labels = {"fy1": _fiscal_year(1), "fy7": _fiscal_year(7), "quarter": _quarter}
    expected = _reference(rows, first, last, labels[label])
    per_account: dict[str, Decimal] = {}
    for (account, _), value in expected.items():
        per_account[account] = per_account.get(account, Decimal("0")) + value
    engine = open_engine(f"parquet:{folder}")
    try:
        abc = engine.run("abc", options)
        got = {
            (r["account_id"], r["period"]): Decimal(str(r["value"]))
            for r in abc.rows
            if r["period"] != "pooled"
        }
        assert got == {k: v for k, v in expected.items() if v > 0}
        pooled = {
            r["account_id"]: Decimal(str(r["value"]))
            for r in abc.rows
            if r["period"] == "pooled"
        }
        assert pooled == per_account
        pareto_options = {k: v for k, v in options.items() if k != "grain"}
        pareto = engine.run("pareto", pareto_options)
        assert {
            r["account_id"]: Decimal(str(r["value"])) for r in pareto.rows
        } == per_account
    finally:
        engine.close()


# ----------------------------------------------------------- MRR movement tables

# Plans per account and month (2024-01 … 2024-06):
# A: basic 100 every month; pro 50 in Jan–Mar (a plan churned while another goes on)
# B: basic 200 in Jan–Feb, nothing in Mar–Apr, 120 in May–Jun (reactivation)
# C: pro 80 in Mar, 100 in Apr–Jun (new, then expansion)
# D: basic 50 in Jan–Apr (churn in May)
# E: basic 30 in Jun (new)
_MRR_ROWS = (
    [("A", f"2024-0{m}", "basic", "100.00") for m in range(1, 7)]
    + [("A", f"2024-0{m}", "pro", "50.00") for m in range(1, 4)]
    + [("B", f"2024-0{m}", "basic", "200.00") for m in (1, 2)]
    + [("B", f"2024-0{m}", "basic", "120.00") for m in (5, 6)]
    + [("C", "2024-03", "pro", "80.00")]
    + [("C", f"2024-0{m}", "pro", "100.00") for m in (4, 5, 6)]
    + [("D", f"2024-0{m}", "basic", "50.00") for m in range(1, 5)]
    + [("E", "2024-06", "basic", "30.00")]
)
_MRR_ANALYSES = (
    ("mrr", {}),
    ("mrr", {"month": "2024-04"}),
    ("mrr_bridge", {"by_plan": True}),
    ("mrr_bridge", {"period_from": "2024-03", "period_to": "2024-08"}),
    ("retention", {}),
    ("retention", {"period_to": "2024-05"}),
    ("retention", {"grain": "quarter"}),
    ("cohorts", {}),
    ("cohorts", {"max_age": 2, "period_from": "2024-02"}),
    ("slipping", {"period": "2024-05"}),
    ("slipping", {}),
)


def _mrr_ledger(folder: Path) -> Path:
    folder.mkdir()
    ids = sorted({a for a, *_ in _MRR_ROWS})
    pq.write_table(
        pa.table(
            {
                "account_id": ids,
                "name": [f"Account {a}" for a in ids],
                "owner": ["ann" if a in "ABC" else "bob" for a in ids],
            }
        ),
        folder / "Accounts.parquet",
    )
    pq.write_table(
        pa.table(
            {
                "account_id": [r[0] for r in _MRR_ROWS],
                "month": [r[1] for r in _MRR_ROWS],
                "plan": [r[2] for r in _MRR_ROWS],
                "mrr": pa.array([Decimal(r[3]) for r in _MRR_ROWS], MONEY),
            }
        ),
        folder / "MRR.parquet",
    )
    return folder


def _raw_run(engine: object, name: str, params: dict[str, object], ids: set[str]):  # type: ignore[no-untyped-def]
    """The analysis on the canonical tables only (as on a raw backend)."""
    from kam.analysis.registry import run
    from kam.engine.scope import restrict
    from kam.model import SHEETS

    tables = {n: t for n, t in engine.tables().items() if n in SHEETS}  # type: ignore[attr-defined]
    tables = restrict(tables, ids)
    return run(
        name,
        {SHEETS[n].table: t for n, t in tables.items()},
        params,
        defaults=engine.defaults(),  # type: ignore[attr-defined]
    )


def test_engine_hands_analyses_raw_and_derived_tables(tmp_path: Path) -> None:
    engine = open_engine(f"parquet:{_mrr_ledger(tmp_path / 'ledger')}")
    try:
        tables = engine.analysis_tables("mrr_bridge")
        # The canonical MRR (by plan) and every derived table, side by side.
        assert "plan" in tables["mrr"].columns
        assert {
            "_mrr_by_month",
            "_mrr_movements",
            "_mrr_movement_sums",
            "_mrr_plan_movements",
            "_mrr_plan_months",
            "_mrr_month_totals",
        } <= set(tables)
        # A restricted reader gets no portfolio-wide sums.
        scoped = engine.analysis_tables("mrr", accounts=["A"])
        assert "_mrr_plan_months" not in scoped
        assert "_mrr_month_totals" not in scoped
        assert "_mrr_movement_sums" not in scoped
        assert "_mrr_movements" in scoped
        # Retention's plan view is there (no warning about a missing plan column).
        assert engine.run("retention").warnings == []
    finally:
        engine.close()


def test_movement_tables_are_built_only_when_an_analysis_reads_them(
    tmp_path: Path,
) -> None:
    engine = open_engine(f"parquet:{_mrr_ledger(tmp_path / 'ledger')}")
    try:
        # Pareto on MRR needs only the per-account totals: no events are built.
        engine.run("pareto", {"metric": "mrr", "include_zero": "no"})
        assert "_mrr_by_month" in engine.tables()
        assert "_mrr_movements" not in engine.tables()
        assert "_mrr_movements" not in engine.analysis_tables("pareto")
        # The first bridge builds them, once per data version.
        engine.run("mrr_bridge")
        assert {"_mrr_movements", "_mrr_movement_sums"} <= set(engine.tables())
    finally:
        engine.close()


def test_mrr_sums_are_built_only_when_a_reader_needs_them(tmp_path: Path) -> None:
    folder = _mrr_ledger(tmp_path / "ledger")
    # Revenue beside MRR: A 400, B 100 in 2024 (A alone makes 80 %: k = 1).
    pq.write_table(
        pa.table(
            {
                "account_id": ["A", "A", "B"],
                "period": ["2024-01", "2024-02", "2024-01"],
                "amount": pa.array(
                    [Decimal("200.00"), Decimal("200.00"), Decimal("100.00")], MONEY
                ),
            }
        ),
        folder / "Revenue.parquet",
    )
    engine = open_engine(f"parquet:{folder}")
    try:
        options = {"period_from": "2024", "period_to": "2024", "include_zero": "no"}
        pareto = engine.run("pareto", options)
        assert pareto.summary["total"] == "500.00"
        assert pareto.summary["k"] == 1
        abc = engine.run("abc", {"period_from": "2024", "period_to": "2024"})
        assert {str(r["account_id"]): r["class"] for r in abc.rows} == {
            "A": "A",
            "B": "B",
        }
        # Neither read MRR: its per-account sums are not built yet.
        assert "_mrr_by_month" not in engine.tables(built_only=True)
        assert "_mrr_by_month" not in engine.backend.list_tables()
        # A Pareto of MRR builds them and gives the sums of the MRR rows.
        by_mrr = engine.run("pareto", {"metric": "mrr", **options})
        assert "_mrr_by_month" in engine.backend.list_tables()
        assert "_mrr_by_month" in engine.tables(built_only=True)
        raw = _raw_run(engine, "pareto", {"metric": "mrr", **options}, set("ABCDE"))
        assert by_mrr.summary["total"] == raw.summary["total"]
        assert [r["account_id"] for r in by_mrr.rows] == [
            r["account_id"] for r in raw.rows
        ]
    finally:
        engine.close()


def test_bridge_retention_cohorts_from_the_movement_tables(tmp_path: Path) -> None:
    engine = open_engine(f"parquet:{_mrr_ledger(tmp_path / 'ledger')}")
    try:
        bridge = {str(r["month"]): r for r in engine.run("mrr_bridge").rows}
        # April: A 150 → 100 (pro dropped: contraction 50), C 80 → 100 (expansion
        # 20), D 50 flat; March total 150 + 80 + 50 = 280, April 250.
        apr = bridge["2024-04"]
        assert (apr["start"], apr["end"]) == (Decimal("280.00"), Decimal("250.00"))
        assert (apr["contraction"], apr["expansion"]) == (
            Decimal("50.00"),
            Decimal("20.00"),
        )
        assert apr["churn"] == Decimal("0.00")
        # May: B back with 120 after two empty months, D gone (churn 50).
        may = bridge["2024-05"]
        assert (may["reactivation"], may["churn"]) == (
            Decimal("120.00"),
            Decimal("50.00"),
        )
        assert (may["accounts_reactivation"], may["accounts_churn"]) == (1, 1)
        plans = engine.run("mrr_bridge", {"by_plan": True}).tables["by_plan"]
        pro_apr = next(
            r for r in plans if r["plan"] == "pro" and r["month"] == "2024-04"
        )
        # Per plan, A's pro (50) churned in April while its basic went on.
        assert (pro_apr["churn"], pro_apr["expansion"]) == (
            Decimal("50.00"),
            Decimal("20.00"),
        )
        ret = engine.run("retention", {"period_to": "2024-05"})
        # May: start 250 (A, C, D), churn 50, reactivation 120:
        # GRR (250 − 50) / 250 = 0.8, NRR (250 + 120 − 50) / 250 = 1.28,
        # CRR (3 at the end − 1 back) / 3 at the start.
        assert ret.summary["grr"] == pytest.approx(0.8)
        assert ret.summary["nrr"] == pytest.approx(1.28)
        assert ret.summary["crr"] == pytest.approx(2 / 3)
        cells = {(r["cohort"], r["age"]): r for r in engine.run("cohorts").rows}
        # January's cohort (A 150, B 200, D 50 = 400): in May A 100 and B 120.
        may_cell = cells[("2024-01", 4)]
        assert may_cell["accounts"] == 2
        assert may_cell["value"] == Decimal("220.00")
        assert may_cell["revenue_retention"] == pytest.approx(0.55)
        slipping = engine.run("slipping", {"period": "2024-05"})
        # D fell from 50 to 0 (100 %); nobody else fell by 20 % or more.
        assert [r["account_id"] for r in slipping.rows if r["value_drop"]] == ["D"]
    finally:
        engine.close()


@pytest.mark.parametrize(
    "accounts", [None, {"A", "B", "C", "D", "E"}, {"D"}, {"A", "D"}, {"B", "E"}]
)
def test_movement_tables_give_the_results_of_the_raw_tables(
    tmp_path: Path, accounts: set[str] | None
) -> None:
    """Every MRR analysis through the engine (materialised events and sums) equals
    the same analysis on the canonical tables alone, for the whole portfolio and for
    restricted readers (D's data ends in April: no churn past it)."""
    engine = open_engine(f"parquet:{_mrr_ledger(tmp_path / 'ledger')}")
    try:
        ids = accounts if accounts is not None else {"A", "B", "C", "D", "E"}
        for name, params in _MRR_ANALYSES:
            try:
                want = _raw_run(engine, name, dict(params), ids).to_dict()
            except InputError as exc:  # a period past a restricted reader's data
                with pytest.raises(InputError, match=str(exc)):
                    engine.run(name, params, accounts=accounts)
                continue
            got = engine.run(name, params, accounts=accounts).to_dict()
            assert got == want, (name, params)
    finally:
        engine.close()


def _pairs(rows: list[tuple[str | None, str | None]]) -> tuple[object, ibis.Table]:
    con = ibis.duckdb.connect()
    data = pa.table(
        {
            "account_id": pa.array([a for a, _ in rows], pa.string()),
            "period": pa.array([p for _, p in rows], pa.string()),
        }
    )
    return con, con.create_table("pairs", data)


def test_one_row_each_sees_a_period_repeated_by_one_account() -> None:
    con, t = _pairs([("A", "2024-01"), ("A", "2024-02"), ("B", "2024-01")])
    assert one_row_each(con, t, "account_id", "period")  # type: ignore[arg-type]
    con, t = _pairs([("A", "2024-01"), ("B", "2024-01"), ("A", "2024-01")])
    assert not one_row_each(con, t, "account_id", "period")  # type: ignore[arg-type]


def test_one_row_each_counts_periods_past_one_mask_word() -> None:
    # 130 periods need three 63-bit words; B repeats one of the third word.
    periods = [f"P{n:03d}" for n in range(130)]
    once = [("A", p) for p in periods] + [("B", periods[127]), ("B", periods[0])]
    con, t = _pairs(once)
    assert one_row_each(con, t, "account_id", "period")  # type: ignore[arg-type]
    con, t = _pairs([*once, ("B", periods[127])])
    assert not one_row_each(con, t, "account_id", "period")  # type: ignore[arg-type]


def test_one_row_each_leaves_blank_periods_to_the_sum() -> None:
    con, t = _pairs([("A", "2024-01"), ("B", None)])
    assert not one_row_each(con, t, "account_id", "period")  # type: ignore[arg-type]


def _revenue_kind_and_rows(folder: Path) -> tuple[str, list[tuple[str, str, Decimal]]]:
    engine = open_engine(f"parquet:{folder}")
    try:
        table = engine.tables()["_revenue_by_period"]
        kind = engine.backend.con.execute(  # type: ignore[attr-defined]
            "SELECT table_type FROM information_schema.tables "
            "WHERE table_name = '_revenue_by_period'"
        ).fetchone()[0]
        assert table.schema()["value"] == dt.Decimal(38, 2)
        rows = engine.to_pyarrow(table).sort_by(
            [("account_id", "ascending"), ("period", "ascending")]
        )
        return kind, [
            (r["account_id"], r["period"], r["value"]) for r in rows.to_pylist()
        ]
    finally:
        engine.close()


def test_revenue_of_one_row_per_account_and_period_is_a_view_of_the_rows(
    tmp_path: Path,
) -> None:
    folder = _ledger(
        tmp_path / "l",
        [("B", "2024-01", "5"), ("A", "2024-02", "2.20"), ("A", "2024-01", "1.10")],
    )
    kind, rows = _revenue_kind_and_rows(folder)
    assert kind == "VIEW"
    assert rows == [
        ("A", "2024-01", Decimal("1.10")),
        ("A", "2024-02", Decimal("2.20")),
        ("B", "2024-01", Decimal("5.00")),
    ]
    assert _pareto_total(folder) == "8.30"


def test_revenue_with_a_repeated_period_is_summed(tmp_path: Path) -> None:
    folder = _ledger(
        tmp_path / "l",
        [("A", "2024-01", "1.10"), ("B", "2024-01", "5"), ("A", "2024-01", "2.20")],
    )
    kind, rows = _revenue_kind_and_rows(folder)
    assert kind == "BASE TABLE"
    assert rows == [
        ("A", "2024-01", Decimal("3.30")),
        ("B", "2024-01", Decimal("5.00")),
    ]
    assert _pareto_total(folder) == "8.30"


def test_one_thread_runs_the_block_on_one_thread_and_restores_the_setting() -> None:
    from kam.engine.core import _one_thread

    con = ibis.duckdb.connect(threads=2)

    def threads() -> int:
        return int(con.raw_sql("SELECT current_setting('threads')").fetchone()[0])

    try:
        with _one_thread(con):
            assert threads() == 1
        assert threads() == 2

        # Restored when the block fails, too.
        def fail_inside() -> None:
            with _one_thread(con):
                assert threads() == 1
                raise InputError("a query failed")

        with pytest.raises(InputError, match="a query failed"):
            fail_inside()
        assert threads() == 2
    finally:
        con.disconnect()
