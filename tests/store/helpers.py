"""Small portfolios for the store tests, built inline with model.Table."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal

from kam.model import SHEETS, Portfolio, Table, store_columns


def table(sheet: str, rows: Sequence[Mapping[str, object]]) -> Table:
    """A Table of ``sheet`` holding ``rows`` (missing columns blank)."""
    return Table.from_rows(store_columns(SHEETS[sheet]), rows)


def portfolio(**sheets: Sequence[Mapping[str, object]]) -> Portfolio:
    """A Portfolio from sheet name -> rows."""
    return Portfolio({name: table(name, rows) for name, rows in sheets.items()})


def accounts(*ids: str) -> list[dict[str, object]]:
    """Minimal account rows."""
    return [{"account_id": i, "name": f"Account {i}"} for i in ids]


LONG_TEXT = "é" * 15_000 + "x" * 15_000


def every_sheet() -> Portfolio:
    """One portfolio using every sheet and every kind of value."""
    return portfolio(
        Settings=[
            {"key": "company", "value": "Nimbus Cloud"},
            {"key": "currency", "value": "EUR"},
        ],
        Team=[
            {
                "member_id": "M1",
                "name": "Jürgen Ødegaard",
                "role": "KAM",
                "email": "j@x.org",
            },
            {"member_id": "M2", "name": "Aiko", "extra": {"Desk": "3F", "Badge": "17"}},
        ],
        Products=[
            {
                "product": "pro",
                "family": "cloud",
                "kind": "plan",
                "tier": 2,
                "premium": False,
            },
            {"product": "prem", "kind": "addon", "premium": True},
        ],
        Accounts=[
            {
                "account_id": "A1",
                "name": "Hôpital Saint-Luc 病院",
                "owner": "M1",
                "key_account": True,
                "customer_since": date(2019, 3, 31),
                "status": "active",
                "renewal_date": date(2026, 1, 1),
                "currency": "EUR",
            },
            {
                "account_id": "A2",
                "name": "Beta",
                "parent_account_id": "A1",
                "status": "churned",
            },
        ],
        Criteria=[
            {
                "criterion_id": "G1",
                "section": "growth",
                "name": "Budget",
                "weight": 0.25,
                "description": LONG_TEXT,
            }
        ],
        HealthModel=[{"signal": "logins", "weight": 1.5, "good": 100.0, "poor": 10.0}],
        Units=[
            {
                "unit_id": "U1",
                "account_id": "A1",
                "name": "Radiology",
                "kind": "division",
            },
            {"unit_id": "U2", "account_id": "A1", "name": "CT", "parent_unit_id": "U1"},
        ],
        Stakeholders=[
            {
                "stakeholder_id": "S1",
                "account_id": "A1",
                "name": "Dana",
                "title": "EVP & CIO",
                "unit_id": "U1",
                "decision_power": 5,
                "interest": 3,
                "attitude": 0,
                "buying_role": "decision_maker",
            },
            {
                "stakeholder_id": "S2",
                "account_id": "A1",
                "name": "Lee",
                "organisation": "Consultancy",
                "reports_to": "S1",
                "decision_power": 2,
                "attitude": -2,
            },
        ],
        Revenue=[
            {
                "account_id": "A1",
                "period": "2024",
                "product": "pro",
                "amount": Decimal("12345678901234.56"),
            },
            {
                "account_id": "A1",
                "period": "2024-Q1",
                "product": None,
                "amount": Decimal("0.10"),
            },
            {
                "account_id": "A2",
                "period": "2024-03",
                "product": "pro",
                "amount": Decimal("0.20"),
            },
        ],
        MRR=[
            {
                "account_id": "A1",
                "month": "2024-01",
                "plan": "pro",
                "mrr": Decimal("100.00"),
            },
            {
                "account_id": "A1",
                "month": "2024-02",
                "plan": "pro",
                "mrr": Decimal("0.01"),
            },
        ],
        Profit=[
            {
                "account_id": "A1",
                "period": "2024",
                "product": "pro",
                "list_revenue": Decimal("10.00"),
                "net_revenue": Decimal("9.50"),
                "cogs": Decimal("1.25"),
                "cost_to_serve": Decimal("3.00"),
                "cts_presale": Decimal("1.00"),
                "cts_production": Decimal("1.00"),
                "cts_distribution": Decimal("0.50"),
                "cts_postsale": Decimal("0.50"),
            }
        ],
        Scores=[
            {
                "account_id": "A1",
                "criterion_id": "G1",
                "score": 7.5,
                "rater": "M1",
                "scored_on": date(2024, 5, 1),
            },
            {"account_id": "A1", "criterion_id": "G1", "score": 8.0, "rater": None},
        ],
        Surveys=[
            {
                "account_id": "A1",
                "answered_on": date(2024, 1, 5),
                "instrument": "NPS",
                "score": 9,
            },
            {
                "account_id": "A1",
                "answered_on": date(2024, 1, 5),
                "instrument": "NPS",
                "score": 9,
            },
            {
                "account_id": "A2",
                "answered_on": date(2024, 2, 5),
                "instrument": "CSAT",
                "score": 4,
                "stakeholder_id": "S2",
                "comment": "ok\nfine",
            },
        ],
        Onboarding=[
            {
                "account_id": "A1",
                "stage": "kickoff",
                "stage_entered_on": date(2023, 1, 1),
                "completed_on": date(2023, 2, 1),
            },
        ],
        Signals=[
            {
                "account_id": "A1",
                "as_of": date(2024, 6, 30),
                "signal": "logins",
                "value": 1e-9,
            },
        ],
        Risks=[
            {
                "account_id": "A2",
                "flagged_on": date(2024, 4, 1),
                "level": "critical",
                "reason": "budget cut",
            },
        ],
        AccountTeam=[
            {"account_id": "A1", "member_id": "M1", "role": "KAM", "access": "edit"},
            {"account_id": "A1", "member_id": "M2", "access": "read"},
        ],
        Influences=[
            {
                "from_id": "S2",
                "to_id": "S1",
                "strength": 3,
                "sentiment": "positive",
                "note": "dotted line",
            },
        ],
        Touchpoints=[
            {
                "member_id": "M1",
                "stakeholder_id": "S2",
                "strength": 2,
                "key": True,
                "last_contact_on": date(2024, 6, 1),
            },
        ],
        Coverage=[
            {
                "unit_id": "U1",
                "product": "pro",
                "status": "owned",
                "current_revenue": Decimal("5.00"),
            },
            {
                "unit_id": "U2",
                "product": "pro",
                "status": "competitor",
                "competitor": "Other",
                "probability": 0.3,
            },
        ],
        Tasks=[
            {
                "task_id": "T1",
                "account_id": None,
                "name": "Charter",
                "duration_days": 0,
            },
            {
                "task_id": "T2",
                "account_id": "A1",
                "name": "Migrate",
                "duration_days": 20,
                "predecessors": "T1 FS+2",
                "percent_complete": 12.5,
            },
        ],
        Responsibilities=[
            {"activity": "Plan", "account_id": None, "role": "KAM", "code": "A/R"},
            {"activity": "Plan", "account_id": None, "role": "Sponsor", "code": "I"},
            {"activity": "Review", "account_id": "A1", "role": "", "code": None},
        ],
        Charter=[
            {
                "account_id": None,
                "section": "vision",
                "field": "statement",
                "value": "Be the partner",
            },
            {
                "account_id": "A1",
                "section": "vision",
                "field": "statement",
                "value": "Cloud first",
            },
        ],
        Objectives=[
            {
                "objective_id": "O1",
                "account_id": "A1",
                "objective": "Migrate",
                "target": 1.0,
                "due": date(2025, 12, 31),
                "status": "on_track",
            },
        ],
    )


def big_portfolio(accounts_n: int, months: int = 36, *, cents: int = 0) -> Portfolio:
    """Accounts and MRR with ``accounts_n`` × ``months`` rows, deterministic.

    ``cents`` is added to every amount, to make a changed version of the same book.
    """
    ids = [f"A{i:06d}" for i in range(accounts_n)]
    month_names = [f"{2020 + m // 12}-{m % 12 + 1:02d}" for m in range(months)]
    mrr: dict[str, list[object]] = {c: [] for c in store_columns(SHEETS["MRR"])}
    for n, account in enumerate(ids):
        price = Decimal(1000 + n % 977 + cents).scaleb(-2)
        for m in month_names:
            mrr["account_id"].append(account)
            mrr["month"].append(m)
            mrr["plan"].append("pro")
            mrr["mrr"].append(price)
            mrr["extra"].append({})
    return Portfolio(
        {
            "Accounts": table("Accounts", accounts(*ids)),
            "MRR": Table(list(mrr), mrr),
        }
    )
