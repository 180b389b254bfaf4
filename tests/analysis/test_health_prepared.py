"""Health from the tables the engine builds once per data version
(:func:`kam.analysis.health.health_tables`): the register cut into spans of days,
checked day by day against the open risks counted in plain Python, on DuckDB and
(when ``KAM_TEST_POSTGRES_URL`` is set) PostgreSQL and (when pyspark is
importable) PySpark; and the breakdown fetched only when read."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import ibis
import pytest

from kam.analysis.health import health_tables
from kam.analysis.registry import run
from kam.analysis.result import Rows
from kam.engine.core import derive
from tests.analysis.golden import arrow_table, make_table
from tests.conftest import postgres_backend_in_schema
from tests.engine.test_golden_backends import spark_backend  # noqa: F401

pytestmark = [
    # As in tests/engine/test_golden_backends.py: pyspark converts results through
    # pandas, which pandas 3 warns about; py4j leaves its sockets to the collector.
    pytest.mark.filterwarnings("ignore::pandas.errors.Pandas4Warning"),
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]

_D = date
#: HealthModel: A and B, each 0 (poor) to 100 (good), weight 1: a score is the value.
_MODEL = [("A", 1.0, 100.0, 0.0), ("B", 1.0, 100.0, 0.0)]
#: Every value measured on 31 Jan 2024. K1: (80 + 60) / 2 = 70 (healthy at 70).
_SIGNALS = [
    ("K1", _D(2024, 1, 31), "A", 80.0),
    ("K1", _D(2024, 1, 31), "B", 60.0),
    ("K2", _D(2024, 1, 31), "A", 50.0),
    ("K3", _D(2024, 1, 31), "A", 10.0),
    ("K4", _D(2024, 1, 31), "A", 80.0),
    ("K5", _D(2024, 1, 31), "A", 80.0),
    ("K6", _D(2024, 1, 31), "A", 50.0),
]
_HEALTH = {"K1": 70.0, "K2": 50.0, "K3": 10.0, "K4": 80.0, "K5": 80.0, "K6": 50.0}
_SIGNALS_OF = {"K1": 2}
#: Overlapping risks (K1), two on one day (K4), one resolved the day it was flagged
#: (K5: never open), accounts without signals (R1, R2 missing from Accounts, R3 of
#: a level outside the register's three).
_RISKS = [
    ("K1", _D(2024, 3, 1), "watch", "usage", "M", _D(2024, 5, 1)),
    ("K1", _D(2024, 4, 1), "critical", "sponsor", "M", _D(2024, 4, 15)),
    ("K4", _D(2024, 2, 1), "at_risk", "tickets", "M", None),
    ("K4", _D(2024, 2, 1), "watch", "usage", "M", None),
    ("K5", _D(2024, 6, 1), "watch", "usage", "M", _D(2024, 6, 1)),
    ("R1", _D(2024, 3, 15), "watch", "budget", "M", _D(2024, 4, 15)),
    ("R2", _D(2024, 4, 1), "critical", "budget", "M", None),
    ("R3", _D(2024, 3, 1), "unheard", "budget", "M", None),
]
_ACCOUNTS = [
    (a, f"Name {a}", "active") for a in ("K1", "K2", "K3", "K4", "K5", "K6", "R1", "R3")
]
_DAYS = [
    _D(2024, 1, 31),
    _D(2024, 2, 1),
    _D(2024, 2, 29),
    _D(2024, 3, 1),
    _D(2024, 3, 14),
    _D(2024, 3, 15),
    _D(2024, 4, 1),
    _D(2024, 4, 14),
    _D(2024, 4, 15),
    _D(2024, 5, 1),
    _D(2024, 6, 1),
    _D(2024, 12, 31),
]
_LEVELS = {"watch": 1, "at_risk": 2, "critical": 3}
_BANDS = {1: "healthy", 2: "watch", 3: "at_risk"}


def _expected(day: date) -> list[dict[str, Any]]:
    """The rows on ``day``, from the lists above in plain Python."""
    opened: dict[str, int] = {}
    for account, flagged, level, _, _, resolved in _RISKS:
        if flagged <= day and (resolved is None or resolved > day):
            opened[account] = max(opened.get(account, 0), _LEVELS.get(level, 0))
    rows: list[dict[str, Any]] = []
    for account in sorted(set(_HEALTH) | set(opened)):
        health = _HEALTH.get(account)
        score = 0 if health is None else 1 if health >= 70 else 2 if health >= 40 else 3
        rank = opened.get(account)
        imposed = {None: 0, 0: 0, 1: 2, 2: 3, 3: 3}[rank]
        band = max(score, imposed)
        signals = _SIGNALS_OF.get(account, 0 if health is None else 1)
        rows.append(
            {
                "account_id": account,
                "name": None if account == "R2" else f"Name {account}",
                "health": health,
                "score_band": _BANDS.get(score),
                "risk_level": {v: k for k, v in _LEVELS.items()}.get(rank or 0),
                "band": _BANDS.get(band),
                "endangered": band == 3,
                "signals": signals,
                "missing_signals": 2 - signals,
            }
        )
    # Worst band first, then health ascending (blank last), then account_id.
    worst = {None: 0, "healthy": 1, "watch": 2, "at_risk": 3}

    def order(r: dict[str, Any]) -> tuple[int, bool, float, str]:
        return (
            -worst[r["band"]],
            r["health"] is None,
            r["health"] or 0.0,
            r["account_id"],
        )

    return sorted(rows, key=order)


@pytest.fixture(
    params=[
        "duckdb",
        "postgres",
        pytest.param("spark", marks=[pytest.mark.spark, pytest.mark.slow]),
    ]
)
def con(request: pytest.FixtureRequest) -> Iterator[Any]:
    """An Ibis connection: in-memory DuckDB, a fresh PostgreSQL schema, or local
    PySpark (temporary views)."""
    if request.param == "spark":
        yield request.getfixturevalue("spark_backend")
        return
    if request.param == "duckdb":
        duck = ibis.duckdb.connect()
        yield duck
        duck.disconnect()
        return
    with postgres_backend_in_schema("kam_health") as pg:
        yield pg


def _tables(con: Any) -> dict[str, Any]:
    """What the engine hands health: the sheets, ``_latest_signals`` and the tables
    of :func:`health_tables` built from them."""
    sheets = {
        "Signals": make_table(con, "signals", _SIGNALS),
        "HealthModel": make_table(con, "health_model", _MODEL),
        "Accounts": make_table(con, "accounts", _ACCOUNTS),
        "Risks": make_table(con, "risks", _RISKS),
    }
    # On Spark cached, as the engine keeps them there: a query over the plans that
    # build them takes many seconds.
    spark = hasattr(con, "session")
    latest = derive(sheets)["_latest_signals"]
    latest = latest.cache() if spark else latest
    built = health_tables(sheets, {"_latest_signals": latest})
    assert set(built) == {"_health_signals", "_health_accounts"}
    return {
        "signals": sheets["Signals"],
        "health_model": sheets["HealthModel"],
        "accounts": sheets["Accounts"],
        "risks": sheets["Risks"],
        "_latest_signals": latest,
        **{name: t.cache() if spark else t for name, t in built.items()},
    }


def _count_queries(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """The expressions fetched from now on (one per query)."""
    queries: list[object] = []
    fetch = ibis.expr.types.core.Expr.to_pyarrow

    def counted(self: Any, *args: Any, **kwargs: Any) -> Any:
        queries.append(self)
        return fetch(self, *args, **kwargs)

    monkeypatch.setattr(ibis.expr.types.core.Expr, "to_pyarrow", counted)
    return queries


def test_prepared_health_follows_the_register_day_by_day(
    con: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    tables = _tables(con)
    queries = _count_queries(monkeypatch)
    # Spark takes seconds a query: there, the days a risk opens or closes.
    cuts = [d for d in _DAYS if any(d in (r[1], r[5]) for r in _RISKS)]
    days = cuts if hasattr(con, "session") else _DAYS
    for day in days:
        queries.clear()
        result = run("health", tables, {"as_of": day})
        assert len(queries) == 1, day  # the prepared tables answered
        want = _expected(day)
        got = [{k: r[k] for k in want[0]} for r in result.rows]
        assert got == want, day
        bands = [r["band"] for r in want]
        summary = result.summary
        assert summary["accounts"] == len(want), day
        for band in ("healthy", "watch", "at_risk"):
            assert summary[band] == bands.count(band), (day, band)
        assert summary["by_health"] == sum(r["score_band"] == "at_risk" for r in want)
        by_register = sum(r["risk_level"] in ("at_risk", "critical") for r in want)
        assert summary["by_register"] == by_register, day
        healths = [float(str(r["health"])) for r in want if r["health"] is not None]
        assert summary["mean_health"] == pytest.approx(sum(healths) / len(healths))


def test_prepared_health_answers_the_band_parameters() -> None:
    tables = _tables(ibis.duckdb.connect())
    # healthy from 75, watch from 60: K1 (70) turns watch, K2 and K6 (50) at risk.
    result = run(
        "health",
        tables,
        {"as_of": _D(2024, 1, 31), "healthy_from": 75.0, "watch_from": 60.0},
    )
    got = [(r["account_id"], r["band"]) for r in result.rows]
    assert got == [
        ("K3", "at_risk"),
        ("K2", "at_risk"),
        ("K6", "at_risk"),
        ("K1", "watch"),
        ("K4", "healthy"),
        ("K5", "healthy"),
    ]


def test_health_before_the_last_signal_date_scores_the_signals_rows() -> None:
    # 15 Jan is before every signal (31 Jan): no scores, and no risk open yet.
    result = run("health", _tables(ibis.duckdb.connect()), {"as_of": _D(2024, 1, 15)})
    assert list(result.rows) == []
    assert result.warnings == [
        "no signal of the model measured on or before 2024-01-15"
    ]


def test_prepared_health_runs_one_query_and_fetches_the_breakdown_when_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tables = _tables(ibis.duckdb.connect())
    queries = _count_queries(monkeypatch)
    result = run("health", tables, {"as_of": _D(2024, 2, 1)})
    assert len(queries) == 1
    breakdown = result.tables["signals"]
    assert len(queries) == 1
    # K1: A 80 and B 60, weight 1 each: contributions 40 and 30.
    parts = [(r["account_id"], r["signal"], r["contribution"]) for r in breakdown]
    assert len(queries) == 2
    assert parts[:3] == [("K1", "A", 40.0), ("K1", "B", 30.0), ("K2", "A", 50.0)]
    assert len(parts) == len(_SIGNALS)
    assert isinstance(breakdown, Rows)
    assert breakdown.arrow.num_rows == len(_SIGNALS)
    assert len(queries) == 2


def test_health_tables_need_latest_signals_and_the_model() -> None:
    signals = ibis.memtable(arrow_table("signals", _SIGNALS))
    latest = derive({"Signals": signals})["_latest_signals"]
    assert health_tables({"Signals": signals}, {"_latest_signals": latest}) == {}
    model = ibis.memtable(arrow_table("health_model", _MODEL))
    assert health_tables({"HealthModel": model}, {}) == {}
    # Without a register every account with signals has one row, always shown.
    built = health_tables({"HealthModel": model}, {"_latest_signals": latest})
    rows = built["_health_accounts"].to_pyarrow().to_pylist()
    assert sorted(r["account_id"] for r in rows) == sorted(_HEALTH)
    assert all(r["shown"] and r["risk_level"] is None for r in rows)
