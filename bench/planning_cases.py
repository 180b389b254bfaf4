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

``planning_load`` (issue 9's page target: p95 ≤ 300 ms at 50 users): the users,
server and warm-up of ``stakeholder_map_load`` (bench/load_cases.py) on the plan,
timeline, division map and RACI pages of 20 planned accounts (each the demo
flagship's plan and objectives, 40 units × 12 products, 200 tasks, a 12-activity
RACI) and the programme charter, over the generated portfolio of *size* accounts;
the note gives p50/p95 per page, the error rate, the server's CPU time and the load
averages.

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


# ------------------------------------------------------------------ planning load

#: Accounts that get a plan in ``planning_load``, and the size of each plan.
PLAN_ACCOUNTS = 20
PLAN_UNITS = 40
PLAN_TASKS = 200
PROGRAMME_TASKS = 100
#: Products we sell besides the generated portfolio's four (so that a division map
#: has twelve columns).
_EXTRA_PRODUCTS = tuple(f"module-{i:02d}" for i in range(1, 9))
_MEMBERS = tuple(f"M{i}" for i in range(8))
_RACI_ROLES = ("KAM", "Sales director", "Solution architect", "Sponsor", "Success")
PLANNING_PAGES = ("plan", "timeline", "divisions", "raci", "charter")


def _plan_tasks(prefix: str, account: str | None, n: int, rng: Any) -> list[Any]:
    """``n`` tasks in ten parallel streams: each follows the task before it in its
    stream (FS, one in five SS+1), one in eight also a task of another stream."""
    rows = []
    for i in range(n):
        links = []
        if i >= 10:
            links.append(
                f"{prefix}{i - 10:03d}" + (" SS+1" if rng.random() < 0.2 else "")
            )
        if i >= 20 and rng.random() < 0.125:
            other = int(rng.integers(0, i - 10))
            if other % 10 != i % 10:
                links.append(f"{prefix}{other:03d}")
        rows.append(
            {
                "task_id": f"{prefix}{i:03d}",
                "account_id": account,
                "name": f"Task {i}",
                "phase": f"Stream {i % 10 + 1}",
                "owner": _MEMBERS[i % len(_MEMBERS)],
                "start": _START if i == 0 else None,
                "duration_days": 0 if rng.random() < 0.05 else int(rng.integers(1, 11)),
                "predecessors": "; ".join(links) or None,
                "percent_complete": float(max(0, min(100, 100 - i * 200 // n))),
                "baseline_finish": _START + timedelta(days=i * 2),
            }
        )
    return rows


def planning_portfolio(accounts: list[str], *, seed: int = 1) -> Any:
    """A plan for each of ``accounts`` and the programme's.

    Per account: the account plan and objectives of the demo's flagship (its
    Charter and Objectives rows, owners spread over eight team members), a
    division map of ``PLAN_UNITS`` units (a tree four wide) × twelve products,
    ``PLAN_TASKS`` tasks and a twelve-activity RACI over five roles; the programme:
    the demo's charter and objectives, ``PROGRAMME_TASKS`` tasks and a RACI.
    """
    from kam.demo.accounts import FLAGSHIP_ID
    from kam.demo.charter import charter_table, objectives_table
    from kam.model import SHEETS, Portfolio, Table, store_columns

    rng = np.random.default_rng(seed)
    products = ["starter", "business", "enterprise", "premium", *_EXTRA_PRODUCTS]
    owners: dict[object, str] = {}

    def owner(o: object) -> str | None:
        if o is None:
            return None
        return owners.setdefault(o, _MEMBERS[len(owners) % len(_MEMBERS)])

    demo_charter = list(charter_table().rows())
    demo_objectives = list(objectives_table().rows())
    charter, objectives, tasks, raci = [], [], [], []
    units: list[dict[str, object]] = []
    coverage: list[dict[str, object]] = []
    for plan in [None, *accounts]:
        template = None if plan is None else FLAGSHIP_ID
        charter += [
            {**r, "account_id": plan, "owner": owner(r["owner"])}
            for r in demo_charter
            if r["account_id"] == template
        ]
        objectives += [
            {
                **r,
                "objective_id": f"{plan or 'PRG'}-{r['objective_id']}",
                "account_id": plan,
                "owner": owner(r["owner"]),
            }
            for r in demo_objectives
            if r["account_id"] == template
        ]
        prefix = f"{plan or 'PRG'}-T"
        size = PROGRAMME_TASKS if plan is None else PLAN_TASKS
        tasks += _plan_tasks(prefix, plan, size, rng)
        for a in range(12):
            codes = [""] * len(_RACI_ROLES)
            codes[a % len(_RACI_ROLES)] = "A/R" if a % 3 == 0 else "A"
            for r in range(len(_RACI_ROLES)):
                if not codes[r]:
                    codes[r] = ("R", "C", "I", "")[(a + r) % 4]
            if "R" not in codes and "A/R" not in codes:  # someone does the work
                codes[(a + 1) % len(_RACI_ROLES)] = "R"
            raci += [
                {
                    "activity": f"Activity {a + 1}",
                    "account_id": plan,
                    "role": role,
                    "code": code,
                }
                for role, code in zip(_RACI_ROLES, codes, strict=True)
                if code
            ]
        if plan is None:
            continue
        ids = [f"{plan}-U{i:02d}" for i in range(PLAN_UNITS)]
        units += [
            {
                "unit_id": uid,
                "account_id": plan,
                "name": f"Unit {i}",
                "parent_unit_id": None if i == 0 else ids[(i - 1) // 4],
                "kind": _KINDS[i % len(_KINDS)],
            }
            for i, uid in enumerate(ids)
        ]
        for uid in ids:
            for product in products:
                status = _STATUSES[
                    int(rng.choice(len(_STATUSES), p=[0.3, 0.15, 0.3, 0.15, 0.1]))
                ]
                potential = int(rng.integers(10_000, 2_000_000))
                current = (
                    int(potential * rng.random())
                    if status == "owned"
                    else int(potential * rng.random() * 0.3)
                    if status in ("whitespace", "competitor")
                    else 0
                )
                coverage.append(
                    {
                        "unit_id": uid,
                        "product": product,
                        "status": status,
                        "current_revenue": Decimal(current),
                        "potential_revenue": Decimal(potential),
                        "competitor": "Rival" if status == "competitor" else None,
                        "probability": round(float(rng.random()), 2)
                        if status == "pipeline"
                        else None,
                        "owner": _MEMBERS[len(coverage) % len(_MEMBERS)],
                    }
                )

    def table(name: str, rows: list[dict[str, object]]) -> Table:
        return Table.from_rows(store_columns(SHEETS[name]), rows)

    return Portfolio(
        {
            "Team": table(
                "Team", [{"member_id": m, "name": f"Member {m}"} for m in _MEMBERS]
            ),
            "Products": table(
                "Products",
                [
                    {"product": p, "family": "cloud", "kind": "addon"}
                    for p in _EXTRA_PRODUCTS
                ],
            ),
            "Units": table("Units", units),
            "Coverage": table("Coverage", coverage),
            "Tasks": table("Tasks", tasks),
            "Responsibilities": table("Responsibilities", raci),
            "Charter": table("Charter", charter),
            "Objectives": table("Objectives", objectives),
        }
    )


def _planned(params: Mapping[str, str]) -> list[str]:
    return params["plan_accounts"].split(",")


def kam_setup_planning_load(params: Mapping[str, str]) -> None:
    """The web_load store, plus the plans of the planned accounts and programme."""
    from bench.load_cases import setup_web_load_with

    setup_web_load_with(params, planning_portfolio(_planned(params)), "bench plans")


def kam_planning_load(params: Mapping[str, str], clock: Clock) -> dict[str, Any]:
    """``users`` users open the planning pages of the planned accounts (and the
    programme charter) for ``seconds``; the note also gives the server's CPU seconds
    during the load and the load averages before and after."""
    import asyncio

    from bench.load_cases import SECONDS, USERS, _db, _load_run, _ServerCpu, _start

    server, base = _start(_db(params))
    accounts = _planned(params)
    try:
        users = int(params.get("users", USERS))
        seconds = float(params.get("seconds", SECONDS))
        measured = _ServerCpu(clock, server.pid)
        found = asyncio.run(
            _load_run(
                base,
                users,
                seconds,
                accounts,
                measured,
                pages=PLANNING_PAGES,
                # Each plan's results are computed once per data version; the
                # measured requests are those of people reading computed plans.
                warm=tuple(
                    f"/accounts/{a}/{page}"
                    for a in accounts
                    for page in PLANNING_PAGES
                    if page != "charter"
                ),
            )
        )
    finally:
        server.terminate()
        server.wait(timeout=30)
    requests = max(1, int(found["requests"]))
    found["server_cpu_s"] = round(measured.cpu, 2)
    found["note"] += (
        f"; server CPU {measured.cpu / seconds:.2f} s/s, "
        f"{measured.cpu / requests * 1000:.1f} ms/request; "
        f"load average {' → '.join(measured.loadavg)}"
    )
    return found


def _prepare_planning_load(size: int, seed: int, data_dir: Path) -> Params:
    from bench.load_cases import _prepare_map

    params = _prepare_map(size, seed, data_dir)  # the first 20 account ids
    accounts = params.pop("map_accounts").split(",")[:PLAN_ACCOUNTS]
    return {**params, "plan_accounts": ",".join(accounts)}


register(
    Case(
        name="planning_load",
        description="50 signed-in users open the plan, timeline (Gantt), division "
        f"map and RACI pages of {PLAN_ACCOUNTS} planned accounts ({PLAN_TASKS} "
        f"tasks, {PLAN_UNITS} units × 12 products each) and the programme charter, "
        "for 60 s (think time 0.5-1.5 s), one server process on loopback; p50/p95 "
        "per page and the error rate in the notes",
        unit="accounts",
        prepare=_prepare_planning_load,
        kam=Impl(
            "bench.planning_cases:kam_planning_load",
            setup="bench.planning_cases:kam_setup_planning_load",
        ),
        baseline=None,
    )
)
