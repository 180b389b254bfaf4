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
from datetime import date
from decimal import Decimal
from pathlib import Path
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


def preaggregated_ledger(
    folder: Path, kind: str, sheet: str, rows: Sequence[Sequence[object]]
) -> Path:
    """A ``parquet:FOLDER`` ledger in the new folder ``folder``: the rows of
    ``kind`` as ``<sheet>.parquet``, an Accounts sheet naming each of their
    accounts ``Account <id>``, and the derived tables written beside them."""
    import pyarrow.parquet as pq

    from kam.engine.core import derive
    from kam.engine.sources import write_derived

    folder.mkdir()
    pq.write_table(arrow_table(kind, rows), folder / f"{sheet}.parquet")
    ids = sorted({str(r[0]) for r in rows})
    pq.write_table(
        pa.table({"account_id": ids, "name": [f"Account {a}" for a in ids]}),
        folder / "Accounts.parquet",
    )
    write_derived(folder, derive)
    return folder


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
    GoldenCase(
        name="abc_xyz_on_the_boundaries",
        analysis="abc",
        tables={
            "revenue": [
                (account, f"2024-{m:02d}", "P1", Decimal(v))
                for account, series in (
                    ("KX", ["10"] * 6),
                    ("KY", ["0.09"] * 3 + ["0.03"] * 3),
                    ("KZ", ["0.10"] * 3 + ["0"] * 3),
                )
                for m, v in enumerate(series, 1)
                if Decimal(v)
            ]
        },
        params={"period_from": "2024-01", "period_to": "2024-06", "xyz": True},
        note="Six months. KX steady: CV 0 → X. KY 0.09 ×3, 0.03 ×3: μ 0.06, "
        "σ 0.03 → CV exactly 0.5 → Y (not X). KZ 0.10 ×3, nothing ×3: μ 0.05, "
        "σ 0.05 → CV exactly 1 → Z (not Y). Summing the months as floats puts KY "
        "at 0.4999… and KZ at 0.9999…, one letter too steady.",
        summary={"xyz": {"X": 1, "Y": 1, "Z": 1}},
        rows=[
            *_abc_rows("2024", ["KX", "KY", "KZ"], "ACC"),
            *[
                {**r, "cv": cv, "xyz": x}
                for r, cv, x in zip(
                    _abc_rows("pooled", ["KX", "KY", "KZ"], "ACC"),
                    [0.0, 0.5, 1.0],
                    "XYZ",
                    strict=True,
                )
            ],
        ],
    ),
]

# The planning sheets (timeline, responsibilities, division map, plans).
SCHEMAS.update(
    {
        "tasks": pa.schema(
            [
                ("task_id", pa.string()),
                ("account_id", pa.string()),
                ("name", pa.string()),
                ("phase", pa.string()),
                ("owner", pa.string()),
                ("start", pa.date32()),
                ("duration_days", pa.int64()),
                ("predecessors", pa.string()),
                ("percent_complete", pa.float64()),
                ("baseline_finish", pa.date32()),
            ]
        ),
        "responsibilities": pa.schema(
            [
                ("activity", pa.string()),
                ("account_id", pa.string()),
                ("role", pa.string()),
                ("code", pa.string()),
            ]
        ),
        "units": pa.schema(
            [
                ("unit_id", pa.string()),
                ("account_id", pa.string()),
                ("name", pa.string()),
                ("parent_unit_id", pa.string()),
                ("kind", pa.string()),
            ]
        ),
        "coverage": pa.schema(
            [
                ("unit_id", pa.string()),
                ("product", pa.string()),
                ("status", pa.string()),
                ("current_revenue", MONEY),
                ("potential_revenue", MONEY),
                ("competitor", pa.string()),
                ("probability", pa.float64()),
                ("owner", pa.string()),
            ]
        ),
        "charter": pa.schema(
            [
                ("account_id", pa.string()),
                ("section", pa.string()),
                ("field", pa.string()),
                ("value", pa.string()),
                ("owner", pa.string()),
                ("reviewed_on", pa.date32()),
            ]
        ),
        "objectives": pa.schema(
            [
                ("objective_id", pa.string()),
                ("account_id", pa.string()),
                ("objective", pa.string()),
                ("metric", pa.string()),
                ("target", pa.float64()),
                ("due", pa.date32()),
                ("owner", pa.string()),
                ("status", pa.string()),
            ]
        ),
    }
)

#: A 3 × 4 division map: U1 (division) over the sites U2 and U3, products P1–P4;
#: K02's site V1 owns P4 (a lookalike from another account).
DIVISION_UNITS: list[tuple[object, ...]] = [
    ("U1", "K01", "Group", None, "division"),
    ("U2", "K01", "North site", "U1", "site"),
    ("U3", "K01", "South site", "U1", "site"),
    ("V1", "K02", "Other site", None, "site"),
]
# unit, product, status, current, potential, competitor, probability, owner
DIVISION_COVERAGE: list[tuple[object, ...]] = [
    ("U1", "P1", "owned", 100, 150, None, None, "M1"),
    ("U1", "P2", "whitespace", 0, 80, None, None, None),
    ("U1", "P3", "not_eligible", None, None, None, None, None),
    ("U1", "P4", "pipeline", 0, 200, None, 0.5, "M1"),
    ("U2", "P1", "owned", 50, 60, None, None, "M1"),
    ("U2", "P2", "owned", 40, 50, None, None, "M1"),
    ("U2", "P3", "competitor", 0, 120, "Rival", None, None),
    ("U2", "P4", "whitespace", 0, 70, None, None, None),
    ("U3", "P1", "whitespace", 0, 90, None, None, None),
    ("U3", "P2", "owned", 30, 40, None, None, "M1"),
    ("U3", "P3", "not_eligible", None, None, None, None, None),
    ("U3", "P4", "pipeline", 0, 100, None, 0.2, None),
    ("V1", "P4", "owned", 10, 20, None, None, None),
]

_RACI_ROWS: list[tuple[object, ...]] = [
    ("Plan", "K01", "KAM", "A/R"),
    ("Plan", "K01", "Sales", "C"),
    ("Review", "K01", "Sales", "A"),
    ("Review", "K01", "KAM", "R"),
    ("Review", "K01", "Sponsor", "I"),
    ("Audit", "K01", "KAM", "R"),
    ("Audit", "K01", "Sponsor", "C"),
    ("Select", None, "Finance", "A/R"),
]

CASES.extend(
    [
        GoldenCase(
            name="division_map_three_by_four_grid",
            analysis="division_map",
            tables={"units": DIVISION_UNITS, "coverage": DIVISION_COVERAGE},
            params={"account": "K01"},
            note="10 eligible cells, 4 owned → 0.4; current 220 of potential 960; "
            "whitespace 80 + 120 + 70 + 90 = 360; pipeline 0.5 × 200 + 0.2 × 100 = "
            "120. Gaps: U3P1 1 × 90, U1P2 1 × 80, U2P4 ½ × 70 (V1 owns P4), U2P3 "
            "no comparable unit → 0.",
            summary={
                "eligible": 10,
                "owned": 4,
                "penetration": 0.4,
                "share_of_wallet": 220 / 960,
                "whitespace_value": "360",
                "weighted_pipeline": "120",
                "units": 3,
            },
            rows=[
                {"unit_id": u, "product": p, "whitespace_value": w}
                for u, p, w in [
                    ("U1", "P1", "0"),
                    ("U1", "P2", "80"),
                    ("U1", "P3", "0"),
                    ("U1", "P4", "0"),
                    ("U2", "P1", "0"),
                    ("U2", "P2", "0"),
                    ("U2", "P3", "120"),
                    ("U2", "P4", "70"),
                    ("U3", "P1", "90"),
                    ("U3", "P2", "0"),
                    ("U3", "P3", "0"),
                    ("U3", "P4", "0"),
                ]
            ],
            extra={
                "gaps": [
                    {"rank": 1, "unit_id": "U3", "product": "P1", "score": 90.0},
                    {"rank": 2, "unit_id": "U1", "product": "P2", "score": 80.0},
                    {"rank": 3, "unit_id": "U2", "product": "P4", "score": 35.0},
                    {"rank": 4, "unit_id": "U2", "product": "P3", "score": 0.0},
                ],
                "units": [
                    {"unit_id": "U2", "penetration": 0.5, "share_of_wallet": 0.3}
                ],
            },
        ),
        GoldenCase(
            name="responsibilities_missing_a_and_workload",
            analysis="responsibilities",
            tables={"responsibilities": _RACI_ROWS},
            params={"account": "K01"},
            note="Audit has an R but no A → one error; Finance (coded only on the "
            "programme) has no assignment here → a warning. KAM: A/R + R + R → "
            "r 3, a 1, load 3; Sales: C + A → load 1.5; Sponsor: I + C → load 0.5.",
            summary={"activities": 3, "roles": 4, "valid": False, "errors": 1},
            rows=[
                {"role": "Finance", "assignments": 0, "load": 0.0},
                {"role": "KAM", "r": 3, "a": 1, "c": 0, "i": 0, "load": 3.0},
                {"role": "Sales", "r": 0, "a": 1, "c": 1, "load": 1.5},
                {"role": "Sponsor", "c": 1, "i": 1, "load": 0.5},
            ],
            extra={
                "issues": [
                    {"severity": "error", "rule": "one_a", "activity": "Audit"},
                    {
                        "severity": "warning",
                        "rule": "unassigned_role",
                        "role": "Finance",
                    },
                ]
            },
        ),
    ]
)

# The selection sheets (scoring and profit matrices). The Profit schema carries
# list revenue and the cost-to-serve parts as well.
SCHEMAS.update(
    {
        "criteria": pa.schema(
            [
                ("criterion_id", pa.string()),
                ("section", pa.string()),
                ("name", pa.string()),
                ("weight", pa.float64()),
            ]
        ),
        "scores": pa.schema(
            [
                ("account_id", pa.string()),
                ("criterion_id", pa.string()),
                ("score", pa.float64()),
                ("rater", pa.string()),
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
                ("list_revenue", MONEY),
                ("cts_presale", MONEY),
                ("cts_production", MONEY),
                ("cts_distribution", MONEY),
                ("cts_postsale", MONEY),
            ]
        ),
    }
)

_CRITERIA: list[tuple[object, ...]] = [
    ("G1", "growth", "Revenue potential", 0.15),
    ("G2", "growth", "Market position", 0.35),
    ("G3", "growth", "Share of wallet", 0.20),
    ("G4", "growth", "Growth rate", 0.30),
    ("H1", "harmony", "Shared values", 50),
    ("H2", "harmony", "Access to decision makers", 50),
]


def _scores(account: str, growth: Sequence[int], harmony: Sequence[int]) -> list[Any]:
    ids = ["G1", "G2", "G3", "G4", "H1", "H2"]
    xs = [*growth, *harmony]
    return [(account, c, float(x), "ANN") for c, x in zip(ids, xs, strict=True)]


def _profit(
    account: str, product: str, list_: int, net: int, cogs: int, cts: int | None
) -> tuple[object, ...]:
    return (account, "2024", product, net, cogs, cts, list_, None, None, None, None)


CASES += [
    GoldenCase(
        name="scoring_worked_check_with_raters_ties_and_classes",
        analysis="scoring",
        tables={
            "criteria": _CRITERIA,
            "scores": [
                # S1's H1 has two raters, 4 and 8: mean 6, spread 4 > 3 flagged.
                *[r for r in _scores("S1", (8, 3, 2, 1), (6, 8)) if r[1] != "H1"],
                ("S1", "H1", 4.0, "ANN"),
                ("S1", "H1", 8.0, "BOB"),
                *_scores("S2", (4, 6, 8, 3), (4, 5)),
                *_scores("S3", (4, 6, 8, 3), (4, 5)),
            ],
            "revenue": [
                ("S1", "2024", "P1", 100),
                ("S2", "2024", "P1", 50),
                ("S3", "2024", "P1", 850),
            ],
            "accounts": [
                ("S1", "Account S1", "active"),
                ("S2", "Account S2", "active"),
                ("S3", "Account S3", "active"),
            ],
        },
        params={},
        note="growth S1 = .15·8 + .35·3 + .20·2 + .30·1 = 2.95, S2 = S3 = .6 + 2.1 + "
        "1.6 + .9 = 5.20; harmony (weights 50/50) S1 = (6 + 8)/2 = 7, S2 = S3 = 4.5; "
        "overall (equal section weights, no value-creation criteria) S1 = 4.975, "
        "S2 = S3 = 4.85 → ranks 1, 2, 2. Revenue 850/100/50 of 1000: before-shares "
        "0 (S3), .85 (S1), .95 (S2) → A, B, C. Quadrants at 5.5: S1 low growth, high "
        "harmony = maintain; S2 both low. No ±20 % weight change reverses S1 ahead "
        "of S2 (the closest, G1 × 0.8, leaves S1 ahead by .028).",
        summary={
            "accounts": 3,
            "criteria": 6,
            "tied": 2,
            "disagreements": 1,
            "perturbations": 12,
            "unstable": 0,
            "revenue_range": "2024",
        },
        rows=[
            {
                "rank": 1,
                "account_id": "S1",
                "name": "Account S1",
                "score": "4.975",
                "growth": "2.95",
                "harmony": "7",
                "tied": False,
                "disagreements": 1,
                "quadrant": "maintain",
                "abc_class": "B",
                "revenue": "100",
                "rank_change_share": 0.0,
                "rank_min": 1,
                "rank_max": 1,
            },
            *[
                {
                    "rank": 2,
                    "account_id": a,
                    "score": "4.85",
                    "growth": "5.20",
                    "harmony": "4.5",
                    "tied": True,
                    "quadrant": "deprioritise",
                    "abc_class": c,
                    "rank_change_share": 0.0,
                    "rank_max": 2,
                }
                for a, c in (("S2", "C"), ("S3", "A"))
            ],
        ],
        extra={
            "criteria": [{"criterion_id": "G1", "mean_score": "5.333333"}],
            "disagreements": [
                {"account_id": "S1", "criterion_id": "H1", "spread": "4"}
            ],
        },
    ),
    GoldenCase(
        name="scoring_rank_stability_with_a_tie_under_perturbation",
        analysis="scoring",
        tables={
            "criteria": [
                ("G1", "growth", "a", 0.5),
                ("G2", "growth", "b", 0.5),
            ],
            "scores": [
                ("A", "G1", 10.0, "ANN"),
                ("A", "G2", 1.0, "ANN"),
                ("B", "G1", 5.0, "ANN"),
                ("B", "G2", 5.0, "ANN"),
            ],
        },
        params={"missing": "skip"},
        note="A = 5.5, B = 5. G1 × 0.8: A = (4 + .5)/.9 = 5 ties B (both rank 1); "
        "G1 × 1.2: 6.5/1.1; G2 × 1.2: 5.6/1.1; G2 × 0.8: 5.4/.9 keep A first. B "
        "changes rank in 1 of 4 perturbations.",
        summary={"perturbations": 4, "unstable": 1},
        rows=[
            {"account_id": "A", "score": "5.50", "rank_change_share": 0.0},
            {
                "account_id": "B",
                "score": "5.00",
                "rank_change_share": 0.25,
                "rank_min": 1,
                "rank_max": 2,
            },
        ],
    ),
    GoldenCase(
        name="profit_matrix_quadrants_whale_and_grid",
        analysis="profit",
        tables={
            "profit": [
                _profit("A", "P1", 120, 100, 40, 10),
                _profit("B", "P1", 100, 100, 30, 50),
                _profit("C", "P2", 200, 150, 100, 80),
                # D's cost to serve comes from its parts: 1 + 1 + 2 + 1 = 5.
                ("D", "2024", "P2", 40, 10, None, 50, 1, 1, 2, 1),
                _profit("E", "P1", 10, 0, 0, 0),
                ("A", "2023", "P1", 999, 0, 0, 999, None, None, None, None),
            ],
        },
        params={},
        note="profit A 100 − 40 − 10 = 50, D 40 − 10 − 5 = 25, B 20, C −30; total "
        "65, running 50 75 95 65 → peak 95/65 after 3 accounts, 1 loss-maker, 30 "
        "eroded. NPI medians (.8 + .8333)/2, CTS% (.125 + .5)/2 = .3125. E (net 0) "
        "is listed apart; the 2023 row is outside the default range (2024). P1 "
        "margin 70/200, P2 −5/190 → classes 1 and 2.",
        summary={
            "accounts": 4,
            "excluded": 1,
            "total_profit": "65.00",
            "peak_share": 95 / 65,
            "peak_accounts": 3,
            "loss_makers": 1,
            "profit_eroded": "30.00",
            "cts_cutoff": 0.3125,
            "range": "2024",
        },
        rows=[
            {
                "rank": 1,
                "account_id": "A",
                "profit": "50",
                "quadrant": "passive",
                "customer_class": "A",
                "cum_profit_share": 50 / 65,
                "npi": 100 / 120,
            },
            {
                "rank": 2,
                "account_id": "D",
                "cost_to_serve": "5",
                "quadrant": "bargain basement",
                "customer_class": "B",
                "cum_profit_share": 75 / 65,
            },
            {"rank": 3, "account_id": "B", "quadrant": "carriage trade"},
            {
                "rank": 4,
                "account_id": "C",
                "profit": "-30",
                "quadrant": "aggressive",
                "customer_class": "D",
                "cum_profit_share": 1.0,
                "account_share": 1.0,
            },
        ],
        extra={
            "grid": [
                {
                    "customer_class": "A",
                    "product_class": 1,
                    "pairs": 1,
                    "net_revenue": "100",
                    "policy": "perfection / never miss",
                },
                {"customer_class": "D", "product_class": 2, "profit": "-30"},
                {
                    "customer_class": "D",
                    "product_class": 4,
                    "pairs": 0,
                    "policy": "tough it out / outsource",
                },
            ],
            "excluded": [{"account_id": "E", "net_revenue": "0"}],
        },
    ),
]

# The textbook network of test_timeline.py (day 0 = Monday 2026-01-05; H must start
# on day 9 but its chain reaches day 11): task, duration, predecessors, fixed start.
_NETWORK: list[tuple[str, int, str | None, date | None]] = [
    ("A", 3, None, date(2026, 1, 5)),
    ("B", 4, "A", None),
    ("C", 2, "A SS+1", None),
    ("D", 5, "B FS-1", None),
    ("E", 3, "C FF+2", None),
    ("F", 2, "E SF+4", None),
    ("G", 0, "D; F", None),
    ("H", 2, "G", date(2026, 1, 16)),
    ("I", 1, "C", None),
]

CASES.extend(
    [
        GoldenCase(
            name="timeline_textbook_network",
            analysis="timeline",
            tables={
                "tasks": [
                    (t, "K01", f"Task {t}", "Build", "M1", s, d, p, None, None)
                    for t, d, p, s in _NETWORK
                ]
            },
            params={"account": "K01", "as_of": "2026-01-02"},
            note="See test_timeline.py: ES/LS/TF/FF per task by hand; the fixed "
            "start of H gives the chain A B D G H a float of −2.",
            summary={
                "critical_path": ["A", "B", "D", "G", "H"],
                "working_days": 13,
                "project_finish": date(2026, 1, 21),
            },
            rows=[
                {"task_id": t, "early_start": es, "total_float": tf, "free_float": ff}
                for t, es, tf, ff in [
                    ("A", date(2026, 1, 5), -2, 0),
                    ("C", date(2026, 1, 6), 3, 0),
                    ("E", date(2026, 1, 7), 3, 0),
                    ("B", date(2026, 1, 8), -2, 0),
                    ("I", date(2026, 1, 8), 9, 9),
                    ("F", date(2026, 1, 9), 3, 5),
                    ("D", date(2026, 1, 13), -2, 0),
                    ("G", date(2026, 1, 20), -2, 0),
                    ("H", date(2026, 1, 20), -2, 0),
                ]
            ],
        ),
        GoldenCase(
            name="plans_account_plan_with_actions",
            analysis="plans",
            tables={
                "charter": [
                    ("K01", "summary", "headline", "Win", "M1", date(2026, 6, 1)),
                    ("K01", "swot", "strengths", "Trusted", "M1", date(2026, 1, 2)),
                    ("K01", "swot", "threats", None, "M1", date(2026, 6, 1)),
                    ("K01", "actions", "call", "Call the CIO", None, date(2026, 6, 1)),
                    ("K02", "summary", "headline", "Other", "M1", date(2026, 6, 1)),
                ],
                "objectives": [
                    ("O1", "K01", "Grow", None, 1.0, date(2026, 12, 1), "M1", "open"),
                ],
            },
            params={"account": "K01", "as_of": "2026-06-30"},
            note="12 plan sections: summary 1, swot ½, actions 1, objectives (data) "
            "1 → 3.5 / 12. swot's oldest review 2 January is 179 days old → stale; "
            "the action has no owner; O1 has no metric.",
            summary={
                "completeness": 3.5 / 12,
                "stale_sections": ["swot"],
                "actions_without_owner": ["call"],
                "flagged_objectives": ["O1"],
            },
            rows=[
                {"section": "summary", "completeness": 1.0, "days_since_review": 29},
                {"section": "profile", "completeness": 0.0},
                {"section": "history", "completeness": 0.0, "source": "data"},
                {"section": "relationship_map", "completeness": 0.0},
                {"section": "customer_objectives", "completeness": 0.0},
                {"section": "swot", "completeness": 0.5, "stale": True},
                {"section": "whitespace", "completeness": 0.0},
                {"section": "objectives", "completeness": 1.0},
                {"section": "strategy", "completeness": 0.0},
                {"section": "actions", "completeness": 1.0, "stale": False},
                {"section": "risks", "completeness": 0.0},
                {"section": "review_cadence", "completeness": 0.0},
            ],
        ),
    ]
)

CASES.append(
    GoldenCase(
        name="scoring_median_of_three_raters",
        analysis="scoring",
        tables={
            "criteria": [("G1", "growth", "a", 1.0)],
            "scores": [
                ("A", "G1", 9.0, "CY"),
                ("A", "G1", 2.0, "ANN"),
                ("A", "G1", 7.0, "BOB"),
                ("B", "G1", 5.0, "ANN"),
                ("B", "G1", 8.0, "BOB"),
            ],
        },
        params={"aggregate_raters": "median"},
        note="A: median of 2, 7, 9 = 7 (mean would be 6), spread 7 > 3 flagged; B: "
        "median of 5 and 8 = 6.5.",
        summary={"disagreements": 1},
        rows=[
            {"rank": 1, "account_id": "A", "score": "7", "disagreements": 1},
            {"rank": 2, "account_id": "B", "score": "6.5", "disagreements": 0},
        ],
    )
)

# Cases kept in their own modules, one per family of analyses (imported last: they use
# the helpers above).
from tests.analysis import golden_dashboards, golden_health  # noqa: E402

CASES += golden_dashboards.CASES + golden_health.CASES
