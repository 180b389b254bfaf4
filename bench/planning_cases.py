"""The planning cases: the implementation timeline and the division map.

============  =======================================================  =========
case          what is measured                                         size
============  =======================================================  =========
timeline      ``timeline`` of one plan: CPM on working days (FS, SS,     tasks
              FF, SF links with lags), floats, progress and slip;
              20 parallel workstreams
division_map  ``division_map`` of one account: ``size`` units × 50        units
              products, penetration, whitespace, ranked gaps with
              lookalike propensity
============  =======================================================  =========

Issue 9's targets: a timeline of 2,000 tasks within 0.5 s, a division map of 200
units × 50 products within 0.3 s (``python -m bench --only timeline --sizes 2000``,
``--only division_map --sizes 200``). The tables are generated (numpy, seeded) as
Parquet; each run loads them into an in-process DuckDB (not timed) and times the
analysis; each run also records its CPU time (this process, DuckDB's threads
included: the machine may be shared) and the load averages before and after.
There is no pandas baseline: the critical path is a graph pass, not a
table operation, and the division map's cost is in its Python ranking.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from bench.harness import Case, Clock, Impl, Params, register

__all__ = [
    "PRODUCTS",
    "kam_division_map",
    "kam_timeline",
    "write_coverage",
    "write_tasks",
]

#: Products of the division map.
PRODUCTS = 50
#: The account every generated row belongs to.
ACCOUNT = "ACC1"
#: Parallel workstreams of the generated plan.
_STREAMS = 20
_START = date(2026, 1, 5)
_AS_OF = date(2026, 6, 30)
_KINDS = ("division", "business_unit", "region", "site", "subsidiary")
_STATUSES = ("owned", "pipeline", "whitespace", "competitor", "not_eligible")
_VERSION = 2
_MONEY = pa.decimal128(18, 2)


def write_tasks(out: Path, n: int, seed: int) -> Path:
    """A Tasks table of ``n`` tasks in 20 parallel workstreams (about two years for
    2,000 tasks): each task follows one or two of the three before it in its stream,
    one in ten also a task of another stream (70 % FS, 15 % SS, 10 % FF, 5 % SF;
    lags −2…+5); durations 1–10 working days, 5 % milestones; a fixed start on the
    first task; progress that falls off along the plan."""
    path = out / "Tasks.parquet"
    if path.exists():
        return path
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    kinds = np.array(["FS", "SS", "FF", "SF"])
    ids = [f"T{i:05d}" for i in range(n)]
    predecessors: list[str | None] = []
    for i in range(n):
        own = [i - _STREAMS * k for k in (1, 2, 3) if i - _STREAMS * k >= 0]
        picks = (
            set(
                rng.choice(
                    own, size=min(len(own), int(rng.integers(1, 3))), replace=False
                ).tolist()
            )
            if own
            else set()
        )
        if i >= _STREAMS and rng.random() < 0.1:
            picks.add(int(rng.integers(max(0, i - 3 * _STREAMS), i)))
        if i > 0 and not picks:
            picks = {0}
        links = []
        for p in sorted(picks):
            kind = str(kinds[rng.choice(4, p=[0.7, 0.15, 0.1, 0.05])])
            lag = int(rng.integers(-2, 6))
            links.append(
                ids[p] if kind == "FS" and lag == 0 else f"{ids[p]} {kind}{lag:+d}"
            )
        predecessors.append("; ".join(links) or None)
    durations = np.where(rng.random(n) < 0.05, 0, rng.integers(1, 11, size=n))
    done = np.clip(100.0 - np.arange(n) * 200.0 / n + rng.normal(0, 10, n), 0, 100)
    table = pa.table(
        {
            "task_id": ids,
            "account_id": [ACCOUNT] * n,
            "name": [f"Task {i}" for i in range(n)],
            "phase": [f"Stream {i % _STREAMS + 1}" for i in range(n)],
            "owner": [f"M{i % 7 + 1:02d}" for i in range(n)],
            "start": pa.array([_START] + [None] * (n - 1), pa.date32()),
            "duration_days": pa.array(durations.tolist(), pa.int64()),
            "predecessors": predecessors,
            "percent_complete": done.round(0).tolist(),
            "baseline_finish": pa.array(
                [_START + timedelta(days=int(d)) for d in np.arange(n) * 0.4],
                pa.date32(),
            ),
        }
    )
    pq.write_table(table, path)
    return path


def write_coverage(out: Path, n: int, seed: int) -> Path:
    """Units (``n`` in a three-level tree) and Coverage (``n`` × 50 cells)."""
    if (out / "Coverage.parquet").exists():
        return out
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    units = [f"U{i:04d}" for i in range(n)]
    parents = [None if i == 0 else units[(i - 1) // 10] for i in range(n)]
    pq.write_table(
        pa.table(
            {
                "unit_id": units,
                "account_id": [ACCOUNT] * n,
                "name": [f"Unit {i}" for i in range(n)],
                "parent_unit_id": parents,
                "kind": [_KINDS[i % len(_KINDS)] for i in range(n)],
            }
        ),
        out / "Units.parquet",
    )
    cells = n * PRODUCTS
    status = rng.choice(len(_STATUSES), size=cells, p=[0.3, 0.15, 0.3, 0.15, 0.1])
    potential = rng.integers(10_000, 2_000_000, size=cells)
    share = rng.random(cells)
    current = np.where(
        status == 0,
        potential * share,
        np.where((status == 2) | (status == 3), potential * share * 0.3, 0),
    ).astype(np.int64)
    pq.write_table(
        pa.table(
            {
                "unit_id": [units[i // PRODUCTS] for i in range(cells)],
                "product": [f"Product {i % PRODUCTS:02d}" for i in range(cells)],
                "status": [_STATUSES[s] for s in status.tolist()],
                "current_revenue": pa.array(
                    [Decimal(int(v)) for v in current.tolist()], _MONEY
                ),
                "potential_revenue": pa.array(
                    [Decimal(int(v)) for v in potential.tolist()], _MONEY
                ),
                "competitor": ["Rival" if s == 3 else None for s in status.tolist()],
                "probability": [
                    float(round(p, 2)) if s == 1 else None
                    for s, p in zip(status.tolist(), share.tolist(), strict=True)
                ],
                "owner": [f"M{i % 7 + 1:02d}" for i in range(cells)],
            }
        ),
        out / "Coverage.parquet",
    )
    return out


def _prepare_timeline(size: int, seed: int, data_dir: Path) -> Params:
    if size > 20_000:
        raise ValueError("a plan of more than 20,000 tasks is out of scope")
    out = data_dir / f"planning-v{_VERSION}" / f"tasks-{size}-{seed}"
    return {"tasks": str(write_tasks(out, size, seed))}


def _prepare_division(size: int, seed: int, data_dir: Path) -> Params:
    if size > 5_000:
        raise ValueError("an account of more than 5,000 units is out of scope")
    out = data_dir / f"planning-v{_VERSION}" / f"units-{size}-{seed}"
    return {"folder": str(write_coverage(out, size, seed))}


def _tables(paths: Mapping[str, str]) -> tuple[Any, dict[str, Any]]:
    import ibis

    con = ibis.duckdb.connect()
    tables = {
        name: con.create_table(name, pq.read_table(p)) for name, p in paths.items()
    }
    return con, tables


def _loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def kam_timeline(params: Mapping[str, str], clock: Clock) -> dict[str, Any]:
    """The timeline of the generated plan at the as-of date."""
    from kam.analysis.registry import run

    con, tables = _tables({"tasks": params["tasks"]})
    load_before = _loadavg()
    started = time.process_time()
    with clock("analyse"):
        result = run("timeline", tables, {"account": ACCOUNT, "as_of": _AS_OF})
    cpu = round(time.process_time() - started, 3)
    con.disconnect()
    return {
        "rows": len(result.rows),
        "critical": len(result.summary["critical_path"]),  # type: ignore[arg-type]
        "working_days": result.summary["working_days"],
        "cpu_seconds": {"analyse": cpu},
        "loadavg": {"before": load_before, "after": _loadavg()},
    }


def kam_division_map(params: Mapping[str, str], clock: Clock) -> dict[str, Any]:
    """The division map of the generated account, with propensity."""
    from kam.analysis.registry import run

    folder = Path(params["folder"])
    con, tables = _tables(
        {
            "units": str(folder / "Units.parquet"),
            "coverage": str(folder / "Coverage.parquet"),
        }
    )
    load_before = _loadavg()
    started = time.process_time()
    with clock("analyse"):
        result = run("division_map", tables, {"account": ACCOUNT})
    cpu = round(time.process_time() - started, 3)
    con.disconnect()
    return {
        "rows": len(result.rows),
        "gaps": len(result.tables["gaps"]),
        "cpu_seconds": {"analyse": cpu},
        "loadavg": {"before": load_before, "after": _loadavg()},
    }


register(
    Case(
        name="timeline",
        description="critical path, floats, progress and slip of one plan",
        unit="tasks",
        prepare=_prepare_timeline,
        kam=Impl("bench.planning_cases:kam_timeline"),
        baseline=None,
    )
)
register(
    Case(
        name="division_map",
        description=f"units × {PRODUCTS} products: penetration, whitespace, gaps",
        unit="units",
        prepare=_prepare_division,
        kam=Impl("bench.planning_cases:kam_division_map"),
        baseline=None,
    )
)
