"""The engine's sources give the same tables and results, typed and scoped alike."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import ibis
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from kam.config import Settings
from kam.demo import demo_portfolio
from kam.engine import Engine, cents_to_money, open_engine
from kam.engine.sources import PortfolioSource, SnapshotSource
from kam.errors import InputError, MissingDataError
from kam.model import SHEETS, Portfolio, Table, store_columns
from kam.store.repository import Store
from kam.workbook.write import write_workbook


def _table(sheet: str, rows: list[dict[str, object]]) -> Table:
    return Table.from_rows(store_columns(SHEETS[sheet]), rows)


def _small_portfolio(amounts: dict[str, list[str]]) -> Portfolio:
    """Accounts with Revenue rows in 2024 (one row per amount, products P1, P2, ...)."""
    accounts = [
        {"account_id": a, "name": f"Account {a}", "status": "active"} for a in amounts
    ]
    revenue = [
        {"account_id": a, "period": "2024", "product": f"P{i}", "amount": Decimal(v)}
        for a, values in amounts.items()
        for i, v in enumerate(values, 1)
    ]
    return Portfolio(
        {
            "Accounts": _table("Accounts", accounts),
            "Revenue": _table("Revenue", revenue),
            "Settings": _table("Settings", [{"key": "as_of", "value": "2025-06-30"}]),
        }
    )


def _store(url: str, portfolio: Portfolio) -> Store:
    store = Store(url)
    store.upgrade()
    store.import_portfolio(portfolio)
    return store


def _engine(url: str) -> Engine:
    return open_engine("store", settings=Settings(database_url=url))


# ----------------------------------------------------------------- same answers


@pytest.fixture(scope="module")
def demo() -> Portfolio:
    return demo_portfolio(accounts=60)


@pytest.mark.parametrize("analysis", ["pareto", "abc"])
def test_workbook_and_store_sources_give_identical_json(
    analysis: str,
    demo: Portfolio,
    store_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    book = tmp_path / "demo.xlsx"
    write_workbook(demo, book)
    store = _store(store_url, demo)
    store.dispose()
    from_book = open_engine(str(book), settings=Settings(database_url=store_url))
    from_store = _engine(store_url)
    try:
        got_book = from_book.run(analysis).to_dict()
        got_store = from_store.run(analysis).to_dict()
    finally:
        from_book.close()
        from_store.close()
    assert got_book["rows"], "the demo must give rows, or the comparison is empty"
    assert json.dumps(got_book, sort_keys=True) == json.dumps(got_store, sort_keys=True)


# ----------------------------------------------------------------- snapshot reuse


def test_store_snapshot_is_rebuilt_only_when_the_data_version_changes(
    sqlite_url: str,
) -> None:
    portfolio = _small_portfolio({"A1": ["10.00"], "A2": ["5.00"]})
    store = _store(sqlite_url, portfolio)
    engine = _engine(sqlite_url)
    source = engine.source
    assert isinstance(source, SnapshotSource)

    assert engine.data_version == 1
    engine.tables()
    engine.run("pareto")
    assert (engine.loads, source.written, source.cache.versions()) == (1, 1, [1])

    store.import_portfolio(portfolio)  # the same rows again: nothing changes
    engine.tables()
    assert (engine.loads, source.written, source.cache.versions()) == (1, 1, [1])

    store.import_portfolio(_small_portfolio({"A1": ["10.00"], "A2": ["7.00"]}))
    revenue = engine.tables()["Revenue"].order_by("account_id").to_pyarrow()
    assert revenue.column("amount").to_pylist() == [Decimal("10.00"), Decimal("7.00")]
    assert (engine.loads, source.written, source.cache.versions()) == (2, 2, [1, 2])
    store.dispose()
    engine.close()


def test_a_second_engine_reuses_the_snapshot_another_one_wrote(sqlite_url: str) -> None:
    _store(sqlite_url, _small_portfolio({"A1": ["10.00"]})).dispose()
    first, second = _engine(sqlite_url), _engine(sqlite_url)
    first.tables()
    second.tables()
    assert isinstance(second.source, SnapshotSource)
    assert second.source.written == 0
    assert second.source.cache.versions() == [1]
    first.close()
    second.close()


def test_results_are_cached_per_data_version_and_parameters(sqlite_url: str) -> None:
    store = _store(sqlite_url, _small_portfolio({"A1": ["10.00"], "A2": ["5.00"]}))
    engine = _engine(sqlite_url)
    assert engine.run("pareto") is engine.run("pareto")
    assert engine.run("pareto", {"threshold": "0.5"}) is not engine.run("pareto")
    store.import_portfolio(_small_portfolio({"A1": ["10.00"], "A2": ["30.00"]}))
    assert engine.run("pareto").rows[0]["account_id"] == "A2"
    store.dispose()
    engine.close()


# ----------------------------------------------------------------- access scope


def test_accounts_filter_restricts_every_account_scoped_table(demo: Portfolio) -> None:
    engine = Engine(PortfolioSource(demo))
    everything = engine.tables()
    allowed = sorted(
        engine.tables()["Accounts"].to_pyarrow().column("account_id").to_pylist()
    )[:3]
    scoped = engine.tables(accounts=allowed)
    checked = []
    for name, table in scoped.items():
        if "account_id" not in table.columns:
            continue
        seen = set(table.to_pyarrow().column("account_id").to_pylist())
        before = set(everything[name].to_pyarrow().column("account_id").to_pylist())
        assert seen <= {*allowed, None}, name
        if before - {*allowed, None}:
            checked.append(name)
    # The demo has rows of other accounts in these, so the filter had work to do.
    assert {"Accounts", "Revenue", "MRR", "Stakeholders", "_mrr_by_month"} <= set(
        checked
    )
    stakeholders = set(
        scoped["Stakeholders"].to_pyarrow().column("stakeholder_id").to_pylist()
    )
    touch = scoped["Touchpoints"].to_pyarrow().column("stakeholder_id").to_pylist()
    assert set(touch) <= stakeholders
    infl = scoped["Influences"].to_pyarrow()
    ends = set(infl.column("from_id").to_pylist()) | set(
        infl.column("to_id").to_pylist()
    )
    assert ends <= stakeholders
    units = set(scoped["Units"].to_pyarrow().column("unit_id").to_pylist())
    assert set(scoped["Coverage"].to_pyarrow().column("unit_id").to_pylist()) <= units
    engine.close()


def test_pareto_over_scoped_accounts_covers_only_those_accounts() -> None:
    portfolio = _small_portfolio({"A1": ["60.00"], "A2": ["30.00"], "A3": ["10.00"]})
    engine = Engine(PortfolioSource(portfolio))
    result = engine.run("pareto", accounts=["A2", "A3"])
    assert [r["account_id"] for r in result.rows] == ["A2", "A3"]
    assert result.summary["total"] == "40.00"
    assert result.rows[0]["share"] == pytest.approx(0.75)
    engine.close()


def test_postgres_store_snapshot_goes_to_the_user_cache_folder(
    postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    _store(postgres_url, _small_portfolio({"A1": ["0.10", "0.20"]})).dispose()
    engine = _engine(postgres_url)
    sums = engine.tables()["_revenue_by_period"].to_pyarrow()
    assert sums.column("value").to_pylist() == [Decimal("0.30")]
    assert isinstance(engine.source, SnapshotSource)
    assert engine.source.cache.root.parent == tmp_path / "kam"
    assert engine.source.cache.versions() == [1]
    engine.close()


def test_postgres_store_named_as_source_runs_inside_postgresql(
    postgres_url: str,
) -> None:
    _store(postgres_url, _small_portfolio({"A1": ["3.00"], "A2": ["1.00"]})).dispose()
    engine = open_engine(postgres_url)
    assert engine.backend.name == "postgres"
    result = engine.run("pareto")
    assert [r["value"] for r in result.rows] == [Decimal("3.00"), Decimal("1.00")]
    engine.close()


# ----------------------------------------------------------------- exact money


def test_money_survives_the_sqlite_store_exactly(sqlite_url: str) -> None:
    amounts = ["0.10", "0.20", "12345678901234.99", "0.01", "7.05"]
    _store(sqlite_url, _small_portfolio({"A1": amounts[:2], "A2": amounts[2:]}))
    engine = _engine(sqlite_url)
    revenue = engine.tables()["Revenue"]
    assert revenue.schema()["amount"] == ibis.dtype("decimal(18, 2)")
    got = revenue.order_by(["account_id", "product"]).to_pyarrow()
    assert got.column("amount").to_pylist() == [Decimal(a) for a in amounts]
    sums = engine.tables()["_revenue_by_period"].order_by("account_id").to_pyarrow()
    # 0.10 + 0.20 is 0.30 exactly, and the big sum keeps every cent.
    assert sums.column("value").to_pylist() == [
        Decimal("0.30"),
        Decimal("12345678901242.05"),
    ]
    engine.close()


def test_text_dates_and_flags_survive_the_sqlite_snapshot_exactly(
    sqlite_url: str,
) -> None:
    from datetime import date

    tricky = ["O'Brien, Ltd", 'say "hi"\nnext line', "NULL", "Ünïcödé ✓", "007"]
    accounts = [
        {
            "account_id": f"A{i}",
            "name": name,
            "industry": "" if i == 0 else None,
            "key_account": i % 2 == 0,
            "customer_since": date(2020, 1, 1 + i),
            "status": "active",
        }
        for i, name in enumerate(tricky)
    ]
    portfolio = Portfolio({"Accounts": _table("Accounts", accounts)})
    _store(sqlite_url, portfolio).dispose()
    engine = _engine(sqlite_url)
    got = engine.tables()["Accounts"].order_by("account_id").to_pyarrow()
    assert got.column("name").to_pylist() == tricky
    assert got.column("industry").to_pylist() == ["", None, None, None, None]
    assert got.column("key_account").to_pylist() == [True, False, True, False, True]
    assert got.column("customer_since").to_pylist() == [
        date(2020, 1, d) for d in range(1, 6)
    ]
    engine.close()


def test_cents_become_exact_decimals_including_negatives_and_blanks() -> None:
    got = cents_to_money(pa.array([1999, -5, None, 0, 999_999_999_999_999_999]))
    assert got.type == pa.decimal128(18, 2)
    assert got.to_pylist() == [
        Decimal("19.99"),
        Decimal("-0.05"),
        None,
        Decimal("0.00"),
        Decimal("9999999999999999.99"),
    ]


# ----------------------------------------------------------------- other sources


def test_parquet_folder_is_conformed_to_the_contract(tmp_path: Path) -> None:
    folder = tmp_path / "ledger"
    folder.mkdir()
    pq.write_table(
        pa.table({"ACCOUNT_ID": ["B", "A"], "Name": ["Bee", "Ay"], "note": ["x", "y"]}),
        folder / "accounts.parquet",
    )
    pq.write_table(
        pa.table(
            {
                "account_id": ["A", "A", "B"],
                "period": ["2024", "2024", "2024"],
                "amount": [0.1, 0.2, 0.7],  # money as binary floats
            }
        ),
        folder / "Revenue.parquet",
    )
    engine = open_engine(f"parquet:{folder}")
    tables = engine.tables()
    assert tables["Accounts"].columns == SHEETS["Accounts"].column_names
    sums = tables["_revenue_by_period"].order_by("account_id").to_pyarrow()
    assert sums.column("value").to_pylist() == [Decimal("0.30"), Decimal("0.70")]
    result = engine.run("pareto", {"period_from": "2024", "period_to": "2024"})
    assert [r["name"] for r in result.rows] == ["Bee", "Ay"]
    engine.close()


def test_parquet_table_without_a_required_column_is_named(tmp_path: Path) -> None:
    pq.write_table(pa.table({"account_id": ["A"]}), tmp_path / "Revenue.parquet")
    engine = open_engine(f"parquet:{tmp_path}")
    with pytest.raises(MissingDataError, match=r"Revenue .* period, amount"):
        engine.tables()


def test_duckdb_url_is_a_warehouse_of_sheet_named_tables(tmp_path: Path) -> None:
    path = tmp_path / "warehouse.duckdb"
    con = ibis.duckdb.connect(path)
    con.create_table(
        "ACCOUNTS", pa.table({"account_id": ["A", "B"], "name": ["Ay", "Bee"]})
    )
    con.create_table(
        "revenue",
        pa.table(
            {
                "account_id": ["A", "B"],
                "period": ["2024-01", "2024-01"],
                "amount": pa.array([Decimal("3.00"), Decimal("1.00")]),
            }
        ),
    )
    con.create_table("unrelated", pa.table({"x": [1]}))
    con.disconnect()
    engine = open_engine(f"duckdb://{path}")
    assert sorted(n for n in engine.tables() if not n.startswith("_")) == [
        "Accounts",
        "Revenue",
    ]
    result = engine.run("pareto", {"period_from": "2024-01", "period_to": "2024-01"})
    assert [r["value"] for r in result.rows] == [Decimal("3.00"), Decimal("1.00")]
    engine.close()


def test_settings_sheet_supplies_analysis_defaults() -> None:
    portfolio = _small_portfolio({"A1": ["1.00"]})
    portfolio.tables["Settings"] = _table(
        "Settings",
        [
            {"key": "pareto_threshold", "value": "0.7"},
            {"key": "abc_cutoffs", "value": "0.6, 0.9"},
            {"key": "fiscal_year_start", "value": "7"},
            {"key": "as_of", "value": "2025-01-31"},
            {"key": "renewal_window_days", "value": "30"},
        ],
    )
    defaults = Engine(PortfolioSource(portfolio)).defaults()
    assert defaults["pareto_threshold"] == 0.7
    assert defaults["abc_cutoffs"] == (0.6, 0.9)
    assert defaults["fiscal_year_start"] == 7
    assert str(defaults["as_of"]) == "2025-01-31"
    assert defaults["renewal_window_days"] == 30


def test_renewal_window_setting_reaches_the_at_risk_queue() -> None:
    from kam.analysis.registry import get

    # The registry maps the parameter to the setting; the engine must supply it.
    assert get("at_risk").parameter("renewal_window_days").setting == (
        "renewal_window_days"
    )
    portfolio = _small_portfolio({"A1": ["1.00"]})
    portfolio.tables["Settings"] = _table(
        "Settings", [{"key": "renewal_window_days", "value": "-5"}]
    )
    with pytest.raises(InputError, match="renewal_window_days"):
        Engine(PortfolioSource(portfolio)).defaults()
