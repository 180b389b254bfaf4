"""Key-account selection and profitability: Criteria, Scores and Profit.

The growth weights are the slide's (0.15, 0.35, 0.20, 0.30). Two candidates carry
the worked check of the scoring matrix as real data — growth scores (8, 3, 2, 1)
give 2.95 and (4, 6, 8, 3) give 5.20 — two share exactly the same scores (a tie),
and ten are scored by a second rater, one of them with a spread over 3 points.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from kam.demo._common import dollars, make_table
from kam.demo.accounts import FLAGSHIP_ID, AccountSpec
from kam.demo.ledger import Ledger
from kam.demo.team import SALES_DIRECTOR, member_name
from kam.model import Table

__all__ = [
    "CRITERIA",
    "WORKED_CHECK",
    "Criterion",
    "criteria_table",
    "profit_table",
    "scores_table",
]


@dataclass(frozen=True)
class Criterion:
    """One scoring criterion with its weight and the scale raters use."""

    criterion_id: str
    section: str
    name: str
    weight: float
    description: str


CRITERIA: tuple[Criterion, ...] = (
    Criterion(
        "G1",
        "growth",
        "Size of the account today",
        0.15,
        "1 = below 50k a year with us; 5 = about 500k; 10 = over 3M a year",
    ),
    Criterion(
        "G2",
        "growth",
        "Growth potential of the cloud estate",
        0.35,
        "1 = no workloads left to move; 5 = a third still on premises; "
        "10 = a full migration ahead of them",
    ),
    Criterion(
        "G3",
        "growth",
        "Share of wallet still open",
        0.20,
        "1 = we already hold almost all of it; 10 = we hold under a tenth",
    ),
    Criterion(
        "G4",
        "growth",
        "Strategic value (reference, innovation, research)",
        0.30,
        "1 = no reference value; 5 = a regional reference; "
        "10 = a national showcase or research partner",
    ),
    Criterion(
        "H1",
        "harmony",
        "Quality of the relationship",
        0.30,
        "1 = we reach only procurement; 10 = trusted at executive level",
    ),
    Criterion(
        "H2",
        "harmony",
        "Fit of culture and values",
        0.25,
        "1 = we clash on how to work; 10 = we share goals and ways of working",
    ),
    Criterion(
        "H3",
        "harmony",
        "Openness to partnership",
        0.25,
        "1 = buys on price alone; 10 = co-designs roadmaps with us",
    ),
    Criterion(
        "H4",
        "harmony",
        "Ease of doing business",
        0.20,
        "1 = slow decisions and late payment; 10 = clear process, pays on time",
    ),
)

#: The worked check of analyses.md §3: growth scores and their expected section score.
WORKED_CHECK: tuple[tuple[tuple[int, int, int, int], Decimal], ...] = (
    ((8, 3, 2, 1), Decimal("2.95")),
    ((4, 6, 8, 3), Decimal("5.20")),
)

_SCORED_ON = date(2026, 9, 14)
_CANDIDATES = 40
_SECOND_RATED = 10
_NOTES = (
    "Migration roadmap shared in the last QBR",
    "Budget freeze announced for next year",
    "New CIO since spring",
    "Asked for a research-computing pilot",
    "Procurement pushes for multi-vendor",
)


def criteria_table() -> Table:
    """The Criteria sheet (growth and harmony; each section's weights sum to 1)."""
    return make_table(
        "Criteria",
        (
            {
                "criterion_id": c.criterion_id,
                "section": c.section,
                "name": c.name,
                "weight": c.weight,
                "description": c.description,
            }
            for c in CRITERIA
        ),
    )


def candidates(specs: list[AccountSpec]) -> list[AccountSpec]:
    """The accounts scored for key-account selection: the largest active ones."""
    active = [s for s in specs if s.paying and s.status == "active"]
    chosen = sorted(active, key=lambda s: s.rank)[:_CANDIDATES]
    return sorted(chosen, key=lambda s: s.account_id)


def _draw(rng: random.Random, mean: float) -> int:
    return max(1, min(10, round(rng.gauss(mean, 1.6))))


def scores_table(rng: random.Random, specs: list[AccountSpec]) -> Table:
    """The Scores sheet for the key-account candidates."""
    chosen = candidates(specs)
    others = [s for s in chosen if s.account_id != FLAGSHIP_ID]
    special = rng.sample(others, 4 + _SECOND_RATED)
    worked = {special[0].account_id: 0, special[1].account_id: 1}
    tied = (special[2].account_id, special[3].account_id)
    second = [s.account_id for s in special[4:]]
    disagreement = second[0]
    tie_scores = [_draw(rng, 6.0) for _ in CRITERIA]

    rows: list[dict[str, object]] = []
    for turn, spec in enumerate(chosen):
        scale = 1 - spec.rank / max(len(specs), 1)
        growth_mean, harmony_mean = 3.0 + 5.0 * scale, rng.uniform(4.0, 8.5)
        if spec.account_id == FLAGSHIP_ID:
            values = [9, 10, 7, 9, 6, 7, 6, 8]
        elif spec.account_id in tied:
            values = list(tie_scores)
        else:
            values = [
                _draw(rng, growth_mean if c.section == "growth" else harmony_mean)
                for c in CRITERIA
            ]
        if spec.account_id in worked:
            values[:4] = WORKED_CHECK[worked[spec.account_id]][0]
        day = _SCORED_ON + timedelta(days=turn % 10)
        rater = member_name(spec.owner)
        for criterion, value in zip(CRITERIA, values, strict=True):
            rows.append(_score(spec.account_id, criterion, value, rater, day, rng))
        if spec.account_id in second:
            for index, (criterion, value) in enumerate(
                zip(CRITERIA, values, strict=True)
            ):
                if spec.account_id == disagreement and index == 1:
                    # One real disagreement: the two raters are 4 points apart.
                    other = value - 4 if value > 4 else value + 4
                else:
                    other = max(1, min(10, value + rng.choice((-1, 0, 0, 1))))
                rater2 = member_name(SALES_DIRECTOR)
                rows.append(_score(spec.account_id, criterion, other, rater2, day, rng))
    return make_table("Scores", rows)


def _score(
    account_id: str,
    criterion: Criterion,
    value: int,
    rater: str,
    day: date,
    rng: random.Random,
) -> dict[str, object]:
    return {
        "account_id": account_id,
        "criterion_id": criterion.criterion_id,
        "score": float(value),
        "rater": rater,
        "scored_on": day,
        "note": rng.choice(_NOTES) if rng.random() < 0.05 else None,
    }


#: COGS as a share of net revenue per product kind: the add-on is the richest
#: product, services the leanest, so the product classes of the action grid differ.
_COGS = {"plan": (0.26, 0.34), "addon": (0.10, 0.16), "service": (0.50, 0.65)}


def _cost_shares(rng: random.Random, lossy: bool) -> tuple[float, ...]:
    """Cost to serve by part (pre-sale, production, distribution, post-sale)."""
    if lossy:
        return (0.10, 0.36, 0.08, 0.26)
    return (
        rng.uniform(0.01, 0.05),
        rng.uniform(0.04, 0.12),
        rng.uniform(0.01, 0.04),
        rng.uniform(0.03, 0.10),
    )


def profit_table(
    rng: random.Random, specs: list[AccountSpec], ledger: Ledger, kinds: dict[str, str]
) -> Table:
    """The Profit sheet for 2025, per account and product: discounts, COGS and cost
    to serve by part. Net revenue is the account's 2025 revenue of the product.

    ``kinds`` maps each product to its kind (plan, addon, service). A few large
    accounts lose money (deep discounts, heavy cost to serve), which gives the
    whale curve its peak.
    """
    paying = [s for s in specs if s.paying and ledger.revenue(s.account_id, 2025) > 0]
    # Losers among the 2nd to 9th largest by 2025 revenue (the flagship aside).
    large = sorted(
        (s for s in paying if s.account_id != FLAGSHIP_ID),
        key=lambda s: (-ledger.revenue(s.account_id, 2025), s.account_id),
    )[1:9]
    losers = {s.account_id for s in rng.sample(large, 3)}
    rows: list[dict[str, object]] = []
    for spec in paying:
        lossy = spec.account_id in losers
        discount = rng.uniform(0.36, 0.45) if lossy else rng.uniform(0.04, 0.22)
        shares = _cost_shares(rng, lossy)
        for product, net in ledger.revenue_by_product(spec.account_id, 2025).items():
            kind = kinds[product]
            off = rng.uniform(0.0, 0.05) if kind == "service" else discount
            parts = [
                dollars(float(net) * share * rng.uniform(0.95, 1.05))
                for share in shares
            ]
            rows.append(
                {
                    "account_id": spec.account_id,
                    "period": "2025",
                    "product": product,
                    "list_revenue": dollars(float(net) / (1 - off)),
                    "net_revenue": net,
                    "cogs": dollars(float(net) * rng.uniform(*_COGS[kind])),
                    "cost_to_serve": sum(parts, Decimal("0.00")),
                    "cts_presale": parts[0],
                    "cts_production": parts[1],
                    "cts_distribution": parts[2],
                    "cts_postsale": parts[3],
                }
            )
    return make_table("Profit", rows)
