"""Voice of the customer and first steps: Surveys (NPS, CSAT) and Onboarding.

Key accounts answer most months, so the portfolio has at least ten answers per
instrument in every quarter; a handful of smaller accounts answer only a few times
(fewer than ten answers, which the dashboard warns about).
"""

from __future__ import annotations

import random
from datetime import timedelta

from kam.demo._common import AS_OF, MONTH_COUNT, make_table, month_start
from kam.demo.accounts import FLAGSHIP_ID, AccountSpec
from kam.demo.health import RiskEntry
from kam.demo.ledger import Ledger
from kam.demo.stakeholders import CONSULTANCY_LEAD, STAKEHOLDERS
from kam.demo.team import CUSTOMER_SUCCESS
from kam.model import Table

__all__ = ["onboarding_table", "surveys_table"]

_FIRST_SURVEY_MONTH = 24  # 2025-01
_OCCASIONAL = 25  # smaller accounts that answer a few times
_COMMENTS = (
    "Migration support was excellent",
    "Billing is hard to follow",
    "The analytics workspace saves our team hours",
    "Support tickets take too long to close",
    "Great partnership with the account team",
    "Need better integration with our EHR",
)
_STAGES = ("kickoff", "setup", "first_value", "adoption", "complete")
_GO_LIVE_DAYS = 100


def _mood(account_id: str, risks: list[RiskEntry]) -> float:
    """The mean NPS answer of an account: lower when it has open risks."""
    open_levels = {
        e.level for e in risks if e.account_id == account_id and e.resolved_on is None
    }
    if "critical" in open_levels:
        return 4.5
    if "at_risk" in open_levels:
        return 6.0
    return 7.5 if account_id == FLAGSHIP_ID else 8.2


def surveys_table(
    rng: random.Random,
    specs: list[AccountSpec],
    ledger: Ledger,
    risks: list[RiskEntry],
) -> Table:
    """The Surveys sheet: NPS and CSAT answers from 2025-01 to 2026-10."""
    respondents = [
        p.stakeholder_id for p in STAKEHOLDERS if p.stakeholder_id != CONSULTANCY_LEAD
    ]
    paying = [s for s in specs if s.paying]
    keys = [s for s in paying if s.key_account]
    others = [s for s in paying if not s.key_account]
    occasional = {
        s.account_id for s in rng.sample(others, min(_OCCASIONAL, len(others)))
    }
    rows: list[dict[str, object]] = []
    for spec in paying:
        if spec not in keys and spec.account_id not in occasional:
            continue
        mood = _mood(spec.account_id, risks)
        odds = 0.7 if spec.key_account else 0.12
        for month in range(_FIRST_SURVEY_MONTH, MONTH_COUNT):
            if not ledger.active_in(spec.account_id, month):
                continue
            for instrument in ("NPS", "CSAT"):
                # Key accounts all answer in the last month so that its quarter,
                # a single month so far, still has enough answers.
                last = month == MONTH_COUNT - 1 and spec.key_account
                if not last and rng.random() >= odds:
                    continue
                day = month_start(month) + timedelta(days=rng.randint(0, 27))
                if instrument == "NPS":
                    score = max(0, min(10, round(rng.gauss(mood, 1.8))))
                else:
                    score = max(1, min(5, round(rng.gauss(mood / 2, 0.8))))
                rows.append(
                    {
                        "account_id": spec.account_id,
                        "answered_on": min(day, AS_OF),
                        "instrument": instrument,
                        "score": score,
                        "stakeholder_id": (
                            rng.choice(respondents)
                            if spec.account_id == FLAGSHIP_ID
                            else None
                        ),
                        "comment": rng.choice(_COMMENTS)
                        if rng.random() < 0.15
                        else None,
                    }
                )
    return make_table("Surveys", rows)


def onboarding_table(rng: random.Random, specs: list[AccountSpec]) -> Table:
    """The Onboarding sheet: accounts that started in the last twelve months.

    The two earliest of them are stuck in setup or first value, past their target
    go-live.
    """
    recent = sorted(
        (
            s
            for s in specs
            if s.paying
            and s.status == "active"
            and s.customer_since is not None
            and (s.start or 0) >= MONTH_COUNT - 12
        ),
        key=lambda s: (s.customer_since, s.account_id),
    )
    rows: list[dict[str, object]] = []
    for position, spec in enumerate(recent):
        assert spec.customer_since is not None
        # The two earliest are stuck: they never got past setup or first value.
        last_stage = 1 + position if position < 2 else len(_STAGES) - 1
        target = spec.customer_since + timedelta(days=_GO_LIVE_DAYS)
        owner = CUSTOMER_SUCCESS if position % 2 == 0 else spec.owner
        entered = spec.customer_since
        for index, stage in enumerate(_STAGES[: last_stage + 1]):
            if index:
                entered += timedelta(days=rng.randint(12, 35))
            if entered > AS_OF:
                break
            rows.append(
                {
                    "account_id": spec.account_id,
                    "stage": stage,
                    "stage_entered_on": entered,
                    "target_go_live": target,
                    "owner": owner,
                    "completed_on": entered if stage == "complete" else None,
                }
            )
    return make_table("Onboarding", rows)
