"""The flagship's people: Stakeholders, Influences and Touchpoints.

This is the decision scenario of analyses.md §6. The EVP & CIO holds the decision
(power 5), is neutral and has no touchpoint with us. Two IT directors report to the
EVP: one likes us and knows our KAM (strength 2), the other is cool and unknown to
us. An external consultancy lead, a champion of ours whom our KAM knows well
(strength 3), has a positive dotted line of strength 3 to the EVP. So the best path
is KAM → consultancy lead → EVP (0.9 × 0.9 = 0.81), ahead of KAM → IT director →
EVP (0.6 × 0.6 = 0.36). Every other edge near the EVP is kept weak (strength 1
touchpoints, no strength-3 dotted line into the EVP's neighbours) so that no other
path reaches 0.36.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

from kam.demo._common import make_table
from kam.demo.accounts import FLAGSHIP_ID, AccountSpec
from kam.demo.names import email_address, person_names
from kam.demo.team import (
    CUSTOMER_SUCCESS,
    EXECUTIVE_SPONSOR,
    FLAGSHIP_KAM,
    MEMBERS,
    SALES_DIRECTOR,
    SOLUTION_ARCHITECTS,
)
from kam.model import Table

__all__ = [
    "CONSULTANCY",
    "CONSULTANCY_LEAD",
    "EVP_CIO",
    "IT_DIRECTOR_COOL",
    "IT_DIRECTOR_WARM",
    "STAKEHOLDERS",
    "Person",
    "influences_table",
    "stakeholders_table",
    "touchpoints_table",
]

CONSULTANCY = "Halvercrest Advisory"
_DOMAIN = "orrinvale-health.example"
_CONSULTANCY_DOMAIN = "halvercrest.example"

EVP_CIO = "OV02"
IT_DIRECTOR_WARM = "OV06"
IT_DIRECTOR_COOL = "OV07"
CONSULTANCY_LEAD = "OV25"

# One stakeholder per line: id | name | title | unit | reports to | decision power |
# interest | attitude | buying role ("-" = blank). The consultancy lead is last.
_ORG_CHART = """
OV01 | Cassius Varnholt     | President & CEO                            | OV-U01 | -    | 4 | 2 | 0  | -
OV02 | Odessa Lintermann    | EVP & Chief Information Officer            | OV-U01 | OV01 | 5 | 4 | 0  | decision_maker
OV03 | Rafael Dunsevere     | Chief Financial Officer                    | OV-U01 | OV01 | 4 | 3 | 0  | economic_buyer
OV04 | Imke Fallowmere      | Chief Medical Officer                      | OV-U01 | OV01 | 4 | 3 | 1  | influencer
OV05 | Aurelie Nettlecombe  | Chief Nursing Officer                      | OV-U01 | OV01 | 3 | 3 | 1  | user
OV06 | Bram Holloquist      | Director, IT Infrastructure                | OV-U02 | OV02 | 3 | 5 | 1  | technical_buyer
OV07 | Selin Garnavich      | Director, Clinical Applications            | OV-U02 | OV02 | 3 | 4 | -1 | technical_buyer
OV08 | Viktor Ravenholt     | Chief Information Security Officer         | OV-U02 | OV02 | 4 | 4 | -2 | influencer
OV09 | Thandiwe Pellingrove | VP Supply Chain & Procurement              | OV-U02 | OV03 | 3 | 3 | 0  | gatekeeper
OV10 | Lucan Abernaught     | Procurement Manager, IT                    | OV-U02 | OV09 | 2 | 3 | 0  | user
OV11 | Margit Stroudwick    | VP Finance                                 | OV-U02 | OV03 | 3 | 2 | 0  | influencer
OV12 | Esperanza Wexcombe   | Director, Clinical Informatics             | OV-U01 | OV04 | 3 | 5 | 2  | coach
OV13 | Tomasz Ibbertson     | Chief Medical Information Officer          | OV-U01 | OV04 | 3 | 4 | 1  | influencer
OV14 | Greer Underhay       | Nurse Informatics Lead                     | OV-U03 | OV05 | 2 | 4 | 1  | user
OV15 | Anselm Yardeley      | Lead Enterprise Architect                  | OV-U02 | OV06 | 2 | 5 | 1  | technical_buyer
OV16 | Jessamy Morrowgate   | Cloud Platform Manager                     | OV-U02 | OV06 | 2 | 5 | 2  | user
OV17 | Niall Tamberlane     | Integration Engineering Manager            | OV-U02 | OV07 | 2 | 4 | 0  | user
OV18 | Corinna Elmquarter   | EHR Applications Manager                   | OV-U02 | OV07 | 2 | 3 | -1 | user
OV19 | Idris Jandervelt     | Data & Analytics Manager                   | OV-U02 | OV06 | 2 | 4 | 1  | technical_buyer
OV20 | Saoirse Kessridge    | Head of Research Computing                 | OV-U06 | OV19 | 2 | 5 | 1  | user
OV21 | Pavel Zamoranth      | Security Architect                         | OV-U02 | OV08 | 2 | 3 | -1 | user
OV22 | Matthias Bellchamber | Medical Director, Orrinvale Medical Center | OV-U03 | OV04 | 3 | 2 | 0  | user
OV23 | Lorna Quillmoss      | Chief Compliance & Privacy Officer         | OV-U01 | OV01 | 3 | 3 | -1 | influencer
OV24 | Benedikt Corranvale  | Executive Director, Community Clinics      | OV-U07 | OV01 | 3 | 2 | 1  | user
OV25 | Ottilie Marchbanks-Fenn | Partner, Digital Health                 | -      | -    | 3 | 4 | 2  | influencer
"""  # noqa: E501


@dataclass(frozen=True)
class Person:
    """One stakeholder of the flagship's map."""

    stakeholder_id: str
    name: str
    title: str
    unit_id: str | None
    reports_to: str | None
    power: int
    interest: int
    attitude: int
    buying_role: str | None


def _parse(chart: str) -> tuple[Person, ...]:
    people = []
    for line in chart.strip().splitlines():
        cells = [c.strip() for c in line.split("|")]
        sid, name, title, unit, manager, power, interest, attitude, role = cells
        people.append(
            Person(
                sid,
                name,
                title,
                None if unit == "-" else unit,
                None if manager == "-" else manager,
                int(power),
                int(interest),
                int(attitude),
                None if role == "-" else role,
            )
        )
    return tuple(people)


#: The flagship's stakeholders, the external consultancy lead last.
STAKEHOLDERS: tuple[Person, ...] = _parse(_ORG_CHART)

# (from, to, strength, sentiment, note)
_INFLUENCES: tuple[tuple[str, str, int, str, str], ...] = (
    (
        CONSULTANCY_LEAD,
        EVP_CIO,
        3,
        "positive",
        "Advises the EVP on the digital strategy; the EVP trusts her judgement",
    ),
    (
        "OV12",
        "OV13",
        3,
        "positive",
        "Runs the clinical informatics council with the CMIO",
    ),
    ("OV13", "OV04", 2, "positive", "The CMO follows the CMIO on clinical systems"),
    ("OV16", "OV06", 2, "positive", "Built the cloud pilot the director presents"),
    (
        "OV09",
        "OV03",
        2,
        "neutral",
        "Procurement briefs the CFO on every large contract",
    ),
    (
        "OV08",
        "OV03",
        2,
        "negative",
        "Warns the CFO about cloud lock-in and breach costs",
    ),
    ("OV21", "OV18", 1, "neutral", "Reviews every EHR interface change"),
    (
        "OV20",
        "OV22",
        1,
        "positive",
        "Shares research data projects with the medical center",
    ),
)

# (member, stakeholder, strength, last contact, key)
_TOUCHPOINTS: tuple[tuple[str, str, int, date, bool], ...] = (
    (FLAGSHIP_KAM, CONSULTANCY_LEAD, 3, date(2026, 10, 22), True),
    (FLAGSHIP_KAM, IT_DIRECTOR_WARM, 2, date(2026, 10, 14), False),
    (FLAGSHIP_KAM, "OV12", 3, date(2026, 10, 28), True),
    (FLAGSHIP_KAM, "OV09", 2, date(2026, 9, 30), False),
    (FLAGSHIP_KAM, "OV05", 1, date(2026, 6, 11), False),
    (SOLUTION_ARCHITECTS[0], "OV15", 3, date(2026, 10, 27), True),
    (SOLUTION_ARCHITECTS[0], "OV16", 3, date(2026, 10, 29), False),
    (SOLUTION_ARCHITECTS[0], "OV19", 1, date(2026, 8, 19), False),
    (SOLUTION_ARCHITECTS[0], "OV08", 1, date(2026, 7, 2), False),
    (EXECUTIVE_SPONSOR, "OV01", 1, date(2026, 3, 17), False),
    (EXECUTIVE_SPONSOR, "OV03", 2, date(2026, 9, 8), False),
    (CUSTOMER_SUCCESS, "OV14", 2, date(2026, 10, 20), False),
    (CUSTOMER_SUCCESS, "OV12", 2, date(2026, 10, 6), False),
    (SALES_DIRECTOR, "OV09", 1, date(2026, 5, 26), False),
)


def _flagship_rows() -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for number, person in enumerate(STAKEHOLDERS, start=1):
        external = person.stakeholder_id == CONSULTANCY_LEAD
        domain = _CONSULTANCY_DOMAIN if external else _DOMAIN
        rows.append(
            {
                "stakeholder_id": person.stakeholder_id,
                "account_id": FLAGSHIP_ID,
                "name": person.name,
                "title": person.title,
                "organisation": CONSULTANCY if external else None,
                "unit_id": person.unit_id,
                "reports_to": person.reports_to,
                "decision_power": person.power,
                "interest": person.interest,
                "attitude": person.attitude,
                "buying_role": person.buying_role,
                "email": email_address(person.name, domain),
                "phone": f"555-01{number:02d}",
            }
        )
    return rows


def second_account(specs: list[AccountSpec]) -> AccountSpec:
    """The largest key account after the flagship (it gets a small, thin map)."""
    keys = [s for s in specs if s.key_account and s.account_id != FLAGSHIP_ID]
    return min(keys, key=lambda s: s.rank)


def _second_rows(rng: random.Random, spec: AccountSpec) -> list[dict[str, object]]:
    """A thin map: four people, one touchpoint (a single-threaded account)."""
    taken = {p.name for p in STAKEHOLDERS} | {m.name for m in MEMBERS}
    names = person_names(rng, 4, taken)
    domain = spec.name.lower().replace(" ", "-") + ".example"
    roles = (
        ("Chief Information Officer", None, 5, 3, 1, "decision_maker"),
        ("Chief Financial Officer", 1, 4, 2, 0, "economic_buyer"),
        ("IT Operations Manager", 1, 3, 5, 2, "coach"),
        ("Purchasing Lead", 2, 2, 2, 0, "gatekeeper"),
    )
    rows: list[dict[str, object]] = []
    for number, (name, role) in enumerate(zip(names, roles, strict=True), start=1):
        title, manager, power, interest, attitude, buying = role
        rows.append(
            {
                "stakeholder_id": f"{spec.account_id}-S{number}",
                "account_id": spec.account_id,
                "name": name,
                "title": title,
                "organisation": None,
                "unit_id": None,
                "reports_to": None
                if manager is None
                else f"{spec.account_id}-S{manager}",
                "decision_power": power,
                "interest": interest,
                "attitude": attitude,
                "buying_role": buying,
                "email": email_address(name, domain),
                "phone": f"555-02{number:02d}",
            }
        )
    return rows


def stakeholders_table(rng: random.Random, specs: list[AccountSpec]) -> Table:
    """The Stakeholders sheet: the flagship's org chart and a second, thin map."""
    return make_table(
        "Stakeholders", _flagship_rows() + _second_rows(rng, second_account(specs))
    )


def influences_table() -> Table:
    """The Influences sheet (the dotted lines)."""
    return make_table(
        "Influences",
        (
            {"from_id": f, "to_id": t, "strength": s, "sentiment": m, "note": n}
            for f, t, s, m, n in _INFLUENCES
        ),
    )


def touchpoints_table(specs: list[AccountSpec]) -> Table:
    """The Touchpoints sheet: who on our side knows whom."""
    rows: list[dict[str, object]] = [
        {
            "member_id": member,
            "stakeholder_id": stakeholder,
            "strength": strength,
            "last_contact_on": contact,
            "key": key,
        }
        for member, stakeholder, strength, contact, key in _TOUCHPOINTS
    ]
    second = second_account(specs)
    rows.append(
        {
            "member_id": second.owner,
            "stakeholder_id": f"{second.account_id}-S3",
            "strength": 3,
            "last_contact_on": date(2026, 10, 9),
            "key": True,
        }
    )
    return make_table("Touchpoints", rows)
