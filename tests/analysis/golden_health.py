"""Golden cases for the health analyses, appended to ``golden.CASES``.

Upsell, onboarding, satisfaction, health and the at-risk queue: tiny inputs with
hand-computed results (see each case's ``note``), run on DuckDB, PostgreSQL and
PySpark alike.
"""

from __future__ import annotations

from datetime import date

import pyarrow as pa

from tests.analysis.golden import SCHEMAS, GoldenCase

SCHEMAS.update(
    {
        "products": pa.schema(
            [
                ("product", pa.string()),
                ("family", pa.string()),
                ("kind", pa.string()),
                ("tier", pa.int64()),
                ("premium", pa.bool_()),
            ]
        ),
        "onboarding": pa.schema(
            [
                ("account_id", pa.string()),
                ("stage", pa.string()),
                ("stage_entered_on", pa.date32()),
                ("target_go_live", pa.date32()),
                ("owner", pa.string()),
                ("completed_on", pa.date32()),
            ]
        ),
        "surveys": pa.schema(
            [
                ("account_id", pa.string()),
                ("answered_on", pa.date32()),
                ("instrument", pa.string()),
                ("score", pa.int64()),
            ]
        ),
        "signals": pa.schema(
            [
                ("account_id", pa.string()),
                ("as_of", pa.date32()),
                ("signal", pa.string()),
                ("value", pa.float64()),
            ]
        ),
        "health_model": pa.schema(
            [
                ("signal", pa.string()),
                ("weight", pa.float64()),
                ("good", pa.float64()),
                ("poor", pa.float64()),
            ]
        ),
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
_D = date

#: Revenue of fiscal 2024: A1 400, A2 200, A8 200, A3 100, A4 60, A6 40 (total 1000).
#: Upper rule at 0.80: shares before are 0, .4, .6 (A2 before A8 by id), .8 → A1, A2,
#: A8 are A; A3 is B.
_REVENUE: list[tuple[object, ...]] = [
    ("A1", "2024", "P", 400),
    ("A2", "2024", "P", 200),
    ("A8", "2024", "P", 200),
    ("A3", "2024", "P", 100),
    ("A4", "2024", "P", 60),
    ("A6", "2024", "P", 40),
]
#: MRR in 2024-12: A1 100 base + 20 premium, A2 50, A4 30 + 10 premium, A8 50, A3 a
#: zero row (not active); A5 only in 2024-11.
_MRR: list[tuple[object, ...]] = [
    ("A1", "2024-12", "BASE", 100),
    ("A1", "2024-12", "PREM", 20),
    ("A2", "2024-12", "BASE", 50),
    ("A3", "2024-12", "BASE", 0),
    ("A4", "2024-12", "BASE", 30),
    ("A4", "2024-12", "PREM", 10),
    ("A8", "2024-12", "BASE", 50),
    ("A5", "2024-11", "BASE", 70),
]
_PRODUCTS: list[tuple[object, ...]] = [
    ("BASE", "core", "plan", 1, False),
    ("PREM", "core", "addon", None, True),
]

CASES: list[GoldenCase] = [
    GoldenCase(
        name="upsell_attach_rate_and_a_candidates",
        analysis="upsell",
        tables={"revenue": _REVENUE, "mrr": _MRR, "products": _PRODUCTS},
        params={"as_of": "2025-01-15"},
        note="2024-12 (last month): active A1, A2, A4, A8 (A3 has 0); premium A1, A4 "
        "→ attach 2/4; premium MRR 30 of 260. A accounts A1, A2, A8; A1 has premium, "
        "so A2 and A8 (both 50, by id).",
        summary={
            "month": "2024-12",
            "active_accounts": 4,
            "premium_accounts": 2,
            "attach_rate": 0.5,
            "premium_mrr": "30.00",
            "total_mrr": "260.00",
            "candidates": 2,
            "candidates_mrr": "100.00",
        },
        rows=[
            {"rank": 1, "account_id": "A2", "abc_class": "A", "mrr": "50.00"},
            {"rank": 2, "account_id": "A8", "abc_class": "A", "mrr": "50.00"},
        ],
    ),
    GoldenCase(
        name="onboarding_stage_days_and_overdue",
        analysis="onboarding",
        tables={
            "onboarding": [
                ("B1", "kickoff", _D(2024, 1, 1), _D(2024, 3, 1), "M1", None),
                ("B1", "setup", _D(2024, 1, 20), _D(2024, 3, 1), "M1", None),
                ("B2", "kickoff", _D(2024, 1, 1), _D(2024, 3, 1), "M1", None),
                (
                    "B2",
                    "complete",
                    _D(2024, 3, 10),
                    _D(2024, 3, 1),
                    "M1",
                    _D(2024, 3, 10),
                ),
                ("B3", "kickoff", _D(2024, 3, 25), _D(2024, 5, 1), "M2", None),
                ("B4", "setup", _D(2024, 2, 1), _D(2024, 4, 1), "M2", None),
                ("B4", "adoption", _D(2024, 5, 1), _D(2024, 4, 1), "M2", None),
            ]
        },
        params={"as_of": "2024-04-01"},
        note="B1 in setup since 2024-01-20: 72 days (11 + 29 + 31 + 1), target "
        "2024-03-01 passed by 31 days → overdue. B2 complete (late, not overdue). B3 "
        "kickoff 7 days. B4's adoption is after as_of: setup, target = as_of, not "
        "past → not overdue.",
        summary={"accounts": 4, "complete": 1, "in_progress": 3, "overdue": 1},
        rows=[
            {
                "account_id": "B1",
                "stage": "setup",
                "days_in_stage": 72,
                "overdue": True,
                "days_overdue": 31,
            },
            {
                "account_id": "B3",
                "stage": "kickoff",
                "days_in_stage": 7,
                "overdue": False,
            },
            {
                "account_id": "B4",
                "stage": "setup",
                "days_in_stage": 60,
                "overdue": False,
            },
            {
                "account_id": "B2",
                "stage": "complete",
                "complete": True,
                "overdue": False,
            },
        ],
        extra={"stages": [{"stage": "setup", "accounts": 2, "overdue": 1}]},
    ),
    GoldenCase(
        name="satisfaction_nps_and_csat_by_hand",
        analysis="satisfaction",
        tables={
            "surveys": [
                *[("S1", _D(2024, 5, 1), "NPS", s) for s in (10, 9, 9, 10, 9)],
                *[("S2", _D(2024, 8, 1), "NPS", s) for s in (7, 8, 7, 6, 0)],
                *[("S1", _D(2024, 6, 1), "CSAT", s) for s in (5, 4, 3, 2)],
                ("S2", _D(2022, 1, 1), "NPS", 0),
            ]
        },
        params={"as_of": "2024-09-30", "months": 12},
        note="Since 2023-10-01: 5 promoters, 3 passives, 2 detractors → NPS "
        "(5 − 2)/10 = +30; CSAT 5, 4, 3, 2 → 2/4 = 50 %, mean 3.5. The 2022 answer "
        "is outside the 12 months. S1 NPS +100 (n 5), S2 (0 − 2)/5 = −40.",
        summary={
            "nps": 30.0,
            "nps_n": 10,
            "csat": 0.5,
            "csat_n": 4,
            "csat_mean": 3.5,
            "headline": "NPS +30 (n = 10); CSAT 50 % satisfied, mean 3.50 (n = 4)",
        },
        rows=[
            {"account_id": "S1", "nps": 100.0, "nps_n": 5, "csat": 0.5, "low_n": True},
            {"account_id": "S2", "nps": -40.0, "nps_n": 5, "csat_n": 0},
        ],
        extra={"trend": [{"period": "2024-Q2", "nps": 100.0, "nps_n": 5}]},
    ),
    GoldenCase(
        name="health_scores_weights_and_register_override",
        analysis="health",
        tables={
            "health_model": [("LOGINS", 3.0, 20.0, 4.0), ("TICKETS", 1.0, 2.0, 12.0)],
            "signals": [
                ("H1", _D(2024, 5, 31), "LOGINS", 12.0),
                ("H1", _D(2024, 6, 30), "LOGINS", 24.0),
                ("H1", _D(2024, 6, 30), "TICKETS", 4.5),
                ("H2", _D(2024, 6, 30), "LOGINS", 8.0),
                ("H2", _D(2024, 6, 30), "TICKETS", 12.0),
                ("H3", _D(2024, 6, 30), "LOGINS", 20.0),
            ],
            "risks": [
                ("H3", _D(2024, 6, 1), "watch", "sponsor left", "M1", None),
                ("H1", _D(2024, 1, 1), "critical", "old", "M1", _D(2024, 2, 1)),
            ],
        },
        params={"as_of": "2024-06-30"},
        note="H1: LOGINS 24 (latest) → 100, TICKETS 4.5 → (4.5 − 12)/(2 − 12) = 75; "
        "health (3·100 + 75)/4 = 93.75, healthy (its risk was resolved). H2: LOGINS "
        "8 → 25, TICKETS 12 → 0 → 18.75, at risk. H3: LOGINS 20 → 100 with TICKETS "
        "missing, but an open watch risk → band watch.",
        summary={
            "accounts": 3,
            "healthy": 1,
            "watch": 1,
            "at_risk": 1,
            "endangered": 1,
        },
        rows=[
            {
                "account_id": "H2",
                "health": 18.75,
                "band": "at_risk",
                "endangered": True,
            },
            {
                "account_id": "H3",
                "health": 100.0,
                "score_band": "healthy",
                "risk_level": "watch",
                "band": "watch",
                "missing_signals": 1,
            },
            {
                "account_id": "H1",
                "health": 93.75,
                "band": "healthy",
                "risk_level": None,
                "weakest_signal": "TICKETS",
            },
        ],
        extra={
            "signals": [
                {
                    "account_id": "H1",
                    "signal": "TICKETS",
                    "score": 75.0,
                    "contribution": 18.75,
                },
                {"account_id": "H2", "signal": "LOGINS", "score": 25.0},
            ]
        },
    ),
    GoldenCase(
        name="at_risk_queue_order_and_mrr_at_risk",
        analysis="at_risk",
        tables={
            "revenue": _REVENUE,
            "mrr": _MRR,
            "risks": [
                ("A3", _D(2024, 10, 1), "critical", "budget", "M1", None),
                ("A8", _D(2024, 12, 1), "watch", "sponsor", "M2", None),
                ("A2", _D(2024, 12, 1), "at_risk", "tickets", "M1", None),
                ("A2", _D(2024, 11, 1), "watch", "usage", "M1", None),
                ("A1", _D(2024, 6, 1), "critical", "old", "M1", _D(2024, 9, 1)),
            ],
        },
        params={"as_of": "2024-12-31"},
        note="Open: A2 ×2, A8, A3 (A1 resolved). A2 and A8 are A with 50 each: A2's "
        "older risk (60 days) then its newer (30), then A8 (30 days, later id); A3 is "
        "B. MRR at risk 50 + 50 + 0 (A3's month row is 0) = 100 of 260.",
        summary={
            "open_risks": 4,
            "accounts": 3,
            "mrr_at_risk": "100.00",
            "total_mrr": "260.00",
        },
        rows=[
            {"rank": 1, "account_id": "A2", "reason": "usage", "days_in_queue": 60},
            {"rank": 2, "account_id": "A2", "reason": "tickets", "days_in_queue": 30},
            {"rank": 3, "account_id": "A8", "days_in_queue": 30},
            {"rank": 4, "account_id": "A3", "abc_class": "B", "mrr": "0.00"},
        ],
    ),
]
