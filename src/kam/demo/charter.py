"""How the programme is run: Responsibilities (RACI), Charter and Objectives.

Every activity of the RACI has exactly one accountable role (A or A/R) and at least
one responsible one. The charter holds every section of analyses.md §8 with one
section left unreviewed for more than 90 days; the flagship's account plan follows.
"""

from __future__ import annotations

from datetime import date

from kam.demo._common import make_table
from kam.demo.accounts import FLAGSHIP_ID
from kam.demo.stakeholders import CONSULTANCY
from kam.demo.team import (
    CUSTOMER_SUCCESS,
    EXECUTIVE_SPONSOR,
    FLAGSHIP_KAM,
    SALES_DIRECTOR,
    SOLUTION_ARCHITECTS,
    member_name,
)
from kam.model import Table

__all__ = ["ROLES", "charter_table", "objectives_table", "responsibilities_table"]

#: The RACI columns, in the order the matrix shows them.
ROLES = (
    "KAM",
    "Sales director",
    "Solution architect",
    "Executive sponsor",
    "Customer success",
)

# (account, activity, codes per role in ROLES order; "" = no assignment)
_RACI: tuple[tuple[str | None, str, tuple[str, ...]], ...] = (
    (FLAGSHIP_ID, "Account plan", ("A/R", "C", "C", "I", "C")),
    (FLAGSHIP_ID, "Stakeholder mapping", ("A/R", "I", "C", "", "C")),
    (FLAGSHIP_ID, "Migration business case", ("R", "A", "R", "C", "")),
    (FLAGSHIP_ID, "Solution design", ("C", "", "A/R", "", "I")),
    (FLAGSHIP_ID, "Security and compliance review", ("I", "", "R", "A", "")),
    (FLAGSHIP_ID, "Contract negotiation", ("R", "A", "C", "C", "")),
    (FLAGSHIP_ID, "Executive business review", ("A/R", "C", "I", "R", "C")),
    (FLAGSHIP_ID, "Adoption and hypercare", ("C", "", "C", "", "A/R")),
    (None, "Key-account selection", ("C", "A/R", "I", "C", "I")),
    (None, "Charter maintenance", ("R", "C", "", "A", "I")),
    (None, "Quarterly portfolio review", ("R", "R", "I", "A", "C")),
    (None, "Customer health monitoring", ("R", "I", "", "", "A/R")),
)

_PROGRAMME_REVIEW = date(2026, 9, 21)
_STALE_REVIEW = date(2026, 5, 4)  # more than 90 days before the as-of date
_PLAN_REVIEW = date(2026, 10, 12)

# (section, field, value, owner); the programme charter (account blank).
_CHARTER: tuple[tuple[str, str, str, str], ...] = (
    (
        "purpose",
        "statement",
        "Grow and protect the healthcare accounts that matter most by managing each "
        "as a long-term partnership with a named team and a joint plan.",
        EXECUTIVE_SPONSOR,
    ),
    (
        "scope",
        "selection_criteria",
        "Growth and harmony scores (Criteria sheet), ABC class A or B, "
        "a yearly potential above 1M.",
        SALES_DIRECTOR,
    ),
    ("scope", "target_key_accounts", "20", SALES_DIRECTOR),
    (
        "objectives_kpis",
        "objectives",
        "Key-account ARR up 15 % a year; net revenue retention above 110 %.",
        EXECUTIVE_SPONSOR,
    ),
    (
        "objectives_kpis",
        "kpis",
        "ARR, NRR and GRR of key accounts, NPS, share of wallet, plan completeness.",
        SALES_DIRECTOR,
    ),
    (
        "governance",
        "membership_decision",
        "The steering group decides membership each January from the scoring round.",
        EXECUTIVE_SPONSOR,
    ),
    (
        "governance",
        "review_meetings",
        "Monthly KAM review; quarterly steering group.",
        SALES_DIRECTOR,
    ),
    (
        "governance",
        "accountable_per_account",
        "The owning KAM is accountable per account.",
        SALES_DIRECTOR,
    ),
    (
        "governance",
        "reporting_lines",
        "KAMs report to the sales director, who reports to the executive sponsor.",
        SALES_DIRECTOR,
    ),
    ("executive_sponsor", "name", member_name(EXECUTIVE_SPONSOR), EXECUTIVE_SPONSOR),
    (
        "roles",
        "kam",
        "Owns the account plan, the relationship map and the forecast.",
        SALES_DIRECTOR,
    ),
    (
        "roles",
        "solution_architect",
        "Designs the migration and the landing zone.",
        SALES_DIRECTOR,
    ),
    (
        "roles",
        "customer_success",
        "Drives onboarding, adoption and renewal health.",
        SALES_DIRECTOR,
    ),
    (
        "resources",
        "budget",
        "Two solution architects and one customer success manager "
        "dedicated to key accounts.",
        EXECUTIVE_SPONSOR,
    ),
    (
        "resources",
        "tools",
        "kam workspace, CRM, shared account-plan template.",
        SALES_DIRECTOR,
    ),
    (
        "processes",
        "planning",
        "Every key account has a plan reviewed each quarter.",
        SALES_DIRECTOR,
    ),
    (
        "processes",
        "review_cadence",
        "Quarterly business review with each key account.",
        SALES_DIRECTOR,
    ),
    (
        "measurement",
        "kpi_sources",
        "MRR, Revenue, Surveys and Objectives sheets.",
        SALES_DIRECTOR,
    ),
    (
        "rollout",
        "phases",
        "Pilot with five accounts in Q1, all key accounts by Q3, review in Q4.",
        EXECUTIVE_SPONSOR,
    ),
    (
        "risks",
        "main_risks",
        "KAMs stretched across too many accounts; sponsors changing at customers.",
        EXECUTIVE_SPONSOR,
    ),
    ("approval", "approved_by", member_name(EXECUTIVE_SPONSOR), EXECUTIVE_SPONSOR),
    ("approval", "next_review", "January 2027 steering group", EXECUTIVE_SPONSOR),
)

# The flagship's account plan: (section, field, value, owner).
_PLAN: tuple[tuple[str, str, str, str], ...] = (
    (
        "summary",
        "headline",
        "Win the full cloud migration of Orrinvale's clinical estate by Q2 2027.",
        FLAGSHIP_KAM,
    ),
    (
        "profile",
        "organisation",
        "Integrated hospital system: three hospitals, a research institute and a "
        "regional clinic network.",
        FLAGSHIP_KAM,
    ),
    (
        "customer_objectives",
        "goals",
        "Close the on-premises data centre, modernise the EHR integration, open "
        "research data to partners.",
        FLAGSHIP_KAM,
    ),
    (
        "swot",
        "strengths",
        "Trusted by clinical informatics and IT infrastructure.",
        FLAGSHIP_KAM,
    ),
    (
        "swot",
        "weaknesses",
        "No direct line to the EVP & CIO, who decides.",
        FLAGSHIP_KAM,
    ),
    (
        "swot",
        "opportunities",
        "Children's hospital and research institute not yet on our platform.",
        FLAGSHIP_KAM,
    ),
    (
        "swot",
        "threats",
        "Corvane Cloud holds the children's hospital; the CISO opposes a single cloud.",
        FLAGSHIP_KAM,
    ),
    (
        "strategy",
        "value_proposition",
        "One compliant clinical cloud with analytics, run with the customer's team.",
        FLAGSHIP_KAM,
    ),
    (
        "actions",
        "win_the_evp",
        f"Ask the {CONSULTANCY} partner to set up a joint briefing with the EVP & CIO.",
        FLAGSHIP_KAM,
    ),
    (
        "actions",
        "address_security",
        "Security workshop with the CISO's team on data residency and exit plans.",
        SOLUTION_ARCHITECTS[0],
    ),
    (
        "risks",
        "main_risk",
        "The migration decision slips into the next budget year.",
        FLAGSHIP_KAM,
    ),
    (
        "review_cadence",
        "cadence",
        "Monthly with the account team; quarterly with the customer's executives.",
        FLAGSHIP_KAM,
    ),
)

# (id, account, objective, metric, target, due, owner, status)
_OBJECTIVES: tuple[
    tuple[str, str | None, str, str | None, float | None, date, str, str], ...
] = (
    (
        "OBJ-P1",
        None,
        "Grow key-account ARR",
        "ARR growth %",
        15.0,
        date(2026, 12, 31),
        EXECUTIVE_SPONSOR,
        "on_track",
    ),
    (
        "OBJ-P2",
        None,
        "Keep net revenue retention above target",
        "NRR %",
        110.0,
        date(2026, 12, 31),
        SALES_DIRECTOR,
        "at_risk",
    ),
    (
        "OBJ-P3",
        None,
        "An approved plan for every key account",
        "plans approved",
        20.0,
        date(2026, 9, 30),
        SALES_DIRECTOR,
        "done",
    ),
    (
        "OBJ-OV1",
        FLAGSHIP_ID,
        "Sign the full cloud migration",
        "contract signed",
        1.0,
        date(2027, 3, 31),
        FLAGSHIP_KAM,
        "open",
    ),
    (
        "OBJ-OV2",
        FLAGSHIP_ID,
        "Win the EVP & CIO as sponsor",
        "executive meetings held",
        2.0,
        date(2026, 12, 15),
        FLAGSHIP_KAM,
        "at_risk",
    ),
    (
        "OBJ-OV3",
        FLAGSHIP_ID,
        "Raise the account's NPS",
        "NPS",
        40.0,
        date(2027, 6, 30),
        CUSTOMER_SUCCESS,
        "on_track",
    ),
    (
        "OBJ-OV4",
        FLAGSHIP_ID,
        "Premium add-on in every hospital",
        "hospitals with premium",
        3.0,
        date(2027, 6, 30),
        CUSTOMER_SUCCESS,
        "open",
    ),
    (
        "OBJ-OV5",
        FLAGSHIP_ID,
        "Hospitals live on the new platform",
        "go-live milestone",
        None,
        date(2026, 12, 18),
        SOLUTION_ARCHITECTS[0],
        "on_track",
    ),
)


def responsibilities_table() -> Table:
    """The Responsibilities sheet, long: one row per activity and assigned role."""
    rows = [
        {"activity": activity, "account_id": account, "role": role, "code": code}
        for account, activity, codes in _RACI
        for role, code in zip(ROLES, codes, strict=True)
        if code
    ]
    return make_table("Responsibilities", rows)


def charter_table() -> Table:
    """The Charter sheet: the programme charter, then the flagship's account plan."""
    rows: list[dict[str, object]] = []
    for section, field_name, value, owner in _CHARTER:
        stale = section == "resources"
        rows.append(
            {
                "account_id": None,
                "section": section,
                "field": field_name,
                "value": value,
                "owner": owner,
                "reviewed_on": _STALE_REVIEW if stale else _PROGRAMME_REVIEW,
            }
        )
    rows.extend(
        {
            "account_id": FLAGSHIP_ID,
            "section": section,
            "field": field_name,
            "value": value,
            "owner": owner,
            "reviewed_on": _PLAN_REVIEW,
        }
        for section, field_name, value, owner in _PLAN
    )
    return make_table("Charter", rows)


def objectives_table() -> Table:
    """The Objectives sheet: the programme's and the flagship's objectives."""
    return make_table(
        "Objectives",
        (
            {
                "objective_id": oid,
                "account_id": account,
                "objective": text,
                "metric": metric,
                "target": target,
                "due": due,
                "owner": owner,
                "status": status,
            }
            for oid, account, text, metric, target, due, owner, status in _OBJECTIVES
        ),
    )
