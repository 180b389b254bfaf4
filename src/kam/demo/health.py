"""Account health: the HealthModel, monthly usage Signals and the Risks register.

Accounts with an open at-risk or critical entry in the register show it in their
signals too (logins falling, tickets piling up, invoices overdue), so the health
score and the register tell the same story.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date, timedelta

from kam.demo._common import AS_OF, MONTH_COUNT, make_table, month_end
from kam.demo.accounts import FLAGSHIP_ID, AccountSpec
from kam.demo.ledger import Ledger
from kam.model import Table

__all__ = [
    "SIGNALS",
    "RiskEntry",
    "health_model_table",
    "plan_risks",
    "risks_table",
    "signals_table",
]

#: (signal, weight, good, poor): good above poor when higher is better.
SIGNALS: tuple[tuple[str, float, float, float], ...] = (
    ("active_users", 0.15, 120.0, 5.0),
    ("logins_per_user", 0.35, 20.0, 4.0),
    ("open_tickets", 0.25, 2.0, 12.0),
    ("days_past_due", 0.25, 0.0, 45.0),
)

_SIGNAL_MONTHS = 6
_OPEN_LEVELS = ("critical",) * 3 + ("at_risk",) * 4 + ("watch",) * 4
_REASONS = {
    "critical": (
        "Champion left; new CIO is reviewing all cloud contracts",
        "Two invoices unpaid for over 45 days",
        "Competitor pilot running on the imaging archive",
    ),
    "at_risk": (
        "Usage down by a third since the last quarter",
        "Escalated outage tickets unresolved",
        "Budget cut announced for the next fiscal year",
        "Merger talks with a system that uses another cloud",
    ),
    "watch": (
        "Sponsor on extended leave",
        "NPS fell below 20 in the last survey",
        "Renewal negotiation starts next month",
        "New procurement policy requires a tender",
    ),
}
_RESOLVED_REASONS = (
    "Data residency question from legal",
    "Slow support response during go-live",
    "Invoice dispute over premium add-on",
    "Key user churn after reorganisation",
    "Performance complaints on the analytics workspace",
    "Contract renewal stalled in procurement",
)


@dataclass(frozen=True)
class RiskEntry:
    """One row of the risk register."""

    account_id: str
    flagged_on: date
    level: str
    reason: str
    owner: str
    resolved_on: date | None = None


def health_model_table() -> Table:
    """The HealthModel sheet."""
    return make_table(
        "HealthModel",
        (
            {"signal": name, "weight": weight, "good": good, "poor": poor}
            for name, weight, good, poor in SIGNALS
        ),
    )


def _active_now(specs: list[AccountSpec], ledger: Ledger) -> list[AccountSpec]:
    return [
        s for s in specs if s.paying and ledger.active_in(s.account_id, MONTH_COUNT - 1)
    ]


def plan_risks(
    rng: random.Random, specs: list[AccountSpec], ledger: Ledger
) -> list[RiskEntry]:
    """Open risks on a dozen active accounts (the flagship on watch) and a few
    resolved ones."""
    active = [s for s in _active_now(specs, ledger) if s.account_id != FLAGSHIP_ID]
    chosen = rng.sample(active, len(_OPEN_LEVELS) + 6)
    entries = [
        RiskEntry(
            FLAGSHIP_ID,
            AS_OF - timedelta(days=38),
            "watch",
            "EVP & CIO neutral on the full migration; no direct contact yet",
            next(s.owner for s in specs if s.account_id == FLAGSHIP_ID),
        )
    ]
    for spec, level in zip(chosen, _OPEN_LEVELS, strict=False):
        entries.append(
            RiskEntry(
                spec.account_id,
                AS_OF - timedelta(days=rng.randint(4, 160)),
                level,
                rng.choice(_REASONS[level]),
                spec.owner,
            )
        )
    for spec in chosen[len(_OPEN_LEVELS) :]:
        flagged = AS_OF - timedelta(days=rng.randint(200, 600))
        entries.append(
            RiskEntry(
                spec.account_id,
                flagged,
                rng.choice(("watch", "at_risk")),
                rng.choice(_RESOLVED_REASONS),
                spec.owner,
                flagged + timedelta(days=rng.randint(20, 90)),
            )
        )
    return sorted(entries, key=lambda e: (e.account_id, e.flagged_on))


def risks_table(entries: list[RiskEntry]) -> Table:
    """The Risks sheet."""
    return make_table(
        "Risks",
        (
            {
                "account_id": e.account_id,
                "flagged_on": e.flagged_on,
                "level": e.level,
                "reason": e.reason,
                "owner": e.owner,
                "resolved_on": e.resolved_on,
            }
            for e in entries
        ),
    )


def signals_table(
    rng: random.Random,
    specs: list[AccountSpec],
    ledger: Ledger,
    risks: list[RiskEntry],
) -> Table:
    """The Signals sheet: four usage signals per active account, last six months."""
    trouble = {
        e.account_id: e.level
        for e in risks
        if e.resolved_on is None and e.level in ("critical", "at_risk")
    }
    rows: list[dict[str, object]] = []
    for spec in _active_now(specs, ledger):
        seats = max(8.0, 30 * math.sqrt(spec.size / 1000))
        adoption = rng.uniform(0.55, 0.9)
        logins = rng.uniform(12, 22)
        tickets = rng.uniform(0, 4)
        decline = {"critical": 0.75, "at_risk": 0.85}.get(
            trouble.get(spec.account_id, ""), 1.0
        )
        for step, month in enumerate(range(MONTH_COUNT - _SIGNAL_MONTHS, MONTH_COUNT)):
            if not ledger.active_in(spec.account_id, month):
                continue
            factor = decline**step
            overdue = (
                step * (11 if decline < 0.8 else 6)
                if decline < 1
                else (rng.choice((0, 0, 0, 0, 15, 30)))
            )
            values = {
                "active_users": round(
                    seats * adoption * factor * rng.uniform(0.95, 1.05)
                ),
                "logins_per_user": round(logins * factor * rng.uniform(0.9, 1.1), 1),
                "open_tickets": round(tickets / factor + rng.uniform(0, 2)),
                "days_past_due": overdue,
            }
            rows.extend(
                {
                    "account_id": spec.account_id,
                    "as_of": month_end(month),
                    "signal": name,
                    "value": float(values[name]),
                }
                for name, _, _, _ in SIGNALS
            )
    return make_table("Signals", rows)
