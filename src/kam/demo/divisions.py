"""The flagship's divisions and our coverage of them: Units and Coverage.

The owned cells share out the flagship's current business (annualised MRR of the
last month per product, the last twelve months of migration services), so the
division map and the ledger agree.
"""

from __future__ import annotations

from decimal import Decimal

from kam.demo._common import MONTH_COUNT, dollars, make_table, money
from kam.demo.accounts import FLAGSHIP_ID, FLAGSHIP_NAME
from kam.demo.ledger import Ledger
from kam.demo.team import (
    ADDON,
    CUSTOMER_SUCCESS,
    FLAGSHIP_KAM,
    PLANS,
    SERVICES,
    SOLUTION_ARCHITECTS,
)
from kam.model import Table

__all__ = ["UNITS", "coverage_table", "units_table"]

# (unit, name, parent, kind)
UNITS: tuple[tuple[str, str, str | None, str], ...] = (
    ("OV-U01", f"{FLAGSHIP_NAME} — System Office", None, "division"),
    (
        "OV-U02",
        "Shared Services (IT, Finance, Supply Chain)",
        "OV-U01",
        "business_unit",
    ),
    ("OV-U03", "Orrinvale Medical Center", "OV-U01", "site"),
    ("OV-U04", "Tessmoor Bay Hospital", "OV-U01", "site"),
    ("OV-U05", "Silverfen Children's Hospital", "OV-U01", "site"),
    ("OV-U06", "Orrinvale Research Institute", "OV-U01", "business_unit"),
    ("OV-U07", "Orrinvale Community Clinics", "OV-U01", "region"),
    ("OV-U08", "Community Clinics North", "OV-U07", "region"),
    ("OV-U09", "Community Clinics South", "OV-U07", "region"),
)

_ENTERPRISE, _MIGRATION, _ADVISORY = PLANS[2], SERVICES[0], SERVICES[1]
_CORVANE, _STRATOSHELF = "Corvane Cloud", "Stratoshelf Analytics"

#: Share of each owned product's current revenue per unit.
_OWNED_SHARES: dict[str, dict[str, float]] = {
    _ENTERPRISE: {
        "OV-U02": 0.22,
        "OV-U03": 0.34,
        "OV-U04": 0.2,
        "OV-U06": 0.14,
        "OV-U08": 0.1,
    },
    ADDON: {"OV-U03": 0.6, "OV-U04": 0.4},
    _MIGRATION: {"OV-U02": 1.0},
}

# Cells that are not owned: (unit, product) -> (status, potential as a share of the
# product's current total, probability, competitor).
_OPEN_CELLS: dict[tuple[str, str], tuple[str, float, float | None, str | None]] = {
    ("OV-U05", _ENTERPRISE): ("competitor", 0.28, None, _CORVANE),
    ("OV-U09", _ENTERPRISE): ("whitespace", 0.08, None, None),
    ("OV-U02", ADDON): ("pipeline", 0.5, 0.7, None),
    ("OV-U05", ADDON): ("competitor", 0.35, None, _STRATOSHELF),
    ("OV-U06", ADDON): ("whitespace", 0.3, None, None),
    ("OV-U08", ADDON): ("whitespace", 0.15, None, None),
    ("OV-U03", _MIGRATION): ("pipeline", 0.9, 0.8, None),
    ("OV-U04", _MIGRATION): ("pipeline", 0.6, 0.4, None),
    ("OV-U05", _MIGRATION): ("competitor", 0.5, None, _CORVANE),
    ("OV-U06", _MIGRATION): ("whitespace", 0.4, None, None),
    ("OV-U02", _ADVISORY): ("pipeline", 0.2, 0.5, None),
    ("OV-U03", _ADVISORY): ("whitespace", 0.15, None, None),
    ("OV-U04", _ADVISORY): ("whitespace", 0.1, None, None),
    ("OV-U05", _ADVISORY): ("competitor", 0.1, None, _STRATOSHELF),
    ("OV-U06", _ADVISORY): ("pipeline", 0.25, 0.6, None),
}

_COVERED_UNITS = ("OV-U02", "OV-U03", "OV-U04", "OV-U05", "OV-U06", "OV-U08", "OV-U09")
_OWNERS = {
    _ENTERPRISE: FLAGSHIP_KAM,
    ADDON: CUSTOMER_SUCCESS,
    _MIGRATION: SOLUTION_ARCHITECTS[0],
    _ADVISORY: SOLUTION_ARCHITECTS[0],
}


def units_table() -> Table:
    """The Units sheet: the flagship's divisions as a tree."""
    return make_table(
        "Units",
        (
            {
                "unit_id": unit,
                "account_id": FLAGSHIP_ID,
                "name": name,
                "parent_unit_id": parent,
                "kind": kind,
            }
            for unit, name, parent, kind in UNITS
        ),
    )


def _current_totals(ledger: Ledger) -> dict[str, Decimal]:
    """The flagship's current yearly business per product."""
    last = MONTH_COUNT - 1
    products = ledger.mrr[FLAGSHIP_ID]
    totals = {p: products[p][last] * 12 for p in (_ENTERPRISE, ADDON)}
    services = ledger.services[FLAGSHIP_ID]
    totals[_MIGRATION] = sum(
        (a for (m, s), a in services.items() if s == _MIGRATION and m > last - 12),
        Decimal("0.00"),
    )
    # The advisory service is priced from the Enterprise estate when not yet sold.
    totals[_ADVISORY] = totals[_ENTERPRISE]
    return totals


def _split(total: Decimal, shares: dict[str, float]) -> dict[str, Decimal]:
    """``total`` shared out by ``shares``; the last unit takes the rounding rest."""
    units = list(shares)
    parts = {u: dollars(float(total) * shares[u]) for u in units[:-1]}
    parts[units[-1]] = money(total - sum(parts.values(), Decimal("0.00")))
    return parts


def coverage_table(ledger: Ledger) -> Table:
    """The Coverage sheet: every covered unit × every product we sell."""
    totals = _current_totals(ledger)
    owned = {p: _split(totals[p], shares) for p, shares in _OWNED_SHARES.items()}
    products = (*PLANS, ADDON, *SERVICES)
    rows: list[dict[str, object]] = []
    for unit in _COVERED_UNITS:
        for product in products:
            row: dict[str, object] = {
                "unit_id": unit,
                "product": product,
                "owner": _OWNERS.get(product),
            }
            if product in owned and unit in owned[product]:
                current = owned[product][unit]
                row |= {
                    "status": "owned",
                    "current_revenue": current,
                    "potential_revenue": dollars(float(current) * 1.35),
                }
            elif (unit, product) in _OPEN_CELLS:
                status, share, probability, competitor = _OPEN_CELLS[(unit, product)]
                row |= {
                    "status": status,
                    "current_revenue": money(0),
                    "potential_revenue": dollars(float(totals[product]) * share),
                    "probability": probability,
                    "competitor": competitor,
                }
            else:
                # One enterprise agreement covers the system: smaller plans don't apply.
                row |= {"status": "not_eligible", "owner": None}
            rows.append(row)
    return make_table("Coverage", rows)
