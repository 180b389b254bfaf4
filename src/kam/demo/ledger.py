"""MRR and revenue of the demo accounts, month by month.

MRR stays flat between contract events, as real subscriptions do: expansion and
contraction come in steps, a plan upgrade ends one plan's MRR in the month the next
plan's starts, churn takes MRR to zero for good, and a reactivation brings it back
after at least two empty months. Revenue is the month's MRR per product plus the
occasional one-off service.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from decimal import Decimal

from kam.demo._common import MONTH_COUNT, dollars, make_table, month_label
from kam.demo.accounts import FLAGSHIP_ID, AccountSpec
from kam.demo.team import ADDON, PLANS, SERVICES
from kam.model import Table

__all__ = ["Ledger", "build_ledger"]

_ZERO = Decimal("0.00")
_ADDON_SHARE = 0.18  # the premium add-on's price relative to the plan
_UPGRADE_STEP = 1.3  # MRR factor when an account moves up one plan
_FLOOR = 150.0  # the smallest plan we sell, per month
#: The flagship's migration programme: monthly service billing from 2026-03.
_MIGRATION_FIRST_MONTH = 38


@dataclass
class Ledger:
    """MRR per account, product and month, and revenue rows per account and month."""

    mrr: dict[str, dict[str, list[Decimal]]] = field(default_factory=dict)
    services: dict[str, dict[tuple[int, str], Decimal]] = field(default_factory=dict)
    totals: dict[str, list[Decimal]] = field(default_factory=dict)

    def total(self, account_id: str) -> list[Decimal]:
        """The account's total MRR per month (zeros for prospects)."""
        return self.totals.get(account_id, [_ZERO] * MONTH_COUNT)

    def active_in(self, account_id: str, month: int) -> bool:
        """Whether the account has MRR in month ``month``."""
        return self.total(account_id)[month] > 0

    def revenue(self, account_id: str, year: int) -> Decimal:
        """The account's revenue (MRR billed plus services) in calendar ``year``."""
        first = (year - 2023) * 12
        months = range(max(first, 0), min(first + 12, MONTH_COUNT))
        totals = self.total(account_id)
        billed = sum((totals[m] for m in months), _ZERO)
        extra = sum(
            (
                amount
                for (m, _), amount in self.services.get(account_id, {}).items()
                if m in months
            ),
            _ZERO,
        )
        return billed + extra

    def revenue_by_product(self, account_id: str, year: int) -> dict[str, Decimal]:
        """The account's revenue per product in calendar ``year`` (non-zero only),
        plans and add-on first, then services, in the order of the Products sheet."""
        first = (year - 2023) * 12
        months = range(max(first, 0), min(first + 12, MONTH_COUNT))
        found: dict[str, Decimal] = {}
        for product in (*PLANS, ADDON):
            values = self.mrr.get(account_id, {}).get(product)
            if values is not None:
                found[product] = sum((values[m] for m in months), _ZERO)
        for service in SERVICES:
            found[service] = sum(
                (
                    amount
                    for (m, s), amount in self.services.get(account_id, {}).items()
                    if s == service and m in months
                ),
                _ZERO,
            )
        return {p: v for p, v in found.items() if v > 0}

    def mrr_table(self) -> Table:
        """The MRR sheet: one row per account, month and plan with MRR above zero."""
        rows: list[dict[str, object]] = []
        for account_id, products in self.mrr.items():
            for month in range(MONTH_COUNT):
                rows.extend(
                    {
                        "account_id": account_id,
                        "month": month_label(month),
                        "plan": product,
                        "mrr": values[month],
                    }
                    for product, values in products.items()
                    if values[month] > 0
                )
        return make_table("MRR", rows)

    def revenue_table(self) -> Table:
        """The Revenue sheet: monthly periods per account and product."""
        rows: list[dict[str, object]] = []
        for account_id, products in self.mrr.items():
            services = self.services.get(account_id, {})
            for month in range(MONTH_COUNT):
                period = month_label(month)
                amounts = [(p, v[month]) for p, v in products.items() if v[month] > 0]
                amounts += [
                    (s, services[(month, s)])
                    for s in SERVICES
                    if (month, s) in services
                ]
                rows.extend(
                    {
                        "account_id": account_id,
                        "period": period,
                        "product": product,
                        "amount": amount,
                        "currency": None,
                    }
                    for product, amount in amounts
                )
        return make_table("Revenue", rows)


def _is_active(spec: AccountSpec, month: int) -> bool:
    if spec.start is None or month < spec.start:
        return False
    if spec.churn is None or month < spec.churn:
        return True
    return spec.reactivate is not None and month >= spec.reactivate


def _next_level(
    rng: random.Random, spec: AccountSpec, month: int, level: float
) -> float:
    """The account's size multiplier after this month's contract events."""
    if spec.account_id == FLAGSHIP_ID:
        # The flagship grows steadily: a new wave of workloads each half year.
        return level * 1.07 if month % 6 == 0 else level
    if month == spec.contraction_at:
        return level * 0.75
    if month == spec.reactivate:
        return level * 0.8
    draw = rng.random()
    if draw < 0.045:
        return level * rng.uniform(1.08, 1.35)
    if draw < 0.07:
        return level * rng.uniform(0.72, 0.92)
    return level


def _account_mrr(rng: random.Random, spec: AccountSpec) -> dict[str, list[Decimal]]:
    values: dict[str, list[Decimal]] = {}
    level = 1.0
    for month in range(MONTH_COUNT):
        if not _is_active(spec, month):
            continue
        if month != spec.start:
            level = _next_level(rng, spec, month, level)
        upgraded = spec.upgrade_at is not None and month >= spec.upgrade_at
        plan = PLANS[spec.tier - 1 + (1 if upgraded else 0)]
        plan_value = max(
            spec.size * level * (_UPGRADE_STEP if upgraded else 1.0), _FLOOR
        )
        values.setdefault(plan, [_ZERO] * MONTH_COUNT)[month] = dollars(plan_value)
        if spec.premium_from is not None and month >= spec.premium_from:
            addon = values.setdefault(ADDON, [_ZERO] * MONTH_COUNT)
            addon[month] = dollars(plan_value * _ADDON_SHARE)
    return values


def _account_services(
    rng: random.Random, spec: AccountSpec, totals: list[Decimal]
) -> dict[tuple[int, str], Decimal]:
    services: dict[tuple[int, str], Decimal] = {}
    for month in range(MONTH_COUNT):
        if totals[month] <= 0:
            continue
        if spec.account_id == FLAGSHIP_ID and month >= _MIGRATION_FIRST_MONTH:
            services[(month, SERVICES[0])] = dollars(60_000 + 5_000 * (month % 4))
        elif rng.random() < 0.035:
            amount = round(spec.size * rng.uniform(0.5, 2.5), -2)
            services[(month, rng.choice(SERVICES))] = dollars(max(amount, 500.0))
    return services


def build_ledger(rng: random.Random, specs: list[AccountSpec]) -> Ledger:
    """The MRR and revenue of every paying account."""
    ledger = Ledger()
    for spec in specs:
        if not spec.paying:
            continue
        products = _account_mrr(rng, spec)
        totals = [_ZERO] * MONTH_COUNT
        for values in products.values():
            totals = [a + b for a, b in zip(totals, values, strict=True)]
        ledger.mrr[spec.account_id] = products
        ledger.totals[spec.account_id] = totals
        ledger.services[spec.account_id] = _account_services(rng, spec, totals)
    return ledger
