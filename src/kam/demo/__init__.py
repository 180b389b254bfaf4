"""The demo portfolio: a fictional healthcare-cloud division and its customers.

Our company is Nimbara Cloud — Health, the healthcare division of an invented cloud
provider. Its portfolio holds hospital systems, health insurers, life-science
companies and clinics, with a flagship hospital system (Orrinvale Health System)
whose stakeholder map carries the decision scenario of the stakeholder tool. Every
company and person is invented.

The portfolio is deterministic: the same seed gives an identical portfolio, drawn
only from :class:`random.Random` instances seeded from it (never the global
generator or the clock).

Example::

    >>> from kam.demo import demo_portfolio
    >>> portfolio = demo_portfolio(seed=7)
    >>> portfolio.table("Settings").column("value")[0]
    'Nimbara Cloud — Health'
"""

from __future__ import annotations

from kam.demo._common import sub_rng
from kam.demo.accounts import account_team_table, accounts_table, plan_accounts
from kam.demo.charter import charter_table, objectives_table, responsibilities_table
from kam.demo.divisions import coverage_table, units_table
from kam.demo.health import (
    health_model_table,
    plan_risks,
    risks_table,
    signals_table,
)
from kam.demo.ledger import build_ledger
from kam.demo.selection import criteria_table, profit_table, scores_table
from kam.demo.stakeholders import (
    influences_table,
    stakeholders_table,
    touchpoints_table,
)
from kam.demo.surveys import onboarding_table, surveys_table
from kam.demo.team import product_kinds, products_table, settings_table, team_table
from kam.demo.timeline import tasks_table
from kam.errors import InputError
from kam.model import SHEET_ORDER, Portfolio, Table

__all__ = ["MAX_ACCOUNTS", "MIN_ACCOUNTS", "demo_portfolio"]

#: The smallest portfolio that still holds every story (40 scored candidates,
#: churned and reactivated accounts, onboarding, the risk register).
MIN_ACCOUNTS = 60
#: The largest portfolio the invented name pools can name.
MAX_ACCOUNTS = 1000


def demo_portfolio(*, seed: int = 7, accounts: int = 120) -> Portfolio:
    """The demo portfolio: every sheet of the workbook contract, filled.

    ``seed`` drives every random draw; ``accounts`` is the number of customer
    accounts (two of them prospects). Money is ``Decimal`` to the cent, dates are
    ``datetime.date``, months and revenue periods ``YYYY-MM``; each sheet's table
    has exactly :func:`kam.model.store_columns` columns, with empty ``extra``.

    Raises :class:`~kam.errors.InputError` when ``accounts`` is outside
    ``MIN_ACCOUNTS``–``MAX_ACCOUNTS``.
    """
    if not MIN_ACCOUNTS <= accounts <= MAX_ACCOUNTS:
        raise InputError(
            f"demo accounts: {accounts} is outside {MIN_ACCOUNTS}–{MAX_ACCOUNTS}"
        )
    specs = plan_accounts(sub_rng(seed, "accounts"), accounts)
    ledger = build_ledger(sub_rng(seed, "ledger"), specs)
    risks = plan_risks(sub_rng(seed, "risks"), specs, ledger)
    tables: dict[str, Table] = {
        "Settings": settings_table(),
        "Team": team_table(),
        "Products": products_table(),
        "Accounts": accounts_table(specs),
        "Criteria": criteria_table(),
        "HealthModel": health_model_table(),
        "Units": units_table(),
        "Stakeholders": stakeholders_table(sub_rng(seed, "stakeholders"), specs),
        "Revenue": ledger.revenue_table(),
        "MRR": ledger.mrr_table(),
        "Profit": profit_table(sub_rng(seed, "profit"), specs, ledger, product_kinds()),
        "Scores": scores_table(sub_rng(seed, "scores"), specs),
        "Surveys": surveys_table(sub_rng(seed, "surveys"), specs, ledger, risks),
        "Onboarding": onboarding_table(sub_rng(seed, "onboarding"), specs),
        "Signals": signals_table(sub_rng(seed, "signals"), specs, ledger, risks),
        "Risks": risks_table(risks),
        "AccountTeam": account_team_table(specs),
        "Influences": influences_table(),
        "Touchpoints": touchpoints_table(specs),
        "Coverage": coverage_table(ledger),
        "Tasks": tasks_table(),
        "Responsibilities": responsibilities_table(),
        "Charter": charter_table(),
        "Objectives": objectives_table(),
    }
    return Portfolio(tables={name: tables[name] for name in SHEET_ORDER})
