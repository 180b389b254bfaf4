"""Smoke tests of the benchmark: the data it generates and the harness that runs it.

No timing is asserted here; the numbers belong to ``python -m bench``.
"""

from __future__ import annotations

import csv
import subprocess
import sys
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest
from bench.generate import generate, sheet_workbook
from bench.harness import Measurement, Row, format_size, parse_sizes, summarise

from kam.workbook.read import load_workbook

ROOT = Path(__file__).resolve().parents[1]


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def portfolio(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate(200, seed=3, out=tmp_path_factory.mktemp("p") / "200-3")


def test_generator_writes_the_same_bytes_for_the_same_seed(
    portfolio: Path, tmp_path: Path
) -> None:
    again = generate(200, seed=3, out=tmp_path / "again")
    for name in ("Accounts", "Products", "MRR", "Revenue"):
        assert (again / f"{name}.csv").read_bytes() == (
            portfolio / f"{name}.csv"
        ).read_bytes()


def test_generator_draws_other_data_for_another_seed(
    portfolio: Path, tmp_path: Path
) -> None:
    other = generate(200, seed=4, out=tmp_path / "other")
    assert (other / "MRR.csv").read_bytes() != (portfolio / "MRR.csv").read_bytes()


def test_small_portfolio_is_the_start_of_a_larger_one(
    portfolio: Path, tmp_path: Path
) -> None:
    larger = generate(300, seed=3, out=tmp_path / "larger")
    small = _rows(portfolio / "MRR.csv")
    assert _rows(larger / "MRR.csv")[: len(small)] == small


def test_generated_portfolio_loads_with_no_problem(portfolio: Path) -> None:
    loaded = load_workbook(portfolio)
    assert loaded.warnings == []
    assert len(loaded.table("Accounts")) == 200
    assert len(loaded.table("MRR")) == len(_rows(portfolio / "MRR.csv"))


def test_revenue_of_a_month_is_the_sum_of_its_mrr_rows(portfolio: Path) -> None:
    mrr: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for r in _rows(portfolio / "MRR.csv"):
        mrr[r["account_id"], r["month"]] += Decimal(r["mrr"])
    revenue = {
        (r["account_id"], r["period"]): Decimal(r["amount"])
        for r in _rows(portfolio / "Revenue.csv")
    }
    assert revenue == dict(mrr)


def test_each_account_month_has_one_plan_and_at_most_one_premium(
    portfolio: Path,
) -> None:
    plans: dict[tuple[str, str], list[str]] = defaultdict(list)
    for r in _rows(portfolio / "MRR.csv"):
        plans[r["account_id"], r["month"]].append(r["plan"])
    for found in plans.values():
        assert len(found) in (1, 2)
        assert found[0] in {"starter", "business", "enterprise"}
        assert found[1:] in ([], ["premium"])


def test_portfolio_spans_36_months_with_churn_and_late_starts(portfolio: Path) -> None:
    months_of: dict[str, set[str]] = defaultdict(set)
    for r in _rows(portfolio / "MRR.csv"):
        months_of[r["account_id"]].add(r["month"])
    every = set().union(*months_of.values())
    assert min(every) == "2023-01"
    assert max(every) == "2025-12"
    assert len(every) == 36
    late = [a for a, ms in months_of.items() if "2023-01" not in ms]
    gone = [a for a, ms in months_of.items() if "2025-12" not in ms]
    # ~20 % start late and ~20 % churn: both well away from none and from all.
    assert 10 < len(late) < 90
    assert 10 < len(gone) < 90
    statuses = {r["account_id"]: r["status"] for r in _rows(portfolio / "Accounts.csv")}
    assert {a for a, s in statuses.items() if s == "churned"} == set(gone)


def test_premium_addon_is_on_about_thirty_percent_of_accounts(portfolio: Path) -> None:
    with_premium = {
        r["account_id"] for r in _rows(portfolio / "MRR.csv") if r["plan"] == "premium"
    }
    assert 30 < len(with_premium) < 90


def test_sheet_workbook_has_exactly_the_rows_asked_for(tmp_path: Path) -> None:
    path = sheet_workbook(150, seed=3, out=tmp_path / "sheet.xlsx")
    loaded = load_workbook(path)
    assert set(loaded.tables) == {"Accounts", "MRR"}
    assert len(loaded.table("MRR")) == 150
    assert loaded.warnings == []


def test_sizes_accept_k_and_m_suffixes() -> None:
    assert parse_sizes("10k, 100k,1M,250") == [10_000, 100_000, 1_000_000, 250]
    assert parse_sizes("2.5k") == [2_500]


@pytest.mark.parametrize("text", ["", "ten", "0", "1.5"])
def test_sizes_refuse_what_is_not_a_whole_count(text: str) -> None:
    with pytest.raises(ValueError, match=r"sizes?"):
        parse_sizes(text)


def test_sizes_print_in_short_form() -> None:
    assert [format_size(n) for n in (200, 10_000, 1_000_000, 12_345)] == [
        "200",
        "10k",
        "1M",
        "12345",
    ]


def test_summary_takes_median_and_min_of_a_phase_and_the_highest_peak() -> None:
    runs = [
        Measurement({"read": 1.0, "write": 4.0}, 100 * 2**20),
        Measurement({"read": 3.0, "write": 2.0}, 300 * 2**20),
        Measurement({"read": 2.0, "write": 9.0}, 200 * 2**20),
    ]
    assert summarise(runs, "read") == {
        "median_s": 2.0,
        "min_s": 1.0,
        "peak_mib": 300.0,
        "runs": 3,
    }
    # totals are 5, 5 and 11 seconds
    assert summarise(runs)["median_s"] == 5.0


def test_ratio_is_baseline_time_over_kam_time() -> None:
    row = Row("c", 10, "accounts", {"median_s": 2.0}, {"median_s": 5.0})
    assert row.ratio == 2.5
    assert Row("c", 10, "accounts", None, {"median_s": 5.0}).ratio is None


def _bench(tmp_path: Path, only: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "bench",
            "--sizes",
            "200",
            "--repeat",
            "1",
            "--only",
            only,
            "--data-dir",
            str(tmp_path / "data"),
            "--results-dir",
            str(tmp_path / "results"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def _cases(stdout: str) -> list[str]:
    return [line.split("|")[1].strip() for line in stdout.splitlines()[2:]]


@pytest.mark.slow
def test_harness_prints_a_row_per_case_on_200_accounts(tmp_path: Path) -> None:
    done = _bench(
        tmp_path, "read_validate_sheet,read_validate_portfolio,import,reimport"
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert _cases(done.stdout) == [
        "read_validate_sheet",
        "read_validate_portfolio",
        "import: read_validate",
        "import: write",
        "import",
        "reimport: read_validate",
        "reimport: write",
        "reimport",
    ]
    assert "failed" not in done.stdout
    assert "CHANGED" not in done.stdout
    assert len(list((tmp_path / "results").glob("*.json"))) == 1


@pytest.mark.slow
def test_analysis_cases_agree_with_both_baselines_on_200_accounts(
    tmp_path: Path,
) -> None:
    # The harness marks a row failed when kam, pandas and DuckDB SQL disagree.
    done = _bench(tmp_path, "pareto,abc_migration")
    assert done.returncode == 0, done.stderr[-3000:]
    assert _cases(done.stdout) == [
        "pareto",
        "pareto [duckdb-sql]",
        "abc_migration",
        "abc_migration [duckdb-sql]",
    ]
    assert "failed" not in done.stdout
