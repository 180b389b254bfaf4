"""``kam analyse``: run a registry analysis and print it as a table, JSON or CSV."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from pathlib import Path

import pytest

from kam.cli import main
from kam.model import SHEETS, Portfolio, Table, store_columns
from kam.store.repository import Store

#: Revenue of 2024 per account. Total 1000; shares .50 .30 .10 .06 .04; cumulative
#: .50 .80 .90 .96 1.00, so at the 0.80 threshold the vital few are A and B.
AMOUNTS = {"A": "500.00", "B": "300.00", "C": "100.00", "D": "60.00", "E": "40.00"}


def _table(sheet: str, rows: list[dict[str, object]]) -> Table:
    return Table.from_rows(store_columns(SHEETS[sheet]), rows)


@pytest.fixture
def database(sqlite_url: str) -> str:
    """A store holding the five accounts of AMOUNTS (2024 revenue, as of mid-2025)."""
    portfolio = Portfolio(
        {
            "Accounts": _table(
                "Accounts",
                [
                    {"account_id": a, "name": f"Acc {a}", "status": "active"}
                    for a in AMOUNTS
                ],
            ),
            "Revenue": _table(
                "Revenue",
                [
                    {"account_id": a, "period": "2024", "amount": Decimal(v)}
                    for a, v in AMOUNTS.items()
                ],
            ),
            "Settings": _table("Settings", [{"key": "as_of", "value": "2025-06-30"}]),
        }
    )
    store = Store(sqlite_url)
    store.upgrade()
    store.import_portfolio(portfolio)
    store.dispose()
    return sqlite_url


def test_pareto_json_matches_the_hand_computed_curve(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["analyse", "pareto", "--format", "json", "-d", database]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert set(doc) >= {"analysis", "parameters", "summary", "rows", "warnings"}
    assert doc["analysis"] == "pareto"
    assert doc["parameters"]["threshold"] == 0.8
    assert doc["parameters"]["period_from"] == "2024"
    summary = doc["summary"]
    assert summary["headline"] == "2 of 5 accounts (40 %) make 80.0 % of revenue"
    assert summary["total"] == "1000.00"
    assert summary["k"] == 2
    # HHI = .25 + .09 + .01 + .0036 + .0016; Gini = (4·500 + 2·300 − 2·60 − 4·40)
    # / (5 · 1000).
    assert summary["hhi"] == pytest.approx(0.3552)
    assert summary["gini"] == pytest.approx(0.464)
    rows = doc["rows"]
    assert [r["account_id"] for r in rows] == ["A", "B", "C", "D", "E"]
    assert [r["value"] for r in rows] == list(AMOUNTS.values())
    assert [r["cum_share"] for r in rows] == pytest.approx([0.5, 0.8, 0.9, 0.96, 1.0])
    assert [r["vital_few"] for r in rows] == [True, True, False, False, False]
    assert rows[0]["name"] == "Acc A"


def test_threshold_from_set_moves_the_vital_few(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    args = [
        "analyse",
        "pareto",
        "-f",
        "json",
        "--set",
        "threshold=0.85",
        "-d",
        database,
    ]
    assert main(args) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["summary"]["k"] == 3  # .80 < .85 ≤ .90


def test_table_format_prints_the_headline_and_the_rows(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["analyse", "pareto", "-d", database]) == 0
    out = capsys.readouterr().out
    assert "2 of 5 accounts (40 %) make 80.0 % of revenue" in out
    assert "500.00" in out
    assert "80.0 %" in out


def test_csv_format_writes_the_rows_to_a_file(database: str, tmp_path: Path) -> None:
    target = tmp_path / "pareto.csv"
    assert (
        main(["analyse", "pareto", "-f", "csv", "-o", str(target), "-d", database]) == 0
    )
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"))))
    assert [r["account_id"] for r in rows] == ["A", "B", "C", "D", "E"]
    assert rows[2]["value"] == "100.00"
    assert rows[1]["vital_few"] == "true"
    assert rows[2]["vital_few"] == "false"


def test_bad_threshold_exits_1_naming_the_parameter_and_its_range(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["analyse", "pareto", "--set", "threshold=1.5", "-d", database]) == 1
    err = capsys.readouterr().err
    assert "threshold" in err
    assert "(0, 1)" in err


def test_unknown_parameter_exits_1_listing_the_known_ones(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["analyse", "abc", "--set", "treshold=0.9", "-d", database]) == 1
    err = capsys.readouterr().err
    assert "treshold" in err
    assert "cutoffs" in err


def test_unknown_analysis_exits_1(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["analyse", "nonsense", "-d", database]) == 1
    assert "pareto" in capsys.readouterr().err


def test_list_names_pareto_and_abc_with_their_parameters(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["analyse", "--list", "--format", "json"]) == 0
    listing = {a["name"]: a for a in json.loads(capsys.readouterr().out)}
    assert {"pareto", "abc"} <= set(listing)
    threshold = next(
        p for p in listing["pareto"]["parameters"] if p["name"] == "threshold"
    )
    assert threshold["default"] == 0.8
    cutoffs = next(p for p in listing["abc"]["parameters"] if p["name"] == "cutoffs")
    assert cutoffs["default"] == [0.8, 0.95]


def test_list_as_a_table_names_pareto_and_abc(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["analyse", "--list"]) == 0
    out = capsys.readouterr().out
    assert "pareto" in out
    assert "abc" in out
    assert "threshold" in out


def test_workbook_source_gives_the_same_rows_as_the_store(
    database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from kam.workbook.write import write_workbook

    store = Store(database)
    book = tmp_path / "book.xlsx"
    write_workbook(store.load_portfolio(), book)
    store.dispose()
    assert main(["analyse", "pareto", "-f", "json", "-d", database]) == 0
    from_store = json.loads(capsys.readouterr().out)
    assert main(["analyse", "pareto", "-f", "json", "--source", str(book)]) == 0
    from_book = json.loads(capsys.readouterr().out)
    assert from_book["rows"] == from_store["rows"]


def test_unknown_option_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["analyse", "pareto", "--bogus"]) == 2
    assert "--bogus" in capsys.readouterr().err


@pytest.mark.parametrize(
    "args",
    [["--format", "yaml"], ["--set", "threshold"]],
    ids=["unknown-format", "set-without-equals"],
)
def test_malformed_options_exit_2_naming_the_option(
    args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["analyse", "pareto", *args]) == 2
    assert args[0] in capsys.readouterr().err
