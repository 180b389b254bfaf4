"""The selection cases: the scoring matrix and the profit matrix.

===============  =========================================================  ========
case             what is measured                                           size
===============  =========================================================  ========
selection_       the engine's derived tables over the raw ledger (Revenue,   accounts
preaggregate     MRR, Scores and Profit sums), the setup of the cases below
scoring          ``kam analyse scoring`` without rank stability: 10          accounts
                 criteria, two raters each, plus the ABC class over the
                 last complete year of Revenue
scoring_stab     the same with rank stability (each weight ±20 %, one at a   accounts
                 time: 20 rankings)
profit           the profit matrix: NPI, CTS %, quadrants, whale curve and   accounts
                 the customer × product grid (two products per account)
===============  =========================================================  ========

The Criteria, Scores and Profit tables are generated (numpy, seeded) next to the
generated portfolio, as Parquet. kam runs as a user runs it: an engine over a
``parquet:FOLDER`` ledger of the portfolio's sheets and these three
(:func:`kam.engine.core.open_engine`), whose per-data-version pre-aggregation (the
derived tables, :data:`kam.engine.core.DERIVED`) is written beside the sheets in an
untimed setup, as a server builds it once per data version; the analysis modules are
imported before the clock starts. The ``selection_preaggregate`` case times that
pre-aggregation apart (an engine opened over the raw ledger). The pandas baselines
start from the raw tables every time and compute the same figures the way a pandas
user would (``groupby``, ``merge``, ``rank(method="min")``, ``cumsum``). Every kam
run also reports its CPU seconds (``note``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from bench.analysis_baselines import timed
from bench.analysis_cases import linked_ledger, preaggregated
from bench.generate import _money, default_dir, generate
from bench.harness import Case, Clock, Impl, Params, register

__all__ = [
    "kam_preaggregate",
    "kam_profit",
    "kam_scoring",
    "kam_scoring_stability",
    "pandas_preaggregate",
    "pandas_profit",
    "pandas_scoring",
    "pandas_scoring_stability",
    "write_selection_tables",
]

CRITERIA = 10
RATERS = ("ann", "bob")
_SECTIONS = ["growth"] * 4 + ["harmony"] * 3 + ["value_creation"] * 3
_WEIGHTS = [0.15, 0.35, 0.20, 0.30, 0.5, 0.25, 0.25, 0.4, 0.4, 0.2]
_VERSION = 1


def write_selection_tables(portfolio: Path, n: int, seed: int) -> Path:
    """Criteria, Scores and Profit Parquet files for the portfolio's accounts."""
    out = portfolio / f"selection-v{_VERSION}"
    if (out / "Profit.parquet").exists():
        return out
    out.mkdir(parents=True, exist_ok=True)
    accounts = pq.read_table(portfolio / "parquet" / "Accounts.parquet")
    ids = accounts.column("account_id").combine_chunks()
    ids = ids.slice(0, n)
    rng = np.random.default_rng(seed + 1000)
    cids = [f"C{i:02d}" for i in range(CRITERIA)]
    pq.write_table(
        pa.table(
            {
                "criterion_id": cids,
                "section": _SECTIONS,
                "name": [f"criterion {c}" for c in cids],
                "weight": pa.array(_WEIGHTS, pa.float64()),
            }
        ),
        out / "Criteria.parquet",
    )
    per_rater = n * CRITERIA
    base = rng.integers(1, 11, size=per_rater)
    other = np.clip(base + rng.integers(-2, 3, size=per_rater), 1, 10)
    account_idx = np.repeat(np.arange(n), CRITERIA)
    criterion_idx = np.tile(np.arange(CRITERIA), n)
    pq.write_table(
        pa.table(
            {
                "account_id": ids.take(pa.array(np.tile(account_idx, 2))),
                "criterion_id": pa.array(np.array(cids)[np.tile(criterion_idx, 2)]),
                "score": pa.array(np.concatenate([base, other]).astype(np.float64)),
                "rater": pa.array(np.repeat(np.array(RATERS), per_rater)),
            }
        ),
        out / "Scores.parquet",
    )
    rows = n * 2
    net = np.round(rng.lognormal(9, 1.2, size=rows) * 100).astype(np.int64)
    list_rev = (net * rng.uniform(1.0, 1.4, size=rows)).astype(np.int64)
    cogs = (net * rng.uniform(0.3, 0.7, size=rows)).astype(np.int64)
    cts = (net * rng.uniform(0.02, 0.5, size=rows)).astype(np.int64)

    pq.write_table(
        pa.table(
            {
                "account_id": ids.take(pa.array(np.repeat(np.arange(n), 2))),
                "period": pa.array(["2025"] * rows),
                "product": pa.array(np.tile(np.array(["P1", "P2"]), n)),
                "list_revenue": _money(list_rev),
                "net_revenue": _money(net),
                "cogs": _money(cogs),
                "cost_to_serve": _money(cts),
            }
        ),
        out / "Profit.parquet",
    )
    return out


def _prepare(size: int, seed: int, data_dir: Path) -> Params:
    folder = default_dir(size, seed, data_dir=data_dir)
    generate(size, seed=seed, out=folder, formats=("parquet",))
    selection = write_selection_tables(folder, size, seed)
    return {"portfolio": str(folder / "parquet"), "selection": str(selection)}


def _ledger(params: Mapping[str, str]) -> Path:
    """A folder of links to the portfolio's and the selection's sheets, where the
    setup writes the derived tables."""
    return linked_ledger(params, ("portfolio", "selection"))


def kam_setup_ledger(params: Mapping[str, str]) -> None:
    """Links to the sheets (the pre-aggregation case times the rest)."""
    _ledger(params)


def kam_setup_preaggregated(params: Mapping[str, str]) -> None:
    """Write the derived tables next to the sheets, as a snapshot keeps them."""
    preaggregated(_ledger(params))


def kam_preaggregate(params: Mapping[str, str], clock: Clock) -> dict[str, Any]:
    """Open an engine over the raw ledger: it builds every derived table."""
    from kam.engine.core import open_engine

    info: dict[str, Any] = {}
    ledger = _ledger(params)
    with timed(clock, "preaggregate", info):
        engine = open_engine(f"parquet:{ledger}")
        tables = engine.tables()
    derived = sorted(n for n in tables if n.startswith("_"))
    engine.close()
    return {**info, "derived": ",".join(derived)}


def _kam_run(
    params: Mapping[str, str],
    clock: Clock,
    analysis: str,
    options: Mapping[str, object],
    info: dict[str, Any],
) -> Any:
    import kam.analysis.registry  # noqa: F401  (a server has imported the analyses)
    from kam.engine.core import open_engine

    engine = open_engine(f"parquet:{_ledger(params)}")
    engine.tables()  # loads the pre-aggregates: once per data version, not timed
    with timed(clock, "analyse", info):
        result = engine.run(analysis, dict(options))
    engine.close()
    return result


def _kam_scoring(
    params: Mapping[str, str], clock: Clock, stability: bool
) -> dict[str, Any]:
    info: dict[str, Any] = {}
    result = _kam_run(params, clock, "scoring", {"stability": stability}, info)
    return {
        **info,
        "rows": len(result.rows),
        "unstable": result.summary["unstable"],
    }


def kam_scoring(params: Mapping[str, str], clock: Clock) -> dict[str, Any]:
    """The scoring matrix and selection table, without rank stability."""
    return _kam_scoring(params, clock, False)


def kam_scoring_stability(params: Mapping[str, str], clock: Clock) -> dict[str, Any]:
    """The scoring matrix with rank stability (20 perturbed rankings)."""
    return _kam_scoring(params, clock, True)


def kam_profit(params: Mapping[str, str], clock: Clock) -> dict[str, Any]:
    """The profit matrix with whale curve and action grid."""
    info: dict[str, Any] = {}
    result = _kam_run(params, clock, "profit", {}, info)
    return {
        **info,
        "rows": len(result.rows),
        "peak_share": result.summary["peak_share"],
    }


def _selection_paths(params: Mapping[str, str], *kinds: str) -> dict[str, str]:
    paths = {
        "criteria": f"{params['selection']}/Criteria.parquet",
        "scores": f"{params['selection']}/Scores.parquet",
        "profit": f"{params['selection']}/Profit.parquet",
        "revenue": f"{params['portfolio']}/Revenue.parquet",
        "accounts": f"{params['portfolio']}/Accounts.parquet",
    }
    return {k: paths[k] for k in kinds}


def _frames(params: Mapping[str, str], *kinds: str) -> dict[str, Any]:
    return {
        k: pq.read_table(p).to_pandas()
        for k, p in _selection_paths(params, *kinds).items()
    }


def _pandas_scores(f: Mapping[str, Any]) -> tuple[Any, Any]:
    """Per-account overall score and the per-account criterion means (wide)."""
    crit = f["criteria"]
    crit = crit.assign(
        share=crit.weight / crit.groupby("section").weight.transform("sum")
    )
    x = (
        f["scores"]
        .groupby(["account_id", "criterion_id"], sort=False)
        .score.agg(["mean", "min", "max"])
    )
    x = x.reset_index().merge(
        crit[["criterion_id", "section", "share"]], on="criterion_id"
    )
    x["wx"] = x["mean"] * x["share"]
    sec = x.groupby(["account_id", "section"], sort=False)[["wx", "share"]].sum()
    sec["s"] = sec.wx / sec.share
    wide = sec.s.unstack("section")
    wide["overall"] = wide.mean(axis=1)
    wide["rank"] = wide.overall.round(6).rank(ascending=False, method="min")
    wide["disagreements"] = ((x["max"] - x["min"]) > 3).groupby(x.account_id).sum()
    return wide, x


def _pandas_abc(f: Mapping[str, Any]) -> Any:
    rev = f["revenue"]
    rev = rev[rev.period.str.startswith("2025")]
    v = (
        rev.groupby("account_id")
        .amount.sum()
        .astype(float)
        .sort_values(ascending=False)
    )
    before = (v.cumsum() - v) / v.sum()
    return np.select([before < 0.8, before < 0.95], ["A", "B"], "C")


def pandas_scoring(params: Mapping[str, str], clock: Clock) -> dict[str, Any]:
    """Scores, ranks, quadrants and ABC class with pandas."""
    f = _frames(params, "criteria", "scores", "revenue")
    with clock("analyse"):
        wide, _ = _pandas_scores(f)
        wide["quadrant"] = np.where(wide.growth >= 5.5, "g", "-") + np.where(
            wide.harmony >= 5.5, "h", "-"
        )
        classes = _pandas_abc(f)
    return {"rows": len(wide), "classes": len(classes)}


def pandas_scoring_stability(params: Mapping[str, str], clock: Clock) -> dict[str, Any]:
    """The same plus 20 perturbed rankings, one weight at a time."""
    import pandas as pd  # type: ignore[import-untyped]

    f = _frames(params, "criteria", "scores", "revenue")
    with clock("analyse"):
        wide, x = _pandas_scores(f)
        _pandas_abc(f)
        means = x.pivot(index="account_id", columns="criterion_id", values="mean")
        crit = f["criteria"].set_index("criterion_id")
        changes = pd.Series(0, index=wide.index)
        lo, hi = wide["rank"].copy(), wide["rank"].copy()
        for cid in crit.index:
            for sign in (1.2, 0.8):
                w = crit.weight.copy()
                w[cid] *= sign
                share = w / w.groupby(crit.section).transform("sum")
                sections = {}
                for s in crit.section.unique():
                    cols = crit.index[crit.section == s]
                    sections[s] = (means[cols] * share[cols]).sum(axis=1)
                overall = pd.DataFrame(sections).mean(axis=1)
                r = overall.round(6).rank(ascending=False, method="min")
                changes += r != wide["rank"]
                lo, hi = np.minimum(lo, r), np.maximum(hi, r)
    return {"rows": len(wide), "unstable": int((changes > 0).sum())}


def pandas_profit(params: Mapping[str, str], clock: Clock) -> dict[str, Any]:
    """NPI, CTS %, quadrants, whale curve and grid with pandas (money as floats)."""
    f = _frames(params, "profit")
    with clock("analyse"):
        p = f["profit"].copy()
        for c in ("list_revenue", "net_revenue", "cogs", "cost_to_serve"):
            p[c] = p[c].astype(float)
        p["profit"] = p.net_revenue - p.cogs - p.cost_to_serve
        a = p.groupby("account_id")[
            ["list_revenue", "net_revenue", "cogs", "cost_to_serve", "profit"]
        ].sum()
        a = a[a.net_revenue > 0]
        a["npi"] = a.net_revenue / a.list_revenue
        a["cts"] = a.cost_to_serve / a.net_revenue
        a["quadrant"] = np.where(a.npi >= a.npi.median(), "high", "low") + np.where(
            a.cts >= a.cts.median(), "/high", "/low"
        )
        a = a.sort_values(["profit"], ascending=False)
        a["cum_share"] = a.profit.cumsum() / a.profit.sum()
        a["cls"] = np.array(list("ABCD"))[np.arange(len(a)) * 4 // len(a)]
        prod = p.groupby("product")[["profit", "net_revenue"]].sum()
        prod["margin"] = prod.profit / prod.net_revenue
        prod["pcls"] = prod.margin.rank(ascending=False, method="first")
        cells = p.merge(a[["cls"]], left_on="account_id", right_index=True).merge(
            prod[["pcls"]], left_on="product", right_index=True
        )
        grid = cells.groupby(["cls", "pcls"])[["net_revenue", "profit"]].sum()
        peak = float(a.cum_share.max())
    return {"rows": len(a), "peak_share": peak, "cells": len(grid)}


def pandas_preaggregate(params: Mapping[str, str], clock: Clock) -> dict[str, Any]:
    """The per-(account, criterion) rater figures and per-account profit sums."""
    f = _frames(params, "scores", "profit")
    with clock("preaggregate"):
        x = f["scores"].groupby(["account_id", "criterion_id"], sort=False)
        pairs = x.score.agg(["mean", "min", "max", "count"])
        p = f["profit"]
        sums = p.groupby(["account_id", "period"], sort=False)[
            ["list_revenue", "net_revenue", "cogs", "cost_to_serve"]
        ].sum()
    return {"pairs": len(pairs), "accounts": len(sums)}


register(
    Case(
        name="selection_preaggregate",
        description="derived tables from the raw ledger (revenue, MRR, the raters' "
        "scores per account and criterion, profit per account), once per data "
        "version",
        unit="accounts",
        prepare=_prepare,
        kam=Impl(
            "bench.selection_cases:kam_preaggregate",
            setup="bench.selection_cases:kam_setup_ledger",
        ),
        baseline=Impl("bench.selection_cases:pandas_preaggregate"),
    )
)

_SCORES = ", 10 criteria × 2 raters and the ABC class of the last year"
for _name, _what, _kam, _base in (
    (
        "scoring",
        "scoring matrix + selection table" + _SCORES,
        "kam_scoring",
        "pandas_scoring",
    ),
    (
        "scoring_stab",
        "scoring with rank stability (±20 %, one weight at a time)" + _SCORES,
        "kam_scoring_stability",
        "pandas_scoring_stability",
    ),
    (
        "profit",
        "profit matrix with whale curve and grid",
        "kam_profit",
        "pandas_profit",
    ),
):
    register(
        Case(
            name=_name,
            description=_what,
            unit="accounts",
            prepare=_prepare,
            kam=Impl(
                f"bench.selection_cases:{_kam}",
                setup="bench.selection_cases:kam_setup_preaggregated",
            ),
            baseline=Impl(f"bench.selection_cases:{_base}"),
        )
    )
