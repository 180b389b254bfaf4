"""The demo's customer accounts: who they are and how their contracts evolve.

Sizes follow a lognormal law sampled at stratified quantiles, so that the top fifth
of the accounts holds about four fifths of the MRR whatever the seed. Each account
then gets a story (existing or new customer, churn, reactivation, plan upgrade,
premium upsell) that :mod:`kam.demo.ledger` turns into MRR and revenue.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date, timedelta
from statistics import NormalDist

from kam.demo._common import AS_OF, CURRENCY, MONTH_COUNT, make_table, month_start
from kam.demo.names import ACCOUNT_KINDS, account_names
from kam.demo.team import (
    CUSTOMER_SUCCESS,
    EXECUTIVE_SPONSOR,
    FLAGSHIP_KAM,
    KAMS,
    SALES_DIRECTOR,
    SOLUTION_ARCHITECTS,
)
from kam.model import Table

__all__ = [
    "FLAGSHIP_ID",
    "FLAGSHIP_NAME",
    "AccountSpec",
    "account_team_table",
    "accounts_table",
    "plan_accounts",
]

FLAGSHIP_ID = "A001"
FLAGSHIP_NAME = "Orrinvale Health System"

#: Median monthly MRR of a paying account and the spread of the lognormal law.
_MEDIAN_MRR = 4_000.0
_SIGMA = 1.55
_PROSPECTS = 2
_RECENT_NEW = 8  # accounts that started in the last 12 months (onboarding)
_CHURNED = 8
_REACTIVATED = 3
_REGIONS = ("Northeast", "Southeast", "Midwest", "Southwest", "West")


@dataclass
class AccountSpec:
    """One account and the story of its contract (month indices, 0 = 2023-01)."""

    account_id: str
    name: str
    kind: str
    size: float
    rank: int  # 0 = largest paying account
    region: str
    owner: str
    status: str = "active"
    customer_since: date | None = None
    start: int | None = None  # first month with MRR; None for prospects
    churn: int | None = None  # first month back at zero MRR
    reactivate: int | None = None  # first month with MRR again after churn
    tier: int = 1
    upgrade_at: int | None = None
    premium_from: int | None = None
    contraction_at: int | None = None
    key_account: bool = False
    parent: str | None = None

    @property
    def industry(self) -> str:
        return ACCOUNT_KINDS[self.kind][0]

    @property
    def paying(self) -> bool:
        return self.start is not None


def _sizes(rng: random.Random, count: int) -> list[float]:
    """Heavy-tailed monthly sizes, largest first, from stratified quantiles."""
    normal = NormalDist()
    sizes = [
        _MEDIAN_MRR
        * math.exp(_SIGMA * normal.inv_cdf((i + 0.5) / count))
        * rng.uniform(0.92, 1.08)
        for i in range(count)
    ]
    return sorted(sizes, reverse=True)


def _kind(rng: random.Random, fraction: float) -> str:
    """Large accounts are mostly hospital systems and payers, small ones clinics."""
    weights = {
        "hospital": 0.1 + 0.5 * (1 - fraction),
        "payer": 0.05 + 0.25 * (1 - fraction),
        "life_science": 0.25,
        "clinic": 0.1 + 0.6 * fraction,
    }
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _segment(fraction: float) -> str:
    if fraction < 0.2:
        return "Enterprise"
    return "Mid-market" if fraction < 0.6 else "Small business"


def _since(rng: random.Random, start: int) -> date:
    """A first contract date: years before 2023 for existing customers."""
    if start > 0:
        return month_start(start) + timedelta(days=rng.randint(0, 20))
    return date(2014, 1, 1) + timedelta(days=rng.randint(0, 3285))


def _renewal(since: date) -> date:
    """The first contract anniversary after the as-of date."""
    day = min(since.day, 28)
    candidate = date(AS_OF.year, since.month, day)
    return candidate if candidate > AS_OF else date(AS_OF.year + 1, since.month, day)


def _flagship(size: float) -> AccountSpec:
    return AccountSpec(
        account_id=FLAGSHIP_ID,
        name=FLAGSHIP_NAME,
        kind="hospital",
        size=size,
        rank=0,
        region="Northeast",
        owner=FLAGSHIP_KAM,
        customer_since=date(2019, 4, 15),
        start=0,
        tier=3,
        premium_from=0,
        key_account=True,
    )


def plan_accounts(rng: random.Random, count: int) -> list[AccountSpec]:
    """The accounts of the demo, flagship first, then in account id order."""
    paying = count - _PROSPECTS
    sizes = _sizes(rng, paying)
    ids = [f"A{i:03d}" for i in range(2, count + 1)]
    rng.shuffle(ids)
    ranked = list(range(1, paying))  # ranks of the other paying accounts
    kinds = [_kind(rng, r / paying) for r in ranked]
    kinds += ["hospital", "life_science"]  # the two prospects
    names = account_names(rng, kinds, {FLAGSHIP_NAME})

    # The flagship is the largest account (its size tops the largest draw).
    specs = [_flagship(sizes[0] * 1.15)]
    for position, account_id in enumerate(ids):
        if position < len(ranked):
            rank = ranked[position]
            specs.append(
                AccountSpec(
                    account_id=account_id,
                    name=names[position],
                    kind=kinds[position],
                    size=sizes[rank],
                    rank=rank,
                    region=rng.choice(_REGIONS),
                    owner=rng.choice(KAMS),
                    start=0,
                )
            )
        else:
            specs.append(
                AccountSpec(
                    account_id=account_id,
                    name=names[position],
                    kind=kinds[position],
                    size=0.0,
                    rank=paying + position - len(ranked),
                    region=rng.choice(_REGIONS),
                    owner=rng.choice(KAMS),
                    status="prospect",
                )
            )
    _tell_stories(rng, specs, paying)
    _mark_key_accounts(specs, paying)
    _link_parents(rng, specs, paying)
    specs.sort(key=lambda s: s.account_id)
    return specs


def _tell_stories(rng: random.Random, specs: list[AccountSpec], paying: int) -> None:
    """Give each paying account its plan and a contract story."""
    others = [s for s in specs[1:] if s.paying]
    for spec in others:
        fraction = spec.rank / paying
        spec.tier = 3 if fraction < 0.3 else 2 if fraction < 0.7 else 1
        premium_odds = 0.45 if fraction < 0.3 else 0.3 if fraction < 0.7 else 0.15
        if rng.random() < premium_odds:
            spec.premium_from = 0 if rng.random() < 0.5 else rng.randint(6, 40)
    # Stories are dealt to distinct accounts so that each one surely happens.
    pool = others[:]
    rng.shuffle(pool)
    recent = pool[:_RECENT_NEW]
    new = pool[_RECENT_NEW : _RECENT_NEW + max(4, paying // 6)]
    rest = pool[len(recent) + len(new) :]
    small = [s for s in rest if s.rank / paying > 0.2]
    churned = small[:_CHURNED]
    reactivated = small[_CHURNED : _CHURNED + _REACTIVATED]
    rest = [s for s in rest if s not in churned and s not in reactivated]
    for spec in recent:
        spec.start = rng.randint(MONTH_COUNT - 12, MONTH_COUNT - 1)
    # Two of them started early enough to be overdue on their go-live.
    recent[0].start, recent[1].start = MONTH_COUNT - 12, MONTH_COUNT - 10
    for spec in new:
        spec.start = rng.randint(1, MONTH_COUNT - 13)
    for spec in churned:
        spec.churn = rng.randint((spec.start or 0) + 4, MONTH_COUNT - 2)
        spec.status = "churned"
    for spec in reactivated:
        spec.churn = rng.randint(8, MONTH_COUNT - 12)
        spec.reactivate = spec.churn + rng.randint(3, 6)
    for spec in rest[: max(3, paying // 8)]:
        if spec.tier < 3:
            spec.upgrade_at = rng.randint(6, MONTH_COUNT - 4)
    rest[-1].contraction_at = MONTH_COUNT - 8
    for spec in others:
        spec.customer_since = _since(rng, spec.start or 0)
        if spec.premium_from is not None:
            spec.premium_from = max(spec.premium_from, spec.start or 0)
        if spec.upgrade_at is not None and spec.upgrade_at <= (spec.start or 0):
            spec.upgrade_at = None


def _mark_key_accounts(specs: list[AccountSpec], paying: int) -> None:
    """The largest active accounts are key accounts, owned in turn by the KAMs."""
    active = sorted(
        (s for s in specs if s.paying and s.status == "active"), key=lambda s: s.rank
    )
    wanted = max(8, paying // 6)
    for turn, spec in enumerate(active[:wanted]):
        spec.key_account = True
        if spec.account_id != FLAGSHIP_ID:
            spec.owner = KAMS[turn % len(KAMS)]


def _link_parents(rng: random.Random, specs: list[AccountSpec], paying: int) -> None:
    """A few clinic networks belong to a hospital system (one level, no cycles)."""
    parents = [s for s in specs if s.kind == "hospital" and s.key_account]
    children = [
        s
        for s in specs
        if s.kind == "clinic"
        and s.paying
        and not s.key_account
        and s.rank > paying // 2
    ]
    chosen = rng.sample(children, min(3, len(children)))
    for parent, child in zip(parents[:3], chosen, strict=False):
        child.parent = parent.account_id


def accounts_table(specs: list[AccountSpec]) -> Table:
    """The Accounts sheet."""
    rows = []
    for s in specs:
        fraction = s.rank / len(specs)
        rows.append(
            {
                "account_id": s.account_id,
                "name": s.name,
                "parent_account_id": s.parent,
                "industry": s.industry,
                "segment": _segment(fraction),
                "region": s.region,
                "owner": s.owner,
                "key_account": s.key_account,
                "customer_since": s.customer_since,
                "status": s.status,
                "renewal_date": (
                    _renewal(s.customer_since)
                    if s.status == "active" and s.customer_since is not None
                    else None
                ),
                "currency": CURRENCY,
            }
        )
    return make_table("Accounts", rows)


def account_team_table(specs: list[AccountSpec]) -> Table:
    """The AccountTeam sheet: the owner with edit access, plus helpers."""
    rows: list[dict[str, object]] = []
    for s in specs:
        members: list[tuple[str, str, str]] = [(s.owner, "KAM", "edit")]
        if s.key_account:
            # The flagship's architect is the one who knows its IT people.
            architect = SOLUTION_ARCHITECTS[0 if s.account_id == FLAGSHIP_ID else 1]
            members.append((architect, "Solution architect", "edit"))
            members.append((CUSTOMER_SUCCESS, "Customer success", "edit"))
            members.append((SALES_DIRECTOR, "Sales director", "read"))
        if s.key_account and s.rank < 6:
            members.append((EXECUTIVE_SPONSOR, "Executive sponsor", "read"))
        rows.extend(
            {"account_id": s.account_id, "member_id": m, "role": r, "access": a}
            for m, r, a in members
        )
    return make_table("AccountTeam", rows)
