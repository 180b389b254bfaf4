"""Benchmark cases for the KA dashboard and retention analyses.

As in :mod:`bench.analysis_cases`, kam reads the pre-aggregated tables the engine
builds once per data version (``_mrr_by_month``, written in the setup, and the
monthly MRR movement events and sums of :func:`kam.engine.core.derive_events`, built
once per data version and kept beside the sheets as a snapshot keeps them: the setup
of the bridge, cohorts and retention cases writes them once per data and code
version, the dashboard case builds them before the clock); that build is its own
case, ``dashboard_preaggregate``. The baselines
(idiomatic pandas, hand-written DuckDB SQL) start from the raw MRR table every time.
Every implementation returns a ``check`` digest (the bridge: every month's movements
in cents and the counts of new and churned accounts; cohorts: accounts per cohort
and age) and the harness flags a row whose digests disagree.

The ``dashboard`` case runs every dashboard analysis of the registry (those
registered; an analysis whose sheets the portfolio lacks is skipped and named in the
result) through the engine, as the dashboard page does, after the pre-aggregation.
Its portfolio adds the account-health sheets of :mod:`bench.generate_health`
(Surveys, Onboarding, Signals, HealthModel, Risks, Settings with ``as_of``, and
owners and renewal dates on the accounts), so that onboarding, satisfaction, health
and the at-risk queue run on realistic data too. Its time is the cold run (the first
after a data version, every result computed); the note adds the warm one (the same
page again, answered from the engine's result cache).
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bench.analysis_baselines import digest, timed
from bench.analysis_cases import _ledger, _prepare, kam_setup_preaggregated
from bench.harness import Case, Clock, Impl, Params, register

_HERE = "bench.dashboard_cases"
_MOVES = ("new", "expansion", "reactivation", "contraction", "churn")
#: The dashboard analyses, in the order the page shows them.
DASHBOARD = (
    "mrr",
    "mrr_bridge",
    "retention",
    "cohorts",
    "slipping",
    "upsell",
    "onboarding",
    "satisfaction",
    "health",
    "at_risk",
)


def _label(mi: int) -> str:
    return f"{mi // 12:04d}-{mi % 12 + 1:02d}"


def _bridge_digest(rows: Mapping[str, Mapping[str, Any]]) -> str:
    """``{month: "new,expansion,…,end|accounts_new,accounts_churn"}`` in cents."""
    return digest(
        {
            m: ",".join(f"{float(r[k]):.2f}" for k in (*_MOVES, "end"))
            + f"|{int(r['accounts_new'])},{int(r['accounts_churn'])}"
            for m, r in rows.items()
        }
    )


def _prepare_dashboard(size: int, seed: int, data_dir: Path) -> Params:
    """The portfolio of :func:`_prepare` and its account-health sheets."""
    from bench.generate_health import generate_health

    params = dict(_prepare(size, seed, data_dir))
    sheets = Path(params["parquet"])
    health = generate_health(
        sheets / "Accounts.parquet", sheets.parent / "health", seed=seed
    )
    return {**params, "health": str(health)}


def kam_setup_dashboard(params: Mapping[str, str]) -> None:
    """The ledger with the health sheets (their Accounts replacing the generated
    one), then the derived tables beside it."""
    from bench.generate_health import SHEETS

    ledger = _ledger(params)
    for name in SHEETS:
        link = ledger / f"{name}.parquet"
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to(Path(params["health"]) / f"{name}.parquet")
    kam_setup_preaggregated(params)


def _events_stamp(params: Mapping[str, str]) -> str:
    """What the cached event tables depend on: the generated data (its manifest)
    and the code that may build them, every module of the analysis and engine
    packages (a list of the builders would go stale as analyses add tables)."""
    import hashlib

    import kam.analysis
    import kam.engine

    h = hashlib.sha256()
    h.update((Path(params["parquet"]).parent / "manifest.json").read_bytes())
    for package in (kam.analysis, kam.engine):
        folder = Path(str(package.__file__)).parent
        for path in sorted(folder.glob("*.py")):
            h.update(path.name.encode())
            h.update(path.read_bytes())
    return h.hexdigest()


def kam_setup_events(params: Mapping[str, str]) -> None:
    """The derived tables beside the sheets, and the MRR event tables too (as a
    snapshot keeps them, ``_<name>.parquet``), so that a run reads what the
    pre-aggregation built instead of building it in its own process. The event
    tables are built once per data and code version (``events/`` next to the
    generated data; building them is the ``dashboard_preaggregate`` case)."""
    from kam.engine.core import EVENTS, open_engine

    kam_setup_preaggregated(params)
    ledger = _ledger(params)
    cache = Path(params["parquet"]).parent / "events"
    stamp = _events_stamp(params)
    marker = cache / "stamp.txt"
    if not (marker.exists() and marker.read_text() == stamp):
        tmp = cache.with_name("events.tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        engine = open_engine(f"parquet:{ledger}")
        try:
            # Bounded, as on a machine others share (DuckDB spills beyond it).
            engine.backend.raw_sql("SET memory_limit = '6GB'")
            tables = engine.analysis_tables("mrr_bridge")
            for name in EVENTS:
                if name in tables:
                    engine.backend.to_parquet(tables[name], tmp / f"{name}.parquet")
        finally:
            engine.close()
        (tmp / "stamp.txt").write_text(stamp)
        shutil.rmtree(cache, ignore_errors=True)
        tmp.rename(cache)
    for path in cache.glob("_*.parquet"):
        link = ledger / path.name
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to(path)


# --------------------------------------------------------------------------- kam


def _preaggregated_tables(
    params: Mapping[str, str], analysis: str
) -> tuple[Any, dict[str, Any]]:
    """An engine over the ledger and the tables it hands ``analysis`` (canonical and
    derived)."""
    from kam.engine.core import open_engine

    engine = open_engine(f"parquet:{_ledger(params)}")
    tables = engine.analysis_tables(analysis)  # loads the pre-aggregates: not timed
    return engine, tables


def kam_preaggregate(params: Mapping[str, str], clock: Clock) -> dict[str, Any]:
    """Open an engine over the ledger (``_mrr_by_month`` written beside it): it
    loads the sheets and builds the MRR movement events and sums."""
    from kam.engine.core import EVENTS, open_engine

    info: dict[str, Any] = {}
    with timed(clock, "preaggregate", info):
        engine = open_engine(f"parquet:{_ledger(params)}")
        tables = engine.analysis_tables("mrr_bridge")  # builds the events too
    rows = {
        name: int(tables[name].count().to_pyarrow().as_py())
        for name in EVENTS
        if name in tables
    }
    engine.close()
    return {**info, "check": digest(rows)}


def kam_mrr_bridge(params: Mapping[str, str], clock: Clock) -> dict[str, Any]:
    """kam's monthly bridge over every month, from the per-account totals."""
    from kam.analysis.registry import run

    info: dict[str, Any] = {}
    engine, tables = _preaggregated_tables(params, "mrr_bridge")
    with timed(clock, "mrr_bridge", info):
        result = run("mrr_bridge", tables)
    engine.close()
    rows = {str(r["month"]): r for r in result.rows}
    return {**info, "check": _bridge_digest(rows)}


def kam_cohorts(params: Mapping[str, str], clock: Clock) -> dict[str, Any]:
    """kam's monthly MRR cohorts, from the per-account totals."""
    from kam.analysis.registry import run

    info: dict[str, Any] = {}
    engine, tables = _preaggregated_tables(params, "cohorts")
    with timed(clock, "cohorts", info):
        result = run("cohorts", tables)
    engine.close()
    cells = {
        f"{r['cohort']}:{r['age']}": r["accounts"] for r in result.rows if r["accounts"]
    }
    return {**info, "check": digest(cells)}


def kam_retention(params: Mapping[str, str], clock: Clock) -> dict[str, Any]:
    """kam's monthly retention with TTM and the class view (no baseline)."""
    from kam.analysis.registry import run

    info: dict[str, Any] = {}
    engine, tables = _preaggregated_tables(params, "retention")
    with timed(clock, "retention", info):
        result = run("retention", tables)
    engine.close()
    s = result.summary
    return {**info, "check": digest({k: s[k] for k in ("grr", "nrr", "ttm_nrr")})}


def kam_dashboard(params: Mapping[str, str], clock: Clock) -> dict[str, Any]:
    """Every registered dashboard analysis through the engine, as the page runs
    them (canonical or derived tables as the engine hands them out)."""
    from kam.analysis.registry import REGISTRY
    from kam.engine.core import open_engine
    from kam.errors import MissingDataError

    info: dict[str, Any] = {}
    engine = open_engine(f"parquet:{_ledger(params)}")
    # The sheets and every pre-aggregate (the MRR movement events and sums, built
    # once per data version: the dashboard_preaggregate case) are loaded first.
    engine.analysis_tables("mrr_bridge")
    names = [n for n in DASHBOARD if n in REGISTRY]
    ran: list[str] = []
    skipped: list[str] = []
    each: list[str] = []
    with timed(clock, "dashboard", info):
        for name in names:
            started, cpu = time.perf_counter(), time.process_time()
            try:
                engine.run(name)
            except MissingDataError:
                skipped.append(name)
            else:
                ran.append(name)
                each.append(
                    f"{name} {time.perf_counter() - started:.2f}"
                    f"/{time.process_time() - cpu:.2f}"
                )
    started, cpu = time.perf_counter(), time.process_time()
    for name in ran:
        engine.run(name)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    warm = f"warm {wall:.3f} s (cpu {cpu:.3f})"
    engine.close()
    info["note"] = f"{info['note']}; {warm}; cold wall/cpu s: {', '.join(each)}" + (
        f"; skipped (sheets missing) {', '.join(skipped)}" if skipped else ""
    )
    return {**info, "check": digest(ran)}


# ------------------------------------------------------------------------ pandas


def _pandas_totals(params: Mapping[str, str]) -> Any:
    import pandas as pd  # type: ignore[import-untyped]

    mrr = pd.read_parquet(
        Path(params["parquet"]) / "MRR.parquet", dtype_backend="pyarrow"
    )
    mrr["mrr"] = mrr["mrr"].astype("float64")
    am = mrr.groupby(["account_id", "month"], as_index=False)["mrr"].sum()
    am = am[am["mrr"] > 0.0]
    month = am["month"].astype(str)
    am = am.assign(
        mi=month.str[:4].astype(int) * 12 + month.str[5:7].astype(int) - 1
    ).sort_values(["account_id", "mi"])
    return am


def pandas_mrr_bridge(params: Mapping[str, str], clock: Clock) -> dict[str, Any]:
    """groupby/shift over the account × month totals, then a pivot per month."""
    import numpy as np
    import pandas as pd

    info: dict[str, Any] = {}
    with timed(clock, "mrr_bridge", info):
        am = _pandas_totals(params)
        g = am.groupby("account_id", sort=False)
        pi, pv, ni = g["mi"].shift(1), g["mrr"].shift(1), g["mi"].shift(-1)
        last = am["mi"].max()
        v = am["mrr"]
        kind = np.select(
            [pi.isna(), pi < am["mi"] - 1, v > pv, v < pv],
            ["new", "reactivation", "expansion", "contraction"],
            "flat",
        )
        amount = np.where(pi.isna() | (pi < am["mi"] - 1), v, (v - pv).abs())
        arrivals = pd.DataFrame(
            {"mi": am["mi"], "kind": kind, "amount": amount, "end": v}
        )
        leaving = (ni.isna() & (am["mi"] < last)) | (ni > am["mi"] + 1)
        churn = pd.DataFrame(
            {
                "mi": am["mi"][leaving] + 1,
                "kind": "churn",
                "amount": v[leaving],
                "end": 0.0,
            }
        )
        events = pd.concat([arrivals, churn])
        sums = events.groupby(["mi", "kind"]).agg(
            amount=("amount", "sum"), end=("end", "sum"), n=("amount", "size")
        )
        rows: dict[str, dict[str, Any]] = {}
        for (mi, k), r in sums.iterrows():
            row = rows.setdefault(
                _label(int(mi)),
                {
                    **dict.fromkeys((*_MOVES, "end"), 0.0),
                    "accounts_new": 0,
                    "accounts_churn": 0,
                },
            )
            row["end"] += r["end"]
            if k in _MOVES:
                row[k] = r["amount"]
            if k in ("new", "churn"):
                row[f"accounts_{k}"] = int(r["n"])
    return {**info, "check": _bridge_digest(dict(sorted(rows.items())))}


def pandas_cohorts(params: Mapping[str, str], clock: Clock) -> dict[str, Any]:
    """First month per account with transform('min'), then a groupby."""
    info: dict[str, Any] = {}
    with timed(clock, "cohorts", info):
        am = _pandas_totals(params)
        am["cohort"] = am.groupby("account_id")["mi"].transform("min")
        am["age"] = am["mi"] - am["cohort"]
        cells = am.groupby(["cohort", "age"]).size()
    out = {f"{_label(int(c))}:{int(a)}": int(n) for (c, a), n in cells.items()}
    return {**info, "check": digest(out)}


# -------------------------------------------------------------------- DuckDB SQL

_TOTALS = """
WITH am AS (
  SELECT account_id, month, SUM(mrr) AS v FROM read_parquet('{path}')
  GROUP BY account_id, month HAVING SUM(mrr) > 0
), t AS (
  SELECT account_id, v,
         CAST(substr(month, 1, 4) AS INTEGER) * 12
           + CAST(substr(month, 6, 2) AS INTEGER) - 1 AS mi
  FROM am
)
"""

_BRIDGE_SQL = (
    _TOTALS
    + """, w AS (
  SELECT *, lag(mi) OVER a AS pi, lag(v) OVER a AS pv, lead(mi) OVER a AS ni
  FROM t WINDOW a AS (PARTITION BY account_id ORDER BY mi)
), ev AS (
  SELECT mi,
         CASE WHEN pi IS NULL THEN 'new' WHEN pi < mi - 1 THEN 'reactivation'
              WHEN v > pv THEN 'expansion' WHEN v < pv THEN 'contraction'
              ELSE 'flat' END AS kind,
         CASE WHEN pi IS NULL OR pi < mi - 1 THEN v ELSE abs(v - pv) END AS amount,
         v AS end_v
  FROM w
  UNION ALL
  SELECT mi + 1, 'churn', v, 0 FROM w
  WHERE (ni IS NULL AND mi < (SELECT max(mi) FROM t)) OR ni > mi + 1
)
SELECT mi, kind, sum(amount) AS amount, sum(end_v) AS end_v, count(*) AS n
FROM ev GROUP BY mi, kind ORDER BY mi, kind
"""
)

_COHORT_SQL = (
    _TOTALS
    + """, c AS (SELECT mi, min(mi) OVER (PARTITION BY account_id) AS cohort FROM t)
SELECT cohort, mi - cohort AS age, count(*) AS n FROM c GROUP BY cohort, age
"""
)


def duckdb_mrr_bridge(params: Mapping[str, str], clock: Clock) -> dict[str, Any]:
    """The bridge in one SQL statement over the raw MRR Parquet file."""
    import duckdb

    info: dict[str, Any] = {}
    path = Path(params["parquet"]) / "MRR.parquet"
    with timed(clock, "mrr_bridge", info):
        con = duckdb.connect()
        data = con.execute(_BRIDGE_SQL.format(path=path)).fetchall()
        con.close()
    rows: dict[str, dict[str, Any]] = {}
    for mi, kind, amount, end_v, n in data:
        row = rows.setdefault(
            _label(int(mi)),
            {
                **dict.fromkeys((*_MOVES, "end"), 0),
                "accounts_new": 0,
                "accounts_churn": 0,
            },
        )
        row["end"] += end_v
        if kind in _MOVES:
            row[kind] = amount
        if kind in ("new", "churn"):
            row[f"accounts_{kind}"] = n
    return {**info, "check": _bridge_digest(dict(sorted(rows.items())))}


def duckdb_cohorts(params: Mapping[str, str], clock: Clock) -> dict[str, Any]:
    """Cohort cells in one SQL statement over the raw MRR Parquet file."""
    import duckdb

    info: dict[str, Any] = {}
    path = Path(params["parquet"]) / "MRR.parquet"
    with timed(clock, "cohorts", info):
        con = duckdb.connect()
        data = con.execute(_COHORT_SQL.format(path=path)).fetchall()
        con.close()
    out = {f"{_label(int(c))}:{int(a)}": int(n) for c, a, n in data}
    return {**info, "check": digest(out)}


# ---------------------------------------------------------------------- registry

_SETUP = "bench.analysis_cases:kam_setup_preaggregated"
_EVENTS_SETUP = f"{_HERE}:kam_setup_events"
_ = kam_setup_preaggregated  # the setup every kam case here uses

register(
    Case(
        name="mrr_bridge",
        description="monthly MRR bridge over 36 months (kam from the per-account "
        "totals, baselines from the raw MRR table)",
        unit="accounts",
        prepare=_prepare,
        kam=Impl(f"{_HERE}:kam_mrr_bridge", setup=_EVENTS_SETUP),
        baseline=Impl(f"{_HERE}:pandas_mrr_bridge"),
        extra_baselines=(("duckdb-sql", Impl(f"{_HERE}:duckdb_mrr_bridge")),),
    )
)
register(
    Case(
        name="cohorts",
        description="monthly MRR cohorts (kam from the per-account totals, "
        "baselines from the raw MRR table)",
        unit="accounts",
        prepare=_prepare,
        kam=Impl(f"{_HERE}:kam_cohorts", setup=_EVENTS_SETUP),
        baseline=Impl(f"{_HERE}:pandas_cohorts"),
        extra_baselines=(("duckdb-sql", Impl(f"{_HERE}:duckdb_cohorts")),),
    )
)
register(
    Case(
        name="retention",
        description="monthly CRR/GRR/NRR with TTM and the class view, from the "
        "per-account totals",
        unit="accounts",
        prepare=_prepare,
        kam=Impl(f"{_HERE}:kam_retention", setup=_EVENTS_SETUP),
        baseline=None,
    )
)
register(
    Case(
        name="dashboard_preaggregate",
        description="load the sheets and build the MRR movement events and sums "
        "(once per data version; the other cases here read them)",
        unit="accounts",
        prepare=_prepare,
        kam=Impl(f"{_HERE}:kam_preaggregate", setup=_SETUP),
        baseline=None,
    )
)
register(
    Case(
        name="dashboard",
        description="every registered dashboard analysis through the engine, as "
        "the dashboard page runs them",
        unit="accounts",
        prepare=_prepare_dashboard,
        kam=Impl(f"{_HERE}:kam_dashboard", setup=f"{_HERE}:kam_setup_dashboard"),
        baseline=None,
    )
)
