"""Golden cases for the dashboards analyses, appended to ``golden.CASES``.

The MRR and retention cases share one hand-built history (``_HISTORY``), worked out
month by month in its comment.
"""

from __future__ import annotations

from datetime import date

import pyarrow as pa

from tests.analysis.golden import SCHEMAS, GoldenCase

SCHEMAS.update(
    {
        "risks": pa.schema(
            [
                ("account_id", pa.string()),
                ("flagged_on", pa.date32()),
                ("level", pa.string()),
                ("reason", pa.string()),
                ("owner", pa.string()),
                ("resolved_on", pa.date32()),
            ]
        ),
    }
)

#: Every movement kind (months 2024-01 … 2024-05, MRR by account and plan):
#:
#: - Jan: E 50, C 200, X 40, P 70 + 30 → end 390, all new (4 accounts).
#: - Feb: N new 100; E +30 (expansion); C −50 (contraction); X churns 40; P 100.
#:   390 + 100 + 30 − 50 − 40 = 430; quick ratio 130 / 90.
#: - Mar: P drops its addon 30 while its base 70 continues → contraction 30, not
#:   churn: 430 − 30 = 400.
#: - Apr: X is back at 60 after a two-month gap → reactivation: 400 + 60 = 460.
#: - May: N goes to zero (an explicit 0 row) → churn 100: 460 − 100 = 360.
HISTORY: list[tuple[object, ...]] = [
    ("E", "2024-01", "base", 50),
    ("C", "2024-01", "base", 200),
    ("X", "2024-01", "base", 40),
    ("P", "2024-01", "base", 70),
    ("P", "2024-01", "addon", 30),
    ("N", "2024-02", "base", 100),
    ("E", "2024-02", "base", 80),
    ("C", "2024-02", "base", 150),
    ("P", "2024-02", "base", 70),
    ("P", "2024-02", "addon", 30),
    *[
        (a, m, "base", v)
        for m in ("2024-03", "2024-04", "2024-05")
        for a, v in (("E", 80), ("C", 150), ("P", 70))
    ],
    ("N", "2024-03", "base", 100),
    ("N", "2024-04", "base", 100),
    ("N", "2024-05", "base", 0),
    ("X", "2024-04", "base", 60),
    ("X", "2024-05", "base", 60),
]

#: The retention worked check (analyses.md §5): in January A 50, B 10, C 20, D 20
#: (start 100); in February B is gone (churn 10), C 10 (contraction 10), D 30
#: (expansion 10) → GRR (100 − 10 − 10) / 100 = 80 %, NRR (100 + 10 − 10 − 10) / 100
#: = 90 %, CRR (3 − 0) / 4 = 75 %.
WORKED: list[tuple[object, ...]] = [
    ("A", "2024-01", "base", 50),
    ("B", "2024-01", "base", 10),
    ("C", "2024-01", "base", 20),
    ("D", "2024-01", "base", 20),
    ("A", "2024-02", "base", 50),
    ("C", "2024-02", "base", 10),
    ("D", "2024-02", "base", 30),
]

CASES: list[GoldenCase] = [
    GoldenCase(
        name="mrr_bridge_every_movement_kind",
        analysis="mrr_bridge",
        tables={"mrr": HISTORY},
        params={},
        note="see HISTORY",
        summary={
            "start": "0.00",
            "end": "360.00",
            "new": "490.00",
            "expansion": "30.00",
            "reactivation": "60.00",
            "contraction": "80.00",
            "churn": "140.00",
            "quick_ratio": 580 / 220,
        },
        rows=[
            {
                "month": "2024-01",
                "start": "0.00",
                "new": "390.00",
                "end": "390.00",
                "accounts_new": 4,
                "accounts_end": 4,
            },
            {
                "month": "2024-02",
                "start": "390.00",
                "new": "100.00",
                "expansion": "30.00",
                "contraction": "50.00",
                "churn": "40.00",
                "end": "430.00",
                "accounts_churn": 1,
                "quick_ratio": 130 / 90,
            },
            {
                "month": "2024-03",
                "start": "430.00",
                "contraction": "30.00",
                "churn": "0.00",
                "end": "400.00",
                "accounts_contraction": 1,
            },
            {
                "month": "2024-04",
                "reactivation": "60.00",
                "end": "460.00",
                "accounts_reactivation": 1,
                "accounts_new": 0,
            },
            {
                "month": "2024-05",
                "churn": "100.00",
                "end": "360.00",
                "quick_ratio": 0.0,
            },
        ],
    ),
    GoldenCase(
        name="retention_worked_check",
        analysis="retention",
        tables={"mrr": WORKED},
        params={"period_from": "2024-02"},
        note="WORKED: GRR 80 %, NRR 90 %, CRR 75 %",
        summary={"period": "2024-02", "grr": 0.8, "nrr": 0.9, "crr": 0.75},
        rows=[
            {
                "period": "2024-02",
                "start": "100.00",
                "churn": "10.00",
                "contraction": "10.00",
                "expansion": "10.00",
                "end": "90.00",
                "accounts_start": 4,
                "accounts_end": 3,
                "grr": 0.8,
                "nrr": 0.9,
            }
        ],
    ),
    GoldenCase(
        name="cohorts_logo_and_revenue_with_blank_cells",
        analysis="cohorts",
        tables={
            "mrr": [
                ("A", "2024-01", "base", 10),
                ("B", "2024-01", "base", 30),
                ("A", "2024-02", "base", 10),
                ("C", "2024-02", "base", 20),
                ("A", "2024-03", "base", 5),
                ("B", "2024-03", "base", 30),
                ("C", "2024-03", "base", 20),
            ]
        },
        params={},
        note="cohort 2024-01: A, B (40); Feb A 10 → logo 1/2, revenue 10/40; Mar A 5 "
        "+ B 30 (back) → logo 1, revenue 35/40. Cohort 2024-02: C 20 → 1, 1; age 2 "
        "(2024-04) is past the data → blank.",
        summary={"cohorts": 2, "ages": 3},
        rows=[
            {
                "cohort": "2024-01",
                "age": 0,
                "logo_retention": 1.0,
                "revenue_retention": 1.0,
            },
            {
                "cohort": "2024-01",
                "age": 1,
                "accounts": 1,
                "value": "10.00",
                "logo_retention": 0.5,
                "revenue_retention": 0.25,
            },
            {
                "cohort": "2024-01",
                "age": 2,
                "accounts": 2,
                "logo_retention": 1.0,
                "revenue_retention": 0.875,
            },
            {
                "cohort": "2024-02",
                "age": 0,
                "cohort_accounts": 1,
                "cohort_value": "20.00",
            },
            {"cohort": "2024-02", "age": 1, "logo_retention": 1.0},
            {
                "cohort": "2024-02",
                "age": 2,
                "period": "2024-04",
                "accounts": None,
                "value": None,
                "logo_retention": None,
                "revenue_retention": None,
            },
        ],
    ),
    GoldenCase(
        name="mrr_by_plan_with_month_and_year_change",
        analysis="mrr",
        tables={
            "mrr": [
                ("A", "2023-03", "base", 100),
                ("A", "2024-02", "base", 100),
                ("B", "2024-02", "pro", 50),
                ("A", "2024-03", "base", 120),
                ("B", "2024-03", "pro", 50),
                ("B", "2024-03", "premium", 30),
            ]
        },
        params={},
        note="2024-03: 200 (base 120, pro 50, premium 30) → ARR 2400, mix .6/.25/.15; "
        "Feb 150 → +50 (+1/3); 2023-03 100 → +100 (+100 %). B counts once.",
        summary={
            "month": "2024-03",
            "mrr": "200.00",
            "arr": "2400.00",
            "accounts": 2,
            "change_month": "50.00",
            "change_month_pct": 50 / 150,
            "change_year_pct": 1.0,
            "headline": "MRR 200.00 in 2024-03, +33.3 % on the month, +100.0 % on "
            "the year",
        },
        rows=[
            {
                "plan": "base",
                "mrr": "120.00",
                "arr": "1440.00",
                "mix": 0.6,
                "mrr_previous": "100.00",
                "change_month_pct": 0.2,
                "mrr_year_ago": "100.00",
                "change_year": "20.00",
            },
            {
                "plan": "pro",
                "mix": 0.25,
                "change_month": "0.00",
                "mrr_year_ago": "0.00",
                "change_year_pct": None,
            },
            {
                "plan": "premium",
                "mix": 0.15,
                "mrr_previous": "0.00",
                "change_month_pct": None,
                "accounts": 1,
            },
        ],
    ),
    GoldenCase(
        name="slipping_drops_at_and_over_the_threshold",
        analysis="slipping",
        tables={
            "mrr": [
                ("S1", "2024-01", "base", 100),
                ("S2", "2024-01", "base", 100),
                ("S3", "2024-01", "base", 100),
                ("S4", "2024-01", "base", 50),
                ("S1", "2024-02", "base", 79),
                ("S2", "2024-02", "base", 80),
                ("S3", "2024-02", "base", 81),
            ]
        },
        params={},
        note="S4 50 → 0 (100 %), S1 −21 %, S2 −20 % (at the threshold) are listed; "
        "S3 −19 % is not. Classes: Jan S1, S2, S3 A (before 0, .29, .57), S4 B "
        "(.86); Feb S3, S2, S1 all A (before 0, .34, .67): no downgrade.",
        summary={
            "accounts": 3,
            "value_drops": 3,
            "downgrades": 0,
            "value_lost": "91.00",
        },
        rows=[
            {
                "account_id": "S4",
                "change": "-50.00",
                "change_pct": -1.0,
                "previous_class": "B",
                "class": None,
                "value_drop": True,
            },
            {
                "account_id": "S1",
                "change": "-21.00",
                "value_drop": True,
                "downgrade": False,
            },
            {"account_id": "S2", "change": "-20.00", "change_pct": -0.2},
        ],
    ),
]

CASES += [
    GoldenCase(
        name="mrr_bridge_by_plan_and_range",
        analysis="mrr_bridge",
        tables={"mrr": HISTORY},
        params={"period_from": "2024-03", "by_plan": "true"},
        note="HISTORY from March: start 430 (February's end); in the addon's own "
        "bridge P's 30 leaves in March (churn of that plan), in the total bridge it "
        "is a contraction.",
        summary={"start": "430.00", "end": "360.00", "months": 3, "churn": "100.00"},
        rows=[
            {"month": "2024-03", "contraction": "30.00", "churn": "0.00"},
            {"month": "2024-04", "reactivation": "60.00"},
            {"month": "2024-05", "churn": "100.00"},
        ],
        extra={
            "by_plan": [
                {"plan": "addon", "month": "2024-03", "churn": "30.00", "end": "0.00"},
                {
                    "plan": "base",
                    "month": "2024-03",
                    "start": "400.00",
                    "end": "400.00",
                },
            ]
        },
    ),
    GoldenCase(
        name="retention_worked_check_by_quarter",
        analysis="retention",
        tables={
            "mrr": [(a, "2024-03", p, v) for a, _, p, v in WORKED[:4]]
            + [(a, "2024-06", p, v) for a, _, p, v in WORKED[4:]]
            + [("B", "2024-05", "base", 999)]
        },
        params={"grain": "quarter"},
        note="WORKED with March closing Q1 and June closing Q2; B's 999 in May is "
        "mid-quarter: Q2 GRR 80 %, NRR 90 %.",
        summary={"period": "2024-Q2", "grr": 0.8, "nrr": 0.9},
        rows=[
            {"period": "2024-Q1", "end": "100.00", "grr": None},
            {"period": "2024-Q2", "start": "100.00", "end": "90.00", "crr": 0.75},
        ],
    ),
    GoldenCase(
        name="slipping_lists_open_risks_only_while_open",
        analysis="slipping",
        tables={
            "mrr": [
                ("S1", "2024-01", "p", 100),
                ("S3", "2024-01", "p", 100),
                ("S1", "2024-02", "p", 100),
                ("S3", "2024-02", "p", 90),
            ],
            "risks": [
                ("S3", date(2024, 1, 5), "at_risk", "Budget cut", "M1", None),
                ("S1", date(2023, 6, 1), "watch", "Old", "M1", date(2023, 9, 1)),
            ],
        },
        params={},
        note="S3 −10 % (under 20 %) with an open risk is listed; S1's risk is "
        "resolved.",
        summary={"accounts": 1, "open_risks": 1, "value_drops": 0},
        rows=[
            {
                "account_id": "S3",
                "change": "-10.00",
                "open_risk": "at_risk: Budget cut",
                "why": "open risk (at_risk: Budget cut)",
            },
        ],
    ),
]
