"""Golden cases for the portfolio analyses, as data, and the helpers to run them.

Each case is input rows per canonical table, the parameters, and the expected output
(computed by hand, see each case's ``note``). :func:`check_case` runs a case on any
Ibis backend connection, so the same cases run on DuckDB here and on PostgreSQL or
PySpark wherever a fixture provides that connection (see ``test_golden.py``).

Account ids are chosen so that their order is the same under every collation
(upper-case letter and digits only).
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import ibis
import pyarrow as pa

from kam.analysis.registry import run

MONEY = pa.decimal128(18, 2)

#: Arrow schemas of the canonical tables the cases use.
SCHEMAS: dict[str, pa.Schema] = {
    "revenue": pa.schema(
        [
            ("account_id", pa.string()),
            ("period", pa.string()),
            ("product", pa.string()),
            ("amount", MONEY),
        ]
    ),
    "mrr": pa.schema(
        [
            ("account_id", pa.string()),
            ("month", pa.string()),
            ("plan", pa.string()),
            ("mrr", MONEY),
        ]
    ),
    "profit": pa.schema(
        [
            ("account_id", pa.string()),
            ("period", pa.string()),
            ("product", pa.string()),
            ("net_revenue", MONEY),
            ("cogs", MONEY),
            ("cost_to_serve", MONEY),
        ]
    ),
    "accounts": pa.schema(
        [("account_id", pa.string()), ("name", pa.string()), ("status", pa.string())]
    ),
    "values": pa.schema(
        [("account_id", pa.string()), ("period", pa.string()), ("value", MONEY)]
    ),
}


def arrow_table(kind: str, rows: Sequence[Sequence[object]]) -> pa.Table:
    """An Arrow table of a canonical ``kind`` from row tuples (money as text/number)."""
    schema = SCHEMAS[kind]
    columns: list[list[object]] = [[] for _ in schema]
    for row in rows:
        for i, (f, v) in enumerate(zip(schema, row, strict=True)):
            is_money = pa.types.is_decimal(f.type) and v is not None
            columns[i].append(
                Decimal(str(v)).quantize(Decimal("0.01")) if is_money else v
            )
    return pa.table(
        {f.name: pa.array(c, type=f.type) for f, c in zip(schema, columns, strict=True)}
    )


def make_table(con: Any, kind: str, rows: Sequence[Sequence[object]]) -> Any:
    """Create a uniquely named table of ``kind`` on the backend ``con``."""
    name = f"golden_{kind}_{uuid.uuid4().hex[:10]}"
    return con.create_table(name, arrow_table(kind, rows))


def make_tables(
    con: Any, tables: Mapping[str, Sequence[Sequence[object]]]
) -> dict[str, ibis.Table]:
    """Every table of a case on ``con``, keyed by store table name."""
    return {kind: make_table(con, kind, rows) for kind, rows in tables.items()}


@dataclass(frozen=True)
class GoldenCase:
    """One analysis run with its expected result.

    ``summary``: expected summary entries (floats compared within 1e-9); ``rows``:
    expected rows, in order, over the columns each dict names; ``tables``: expected
    rows of extra tables where a row matches on every key it names.
    """

    name: str
    analysis: str
    tables: dict[str, list[tuple[object, ...]]]
    params: dict[str, object]
    summary: dict[str, object]
    rows: list[dict[str, object]]
    note: str = ""
    extra: dict[str, list[dict[str, object]]] = field(default_factory=dict)


def _same(got: object, want: object) -> bool:
    if isinstance(want, float) and isinstance(got, int | float):
        return math.isclose(got, want, rel_tol=0, abs_tol=1e-9)
    if isinstance(want, str) and isinstance(got, Decimal):
        return got == Decimal(want)
    return got == want


def check_case(case: GoldenCase, con: Any) -> None:
    """Run ``case`` on the backend ``con`` and assert its expected output."""
    result = run(case.analysis, make_tables(con, case.tables), case.params)
    for key, want in case.summary.items():
        assert _same(result.summary[key], want), (case.name, key, result.summary[key])
    assert len(result.rows) == len(case.rows), (case.name, len(result.rows))
    for i, (got, want) in enumerate(zip(result.rows, case.rows, strict=True)):
        for key, value in want.items():
            assert _same(got[key], value), (case.name, i, key, got[key], value)
    for table, wanted in case.extra.items():
        for want in wanted:
            matches = [
                r
                for r in result.tables[table]
                if all(_same(r[k], v) for k, v in want.items())
            ]
            assert len(matches) == 1, (case.name, table, want)


_WORKED = [400, 250, 120, 80, 50, 40, 25, 20, 10, 5]
_IDS = [f"K{i:02d}" for i in range(1, 11)]


def _worked_revenue() -> list[tuple[object, ...]]:
    # Each account's 2024 revenue is split over two products, so the case also
    # checks the sum over products; a 2023 row is outside the default range.
    rows: list[tuple[object, ...]] = []
    for account, value in zip(_IDS, _WORKED, strict=True):
        rows.append((account, "2024", "P1", Decimal(value) - 1))
        rows.append((account, "2024", "P2", 1))
    rows.append(("K10", "2023", "P1", 999))
    return rows


_ACCOUNTS = [(a, f"Account {a}", "active") for a in _IDS] + [
    ("K11", "Account K11", "active"),
    ("K12", "Account K12", "churned"),
]


def _pareto_rows(
    ids: Sequence[str], values: Sequence[int], k: int
) -> list[dict[str, object]]:
    return [
        {"rank": r, "account_id": a, "value": str(v), "vital_few": r <= k}
        for r, (a, v) in enumerate(zip(ids, values, strict=True), 1)
    ]


def _abc_rows(period: str, ids: Sequence[str], classes: str) -> list[dict[str, object]]:
    return [
        {"period": period, "rank": r, "account_id": a, "class": c}
        for r, (a, c) in enumerate(zip(ids, classes, strict=True), 1)
    ]


_WORKED_SUMMARY: dict[str, object] = {
    "total": "1000.00",
    "k": 4,
    "cum_share_at_k": 0.85,
    "hhi": 0.24855,
    "top1_share": 0.40,
    "top5_share": 0.90,
    "top10_share": 1.0,
    "period_from": "2024",
    "period_to": "2024",
}

_MRR_ROWS: list[tuple[object, ...]] = [
    ("M1", f"{y}-{m:02d}", "base", 100)
    for y, m in [(2023, 7), (2023, 8), (2023, 9), (2023, 10), (2023, 11), (2023, 12)]
    + [(2024, m) for m in range(1, 7)]
    if (y, m) != (2023, 7)
] + [
    ("M1", "2023-07", "base", 60),
    ("M1", "2023-07", "premium", 40),
    ("M2", "2023-06", "base", 999),
    *[("M2", f"2024-{m:02d}", "base", 50) for m in range(1, 7)],
    ("M3", "2024-07", "base", 500),
]

_MIGRATION_REVENUE: list[tuple[object, ...]] = [
    ("K01", "2023", "P1", 60),
    ("K02", "2023", "P1", 25),
    ("K03", "2023", "P1", 10),
    ("K04", "2023", "P1", 5),
    ("K02", "2024-01", "P1", 30),
    ("K02", "2024-07", "P1", 30),
    ("K04", "2024-03", "P1", 25),
    ("K01", "2024-12", "P1", 10),
    ("K05", "2024-05", "P1", 5),
]

CASES: list[GoldenCase] = [
    GoldenCase(
        name="pareto_worked_check",
        analysis="pareto",
        tables={"revenue": _worked_revenue(), "accounts": _ACCOUNTS},
        params={"include_zero": "false"},
        note="analyses.md §1: cum shares .40 .65 .77 .85 → k = 4; HHI = .16 + .0625 "
        "+ .0144 + .0064 + .0025 + .0016 + .000625 + .0004 + .0001 + .000025 = "
        ".24855; Gini = 5910 / (10 · 1000) = .591; the default range is 2024, the "
        "last complete year (the 2023 row is outside it).",
        summary={
            **_WORKED_SUMMARY,
            "accounts": 10,
            "gini": 0.591,
            "headline": "4 of 10 accounts (40 %) make 85.0 % of revenue",
        },
        rows=_pareto_rows(_IDS, _WORKED, 4),
    ),
    GoldenCase(
        name="pareto_include_zero_adds_active_accounts_only",
        analysis="pareto",
        tables={"revenue": _worked_revenue(), "accounts": _ACCOUNTS},
        params={},
        note="K11 (active, no revenue) joins at 0 as rank 11; K12 is churned. Gini "
        "with n = 11, ascending 0, 5, …, 400 and weights 2i − 12: 6910 / 11000.",
        summary={
            **_WORKED_SUMMARY,
            "accounts": 11,
            "k_share": 4 / 11,
            "gini": 6910 / 11000,
            "headline": "4 of 11 accounts (36.4 %) make 85.0 % of revenue",
        },
        rows=_pareto_rows([*_IDS, "K11"], [*_WORKED, 0], 4),
    ),
    GoldenCase(
        name="pareto_mrr_fiscal_year_from_july",
        analysis="pareto",
        tables={"mrr": _MRR_ROWS},
        params={"metric": "mrr", "fiscal_year_start": "7", "include_zero": "no"},
        note="FY 2024 = 2023-07 … 2024-06 (named by the year it ends in) is the last "
        "complete one before 2024-07; M1 = 12 × 100 (July split over two plans), "
        "M2 = 6 × 50 (its 2023-06 row is FY 2023), M3 only in FY 2025. Shares .8/.2: "
        "k = 1; HHI .68; Gini (1200 − 300) / (2 · 1500) = .3.",
        summary={
            "accounts": 2,
            "total": "1500.00",
            "k": 1,
            "hhi": 0.68,
            "gini": 0.3,
            "headline": "1 of 2 accounts (50 %) make 80.0 % of MRR",
            "period_from": "2024",
            "period_to": "2024",
        },
        rows=_pareto_rows(["M1", "M2"], [1200, 300], 1),
    ),
    GoldenCase(
        name="abc_worked_check_upper",
        analysis="abc",
        tables={"revenue": _worked_revenue(), "accounts": _ACCOUNTS},
        params={"period_from": "2024", "period_to": "2024"},
        note="cumulative share before each account: 0 .40 .65 .77 .85 .90 .94 .965 "
        ".985 .995 → A while < .80, B while < .95: the 4th account (.77) is A.",
        summary={"classes": {"A": 4, "B": 3, "C": 3}, "periods": ["2024"]},
        rows=_abc_rows("2024", _IDS, "AAAABBBCCC")
        + _abc_rows("pooled", _IDS, "AAAABBBCCC"),
    ),
    GoldenCase(
        name="abc_worked_check_strict",
        analysis="abc",
        tables={"revenue": _worked_revenue()},
        params={"period_from": "2024", "period_to": "2024", "boundary": "strict"},
        note="cumulative share including each account: .40 .65 .77 .85 .90 .94 .965 "
        "… → A while ≤ .80, B while ≤ .95: the 4th account (.85) is B.",
        summary={"classes": {"A": 3, "B": 3, "C": 4}},
        rows=_abc_rows("2024", _IDS, "AAABBBCCCC")
        + _abc_rows("pooled", _IDS, "AAABBBCCCC"),
    ),
    GoldenCase(
        name="abc_two_years_with_migration",
        analysis="abc",
        tables={"revenue": _MIGRATION_REVENUE},
        params={},
        note="2023: K01 60, K02 25, K03 10, K04 5 → before-shares 0 .60 .85 .95 → "
        "A A B C. 2024 (months summed): K02 60, K04 25, K01 10, K05 5 → "
        "0 .60 .85 .95 → A A B C. Pooled: K02 85, K01 70, K04 30, K03 10, "
        "K05 5 of 200 → 0 .425 .775 .925 .975 → A A A B C. K04 C→A upgrade, "
        "K01 A→B downgrade, K03 lost, K05 new.",
        summary={
            "periods": ["2023", "2024"],
            "classes": {"A": 3, "B": 1, "C": 1},
            "upgrades": 1,
            "downgrades": 1,
            "total": "200.00",
        },
        rows=[
            *_abc_rows("2023", ["K01", "K02", "K03", "K04"], "AABC"),
            *[
                {**r, "previous_class": p}
                for r, p in zip(
                    _abc_rows("2024", ["K02", "K04", "K01", "K05"], "AABC"),
                    ["A", "C", "A", "new"],
                    strict=True,
                )
            ],
            *_abc_rows("pooled", ["K02", "K01", "K04", "K03", "K05"], "AAABC"),
        ],
        extra={
            "migration": [
                {
                    "from_class": "A",
                    "to_class": "A",
                    "accounts": 1,
                    "value_before": "25",
                    "value_after": "60",
                },
                {
                    "from_class": "A",
                    "to_class": "B",
                    "accounts": 1,
                    "value_before": "60",
                    "value_after": "10",
                },
                {
                    "from_class": "B",
                    "to_class": "lost",
                    "accounts": 1,
                    "value_before": "10",
                    "value_after": "0",
                },
                {
                    "from_class": "C",
                    "to_class": "A",
                    "accounts": 1,
                    "value_before": "5",
                    "value_after": "25",
                },
                {
                    "from_class": "new",
                    "to_class": "C",
                    "accounts": 1,
                    "value_before": "0",
                    "value_after": "5",
                },
                {"from_class": "B", "to_class": "B", "accounts": 0},
            ],
            "upgrades": [{"account_id": "K04", "from_class": "C", "to_class": "A"}],
            "downgrades": [{"account_id": "K01", "from_class": "A", "to_class": "B"}],
        },
    ),
    GoldenCase(
        name="abc_count_basis",
        analysis="abc",
        tables={
            "revenue": [
                (f"K0{i}", "2024", "P1", v)
                for i, v in enumerate([70, 60, 50, 40, 30, 20, 10], 1)
            ]
        },
        params={"basis": "count"},
        note="7 accounts, upper rule on the share of accounts ranked before: "
        "(r − 1)/7 < .2 for r ≤ 2 → A; < .5 for r ≤ 4 → B; the rest C.",
        summary={"classes": {"A": 2, "B": 2, "C": 3}},
        rows=_abc_rows("2024", [f"K0{i}" for i in range(1, 8)], "AABBCCC")
        + _abc_rows("pooled", [f"K0{i}" for i in range(1, 8)], "AABBCCC"),
    ),
]
