"""Benchmark cases of the portfolio analyses: pre-aggregation, Pareto, ABC + migration.

Each case has three implementations side by side: kam (an engine over the
``parquet:FOLDER`` ledger), an idiomatic pandas one and a hand-written DuckDB SQL one.
kam reads the pre-aggregated tables (``_revenue_by_period`` and its yearly rollup
``_revenue_by_year``, built in the setup and not timed, as a server builds them once
per data version; the analysis modules are imported before the clock starts, as in a
server); the baselines start from the raw Revenue table every time. Every
implementation returns a ``check`` digest (Pareto: accounts and k; ABC: class counts
per period and the migration counts), and the harness flags a row whose digests
disagree.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bench.analysis_baselines import (
    ABC_RANGE,
    CUTS,
    PARETO_RANGE,
    THRESHOLD,
    digest,
    phases_timed,
    timed,
)
from bench.generate import default_dir, generate
from bench.harness import Case, Clock, Impl, Params, register

_BASE = "bench.analysis_baselines"


def _prepare(size: int, seed: int, data_dir: Path) -> Params:
    out = default_dir(size, seed, data_dir=data_dir)
    csv = generate(size, seed=seed, formats=("csv", "parquet"), out=out)
    return {"parquet": str(csv.parent / "parquet")}


def linked_ledger(
    params: Mapping[str, str], sources: tuple[str, ...] = ("parquet",)
) -> Path:
    """A folder of links to the sheets of the folders ``params[source]`` (for each of
    ``sources``), where the setup adds derived files."""
    folder = Path(params["work"]) / "ledger"
    if not folder.exists():
        folder.mkdir(parents=True)
        for source in sources:
            for sheet in Path(params[source]).glob("*.parquet"):
                (folder / sheet.name).symlink_to(sheet)
    return folder


def preaggregated(folder: Path) -> None:
    """Write the derived tables next to the sheets of ``folder``, as a snapshot
    keeps them."""
    from kam.engine.core import derive
    from kam.engine.sources import write_derived

    write_derived(folder, derive)


_ledger = linked_ledger


# --------------------------------------------------------------------------- kam


def kam_setup_ledger(params: Mapping[str, str]) -> None:
    """Links to the sheets (the pre-aggregation case times the rest)."""
    _ledger(params)


def kam_setup_preaggregated(params: Mapping[str, str]) -> None:
    """Write the derived tables next to the sheets, as a snapshot keeps them."""
    preaggregated(_ledger(params))


def kam_preaggregate(params: Mapping[str, str], clock: Clock) -> dict[str, Any]:
    """Open an engine over the raw ledger: it sums Revenue into DuckDB (phase
    ``revenue``: what Pareto and ABC read), then MRR when a reader first needs it
    (phase ``mrr``)."""
    from kam.engine.core import open_engine

    ledger = _ledger(params)
    with phases_timed(clock, ("revenue", "mrr")) as (phase, info):
        with phase("revenue"):
            engine = open_engine(f"parquet:{ledger}")
            engine.analysis_tables("pareto")
        with phase("mrr"):
            tables = engine.tables()
    rows = {
        name: int(tables[name].count().to_pyarrow().as_py())
        for name in ("_revenue_by_period", "_mrr_by_month")
    }
    engine.close()
    return {**info, "check": digest(rows)}


def _kam_run(
    params: Mapping[str, str], clock: Clock, analysis: str, info: dict[str, Any]
) -> Any:
    import kam.analysis.registry  # noqa: F401  (a server has imported the analyses)
    from kam.engine.core import open_engine

    engine = open_engine(f"parquet:{_ledger(params)}")
    engine.tables()  # loads the pre-aggregates: once per data version, not timed
    options: dict[str, object]
    if analysis == "pareto":
        options = {
            "period_from": PARETO_RANGE[0],
            "period_to": PARETO_RANGE[1],
            "threshold": THRESHOLD,
        }
    else:
        options = {
            "period_from": ABC_RANGE[0],
            "period_to": ABC_RANGE[1],
            "grain": "year",
            "cutoffs": ",".join(str(c) for c in CUTS),
        }
    with timed(clock, analysis, info):
        result = engine.run(analysis, options)
    engine.close()
    return result


def kam_pareto(params: Mapping[str, str], clock: Clock) -> dict[str, Any]:
    """kam's Pareto over the last fiscal year, from the pre-aggregates."""
    info: dict[str, Any] = {}
    result = _kam_run(params, clock, "pareto", info)
    s = result.summary
    return {**info, "check": digest({"accounts": s["accounts"], "k": s["k"]})}


def kam_abc_migration(params: Mapping[str, str], clock: Clock) -> dict[str, Any]:
    """kam's ABC by year over three years, with the migration tables."""
    info: dict[str, Any] = {}
    result = _kam_run(params, clock, "abc", info)
    counts = {
        f"{r['period']}:{r['class']}": r["accounts"] for r in result.tables["classes"]
    }
    moves = {
        f"{m['period_to']}:{m['from_class']}>{m['to_class']}": m["accounts"]
        for m in result.tables["migration"]
        if m["accounts"]
    }
    return {**info, "check": digest({"classes": counts, "migration": moves})}


# ---------------------------------------------------------------------- registry

register(
    Case(
        name="preaggregate",
        description="derived tables (revenue per account and period, MRR per "
        "account and month) from the raw Parquet ledger; phases: revenue (what "
        "Pareto and ABC read) and mrr",
        unit="accounts",
        prepare=_prepare,
        phases=("revenue", "mrr"),
        kam=Impl(
            "bench.analysis_cases:kam_preaggregate",
            setup="bench.analysis_cases:kam_setup_ledger",
        ),
        baseline=Impl(f"{_BASE}:pandas_preaggregate"),
        extra_baselines=(("duckdb-sql", Impl(f"{_BASE}:duckdb_preaggregate")),),
    )
)
register(
    Case(
        name="pareto",
        description="Pareto over the last fiscal year (kam from the pre-aggregates, "
        "baselines from the raw Revenue table)",
        unit="accounts",
        prepare=_prepare,
        kam=Impl(
            "bench.analysis_cases:kam_pareto",
            setup="bench.analysis_cases:kam_setup_preaggregated",
        ),
        baseline=Impl(f"{_BASE}:pandas_pareto"),
        extra_baselines=(("duckdb-sql", Impl(f"{_BASE}:duckdb_pareto")),),
    )
)
register(
    Case(
        name="abc_migration",
        description="ABC by year over three years with the migration matrices "
        "(kam from the pre-aggregates, baselines from the raw Revenue table)",
        unit="accounts",
        prepare=_prepare,
        kam=Impl(
            "bench.analysis_cases:kam_abc_migration",
            setup="bench.analysis_cases:kam_setup_preaggregated",
        ),
        baseline=Impl(f"{_BASE}:pandas_abc_migration"),
        extra_baselines=(("duckdb-sql", Impl(f"{_BASE}:duckdb_abc_migration")),),
    )
)
