"""Our side of the demo: the team, the products we sell and the settings."""

from __future__ import annotations

from dataclasses import dataclass

from kam.demo._common import AS_OF, COMPANY, CURRENCY, DOMAIN, make_table
from kam.demo.names import email_address
from kam.model import Table

__all__ = [
    "ADDON",
    "CUSTOMER_SUCCESS",
    "EXECUTIVE_SPONSOR",
    "FLAGSHIP_KAM",
    "KAMS",
    "MEMBERS",
    "PLANS",
    "SALES_DIRECTOR",
    "SERVICES",
    "SOLUTION_ARCHITECTS",
    "Member",
    "member_name",
    "product_kinds",
    "products_table",
    "settings_table",
    "team_table",
]


@dataclass(frozen=True)
class Member:
    """One person of our team."""

    member_id: str
    name: str
    role: str

    @property
    def email(self) -> str:
        return email_address(self.name, DOMAIN)


MEMBERS: tuple[Member, ...] = (
    Member("M01", "Dana Ruvelle", "KAM"),
    Member("M02", "Tobias Wrenfield", "KAM"),
    Member("M03", "Priya Osterlund-Mace", "KAM"),
    Member("M04", "Mateo Kessgarde", "KAM"),
    Member("M05", "Ines Corrabie", "KAM"),
    Member("M06", "Helena Ardmoor", "Sales director"),
    Member("M07", "Kofi Lindqvest", "Solution architect"),
    Member("M08", "Yuki Tarrowby", "Solution architect"),
    Member("M09", "Renata Quillfeather", "Executive sponsor"),
    Member("M10", "Samir Dellacourt", "Customer success"),
)

KAMS: tuple[str, ...] = tuple(m.member_id for m in MEMBERS if m.role == "KAM")
#: The KAM who owns the flagship account (the "our KAM" of the decision scenario).
FLAGSHIP_KAM = "M01"
SALES_DIRECTOR = "M06"
SOLUTION_ARCHITECTS: tuple[str, ...] = ("M07", "M08")
EXECUTIVE_SPONSOR = "M09"
CUSTOMER_SUCCESS = "M10"

#: Plans by tier (1 = entry).
PLANS: tuple[str, ...] = ("Essentials", "Professional", "Enterprise")
#: The premium add-on (the upsell offer).
ADDON = "Clinical Insights Premium"
#: One-off services.
SERVICES: tuple[str, ...] = ("Cloud Migration Services", "Data Platform Advisory")


def member_name(member_id: str) -> str:
    """The name of team member ``member_id``."""
    for member in MEMBERS:
        if member.member_id == member_id:
            return member.name
    raise KeyError(member_id)


def team_table() -> Table:
    """The Team sheet."""
    return make_table(
        "Team",
        (
            {
                "member_id": m.member_id,
                "name": m.name,
                "role": m.role,
                "email": m.email,
            }
            for m in MEMBERS
        ),
    )


def products_table() -> Table:
    """The Products sheet: three plans, the premium add-on and two services."""
    rows: list[dict[str, object]] = [
        {
            "product": plan,
            "family": "Health Cloud",
            "kind": "plan",
            "tier": tier,
            "premium": False,
        }
        for tier, plan in enumerate(PLANS, start=1)
    ]
    rows.append(
        {
            "product": ADDON,
            "family": "Health Cloud",
            "kind": "addon",
            "tier": None,
            "premium": True,
        }
    )
    rows.extend(
        {
            "product": service,
            "family": "Professional services",
            "kind": "service",
            "tier": None,
            "premium": False,
        }
        for service in SERVICES
    )
    return make_table("Products", rows)


def product_kinds() -> dict[str, str]:
    """The kind (plan, addon, service) of every product we sell."""
    kinds = dict.fromkeys(PLANS, "plan") | {ADDON: "addon"}
    return kinds | dict.fromkeys(SERVICES, "service")


def settings_table() -> Table:
    """The Settings sheet: company, currency, fiscal year start and as-of date."""
    values = {
        "company": COMPANY,
        "currency": CURRENCY,
        "fiscal_year_start": "1",
        "as_of": AS_OF.isoformat(),
    }
    return make_table("Settings", ({"key": k, "value": v} for k, v in values.items()))
