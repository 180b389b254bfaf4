"""The baselines of the analysis cases: idiomatic pandas and hand-written DuckDB SQL.

Both start from the raw Parquet ledger (Revenue, MRR, Accounts) every time, and
return the same ``check`` digest as kam (see :mod:`bench.analysis_cases`). pandas
money is float, rounded to cents where equal values must tie, as pandas users do.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

from bench.harness import Clock

#: The analysed ranges: the last fiscal year of the generated 36 months (Pareto)
#: and all three (ABC by year), given explicitly so that every side agrees.
PARETO_RANGE = ("2025-01", "2025-12")
ABC_RANGE = ("2023-01", "2025-12")
YEARS = ("2023", "2024", "2025")
THRESHOLD = 0.80
CUTS = (0.80, 0.95)


@contextmanager
def timed(clock: Clock, phase: str, info: dict[str, Any]) -> Iterator[None]:
    """``clock(phase)`` that also records the process's CPU seconds (every thread)
    in ``info["note"]``: on a shared machine wall time alone misleads."""
    started = time.process_time()
    with clock(phase):
        yield
    info["cpu_s"] = time.process_time() - started
    info["note"] = f"cpu {info['cpu_s']:.2f} s"


@contextmanager
def phases_timed(
    clock: Clock, names: Sequence[str]
) -> Iterator[tuple[Callable[[str], AbstractContextManager[None]], dict[str, Any]]]:
    """Phases of one run, each timed by ``clock`` and its CPU seconds noted:
    ``with phases_timed(clock, ("a", "b")) as (phase, info): with phase("a"): ...``;
    ``info["note"]`` then reads ``cpu a 1.00 s, b 2.00 s``."""
    info: dict[str, Any] = {}
    cpu: dict[str, float] = {}

    @contextmanager
    def phase(name: str) -> Iterator[None]:
        started = time.process_time()
        with clock(name):
            yield
        cpu[name] = cpu.get(name, 0.0) + time.process_time() - started

    yield phase, info
    info["cpu_s"] = sum(cpu.values())
    info["note"] = "cpu " + ", ".join(f"{n} {cpu.get(n, 0.0):.2f} s" for n in names)


def digest(data: object) -> str:
    """The JSON text every implementation of a case returns as ``check``."""
    return json.dumps(data, sort_keys=True, default=str)


# ------------------------------------------------------------------------ pandas


def _read_revenue(params: Mapping[str, str]) -> Any:
    import pandas as pd  # type: ignore[import-untyped]

    revenue = pd.read_parquet(
        Path(params["parquet"]) / "Revenue.parquet", dtype_backend="pyarrow"
    )
    revenue["amount"] = revenue["amount"].astype("float64")
    return revenue


def pandas_preaggregate(params: Mapping[str, str], clock: Clock) -> dict[str, Any]:
    """Revenue per account and period, MRR per account and month, with groupby."""
    import pandas as pd

    with phases_timed(clock, ("revenue", "mrr")) as (phase, info):
        with phase("revenue"):
            revenue = _read_revenue(params)
            by_period = revenue.groupby(["account_id", "period"], as_index=False)[
                "amount"
            ].sum()
        with phase("mrr"):
            mrr = pd.read_parquet(
                Path(params["parquet"]) / "MRR.parquet", dtype_backend="pyarrow"
            )
            mrr["mrr"] = mrr["mrr"].astype("float64")
            by_month = mrr.groupby(["account_id", "month"], as_index=False)["mrr"].sum()
    rows = {"_revenue_by_period": len(by_period), "_mrr_by_month": len(by_month)}
    return {**info, "check": digest(rows)}


def pandas_pareto(params: Mapping[str, str], clock: Clock) -> dict[str, Any]:
    """Sum per account, add active accounts without revenue, sort, cumsum."""
    info: dict[str, Any] = {}
    import pandas as pd

    with timed(clock, "pareto", info):
        revenue = _read_revenue(params)
        kept = revenue[revenue["period"].between(*PARETO_RANGE)]
        values = kept.groupby("account_id")["amount"].sum().round(2)
        accounts = pd.read_parquet(
            Path(params["parquet"]) / "Accounts.parquet",
            columns=["account_id", "name", "status"],
        )
        active = accounts.loc[
            accounts["status"].isna() | (accounts["status"] == "active"), "account_id"
        ]
        missing = active[~active.isin(values.index)]
        values = pd.concat([values, pd.Series(0.0, index=pd.Index(missing))])
        frame = values.rename("value").rename_axis("account_id").reset_index()
        frame = frame.sort_values(
            ["value", "account_id"], ascending=[False, True], ignore_index=True
        )
        total = frame["value"].sum()
        frame["share"] = frame["value"] / total
        frame["cum_share"] = frame["share"].cumsum()
        frame["rank"] = range(1, len(frame) + 1)
        n = len(frame)
        k = min(int((frame["cum_share"] < THRESHOLD).sum()) + 1, n)
        frame["vital_few"] = frame["rank"] <= k
        frame = frame.merge(accounts[["account_id", "name"]], how="left")
        hhi = float((frame["share"] ** 2).sum())
        weights = n + 1 - 2 * frame["rank"]
        gini = float((weights * frame["value"]).sum() / (n * total))
    return {**info, "check": digest({"accounts": n, "k": k}), "hhi": hhi, "gini": gini}


def _pandas_classes(frame: Any) -> Any:
    """ABC classes (upper boundary, ties share the first one's class) per period."""
    import numpy as np

    frame = frame.sort_values(
        ["period", "value", "account_id"], ascending=[True, False, True]
    )
    grouped = frame.groupby("period")["value"]
    total = grouped.transform("sum")
    before = (grouped.cumsum() - frame["value"]) / total
    frame["raw"] = np.select(
        [before < CUTS[0], before < CUTS[1]], ["A", "B"], default="C"
    )
    frame["class"] = frame.groupby(["period", "value"])["raw"].transform("min")
    return frame


def pandas_abc_migration(params: Mapping[str, str], clock: Clock) -> dict[str, Any]:
    """Classes per year and pooled, then a merge of consecutive years."""
    info: dict[str, Any] = {}
    import pandas as pd

    with timed(clock, "abc", info):
        revenue = _read_revenue(params)
        kept = revenue[revenue["period"].between(*ABC_RANGE)].copy()
        kept["year"] = kept["period"].str.slice(0, 4)
        yearly = kept.groupby(["account_id", "year"], as_index=False)["amount"].sum()
        yearly.columns = ["account_id", "period", "value"]
        pooled = kept.groupby("account_id", as_index=False)["amount"].sum()
        pooled.columns = ["account_id", "value"]
        pooled["period"] = "pooled"
        both = pd.concat([yearly, pooled], ignore_index=True)
        both["value"] = both["value"].round(2)
        both = _pandas_classes(both[both["value"] > 0].copy())
        counts = both.groupby(["period", "class"]).size()
        moves: dict[str, int] = {}
        for a, b in itertools.pairwise(YEARS):
            left = both.loc[both["period"] == a, ["account_id", "class", "value"]]
            right = both.loc[both["period"] == b, ["account_id", "class", "value"]]
            pair = left.merge(
                right, on="account_id", how="outer", suffixes=("_from", "_to")
            )
            pair["class_from"] = pair["class_from"].fillna("new")
            pair["class_to"] = pair["class_to"].fillna("lost")
            matrix = pair.groupby(["class_from", "class_to"]).agg(
                accounts=("account_id", "size"),
                value_before=("value_from", "sum"),
                value_after=("value_to", "sum"),
            )
            for (f, t), accounts in matrix["accounts"].items():
                moves[f"{b}:{f}>{t}"] = int(accounts)
    classes = {
        f"{p}:{c}": int(counts.get((p, c), 0))
        for p in (*YEARS, "pooled")
        for c in "ABC"
    }
    return {**info, "check": digest({"classes": classes, "migration": moves})}


# ------------------------------------------------------------------------ DuckDB


def _duckdb(params: Mapping[str, str]) -> Any:
    import duckdb

    con = duckdb.connect()
    folder = Path(params["parquet"])
    for sheet in ("Revenue", "MRR", "Accounts"):
        path = str(folder / f"{sheet}.parquet").replace("'", "''")
        con.execute(f"CREATE VIEW {sheet.lower()} AS SELECT * FROM '{path}'")
    return con


def duckdb_preaggregate(params: Mapping[str, str], clock: Clock) -> dict[str, Any]:
    """CREATE TABLE ... GROUP BY for both sums, in an in-memory DuckDB."""
    con = _duckdb(params)
    with phases_timed(clock, ("revenue", "mrr")) as (phase, info):
        with phase("revenue"):
            con.execute(
                "CREATE TABLE revenue_by_period AS SELECT account_id, period, "
                "sum(amount) AS value FROM revenue GROUP BY ALL"
            )
        with phase("mrr"):
            con.execute(
                "CREATE TABLE mrr_by_month AS SELECT account_id, month, "
                "sum(mrr) AS value FROM mrr GROUP BY ALL"
            )
    rows = {
        "_revenue_by_period": con.sql(
            "SELECT count(*) FROM revenue_by_period"
        ).fetchone()[0],
        "_mrr_by_month": con.sql("SELECT count(*) FROM mrr_by_month").fetchone()[0],
    }
    return {**info, "check": digest(rows)}


# k counts the running shares below the threshold with sum(CASE ...) OVER (): DuckDB
# 1.5 evaluates a FILTER clause on a whole-frame window aggregate row by row, which
# makes ``count(*) FILTER (...) OVER ()`` quadratic (7 s at 100k accounts, hours at 1M).
PARETO_SQL = """
WITH sums AS (
    SELECT account_id, sum(amount) AS value FROM revenue
    WHERE period BETWEEN ? AND ? GROUP BY account_id
), per_account AS (
    SELECT * FROM sums
    UNION ALL
    SELECT a.account_id, 0 FROM accounts a ANTI JOIN sums s USING (account_id)
    WHERE a.status IS NULL OR a.status = 'active'
), ranked AS (
    SELECT account_id, value,
        row_number() OVER w AS rank,
        sum(value) OVER w / sum(value) OVER () AS cum_share,
        value / sum(value) OVER () AS share,
        count(*) OVER () AS n
    FROM per_account
    WINDOW w AS (ORDER BY value DESC, account_id ROWS UNBOUNDED PRECEDING)
)
SELECT r.*, a.name,
    least(sum(CASE WHEN cum_share < ? THEN 1 ELSE 0 END) OVER () + 1, n) AS k,
    sum(share * share) OVER () AS hhi
FROM ranked r LEFT JOIN accounts a USING (account_id)
ORDER BY rank
"""


def duckdb_pareto(params: Mapping[str, str], clock: Clock) -> dict[str, Any]:
    """One SQL query: per-account sums, window running share, k, HHI."""
    info: dict[str, Any] = {}
    con = _duckdb(params)
    with timed(clock, "pareto", info):
        table = con.execute(PARETO_SQL, [*PARETO_RANGE, THRESHOLD]).fetch_arrow_table()
    n = table.num_rows
    k = int(table.column("k")[0].as_py())
    return {**info, "check": digest({"accounts": n, "k": k})}


ABC_SQL = """
CREATE TEMP TABLE classes AS
WITH yearly AS (
    SELECT account_id, substr(period, 1, 4) AS period, sum(amount) AS value
    FROM revenue WHERE period BETWEEN ? AND ? GROUP BY ALL
), pooled AS (
    SELECT account_id, 'pooled' AS period, sum(amount) AS value
    FROM revenue WHERE period BETWEEN ? AND ? GROUP BY ALL
), both_ AS (
    SELECT * FROM yearly WHERE value > 0 UNION ALL SELECT * FROM pooled WHERE value > 0
), ranked AS (
    SELECT *, (sum(value) OVER w - value) / sum(value) OVER (PARTITION BY period)
        AS before
    FROM both_
    WINDOW w AS (PARTITION BY period ORDER BY value DESC, account_id
                 ROWS UNBOUNDED PRECEDING)
)
SELECT account_id, period, value,
    min(CASE WHEN before < ? THEN 'A' WHEN before < ? THEN 'B' ELSE 'C' END)
        OVER (PARTITION BY period, value) AS class
FROM ranked
"""

MIGRATION_SQL = """
SELECT b.period AS period_to, coalesce(a.class, 'new') AS from_class,
    coalesce(b.class, 'lost') AS to_class, count(*) AS accounts,
    sum(a.value) AS value_before, sum(b.value) AS value_after
FROM (SELECT * FROM classes WHERE period = ?) a
FULL JOIN (SELECT * FROM classes WHERE period = ?) b USING (account_id)
GROUP BY ALL
"""


def duckdb_abc_migration(params: Mapping[str, str], clock: Clock) -> dict[str, Any]:
    """SQL: classes into a temp table, then a full join per pair of years."""
    info: dict[str, Any] = {}
    con = _duckdb(params)
    moves: dict[str, int] = {}
    with timed(clock, "abc", info):
        con.execute(ABC_SQL, [*ABC_RANGE, *ABC_RANGE, *CUTS])
        rows = con.sql(
            "SELECT period, class, count(*) AS n FROM classes GROUP BY ALL"
        ).fetchall()
        for a, b in itertools.pairwise(YEARS):
            for _, f, t, accounts, _vb, _va in con.execute(
                MIGRATION_SQL, [a, b]
            ).fetchall():
                moves[f"{b}:{f}>{t}"] = int(accounts)
    found = {(p, c): int(n) for p, c, n in rows}
    classes = {
        f"{p}:{c}": found.get((p, c), 0) for p in (*YEARS, "pooled") for c in "ABC"
    }
    return {**info, "check": digest({"classes": classes, "migration": moves})}
