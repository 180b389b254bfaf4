"""The demo portfolio: deterministic, canonical, consistent, and it tells its stories.

Every expectation here is computed from the demo's rows by the test itself (or by
hand, for the worked checks), never read back from the demo's own helpers.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import Counter, defaultdict
from decimal import Decimal
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from kam.demo import demo_portfolio
from kam.errors import InputError, WorkbookError
from kam.model import EXTRA, SHEETS, Kind, Portfolio, store_columns

AS_OF = dt.date(2026, 10, 31)


@pytest.fixture(scope="module")
def demo() -> Portfolio:
    return demo_portfolio(seed=7)


# Rows as plain dicts of Any: the checks below compare values of known kinds.
AnyRow = dict[str, Any]


def rows(p: Portfolio, sheet: str) -> list[AnyRow]:
    return list(p.rows(sheet))


def col(p: Portfolio, sheet: str, column: str) -> list[Any]:
    return p.table(sheet).column(column)


def by_id(p: Portfolio, sheet: str, column: str) -> dict[Any, AnyRow]:
    return {r[column]: r for r in p.rows(sheet)}


# Determinism and shape ----------------------------------------------------------


def test_same_seed_gives_an_equal_portfolio(demo: Portfolio) -> None:
    again = demo_portfolio(seed=7)
    assert again.tables.keys() == demo.tables.keys()
    for name in demo.tables:
        assert again.table(name) == demo.table(name), name


def test_another_seed_gives_another_portfolio(demo: Portfolio) -> None:
    other = demo_portfolio(seed=8)
    assert other.table("Accounts") != demo.table("Accounts")
    assert other.table("MRR") != demo.table("MRR")


def test_the_number_of_accounts_follows_the_argument() -> None:
    assert len(demo_portfolio(seed=3, accounts=75).table("Accounts")) == 75


def test_a_portfolio_too_small_for_the_stories_is_refused() -> None:
    with pytest.raises(InputError, match="10"):
        demo_portfolio(accounts=10)


def test_every_sheet_is_present_with_exactly_its_store_columns(demo: Portfolio) -> None:
    assert set(demo.tables) == set(SHEETS)
    for name, table in demo.tables.items():
        assert table.columns == store_columns(SHEETS[name]), name
        assert len(table) > 0, name


_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def _canonical(kind: Kind, value: object) -> bool:
    checks = {
        Kind.MONEY: lambda v: (
            isinstance(v, Decimal)
            and v == v.quantize(Decimal("0.01"))
            and v.as_tuple().exponent == -2
        ),
        Kind.DATE: lambda v: type(v) is dt.date,
        Kind.MONTH: lambda v: isinstance(v, str) and _MONTH.match(v) is not None,
        Kind.INT: lambda v: type(v) is int,
        Kind.NUMBER: lambda v: type(v) is float,
        Kind.BOOL: lambda v: type(v) is bool,
        Kind.TEXT: lambda v: isinstance(v, str) and v == v.strip() and v != "",
        Kind.ID: lambda v: isinstance(v, str) and v == v.strip() and v != "",
        Kind.PERIOD: lambda v: (
            isinstance(v, str)
            and re.match(r"^\d{4}(-Q[1-4]|-(0[1-9]|1[0-2]))?$", v) is not None
        ),
    }
    return checks[kind](value) if kind in checks else isinstance(value, str)


def test_every_value_is_canonical_for_its_column(demo: Portfolio) -> None:
    for name, table in demo.tables.items():
        sheet = SHEETS[name]
        for column in sheet.columns:
            for i, value in enumerate(table.column(column.name)):
                if value is None:
                    assert not column.required, (name, i, column.name)
                    continue
                assert _canonical(column.kind, value), (name, i, column.name, value)
                if column.choices:
                    assert value in column.choices, (name, i, column.name, value)
        assert all(extra == {} for extra in table.column(EXTRA)), name


def test_settings_describe_the_healthcare_division(demo: Portfolio) -> None:
    settings = {r["key"]: r["value"] for r in rows(demo, "Settings")}
    assert settings["currency"] == "USD"
    assert settings["fiscal_year_start"] == "1"
    assert settings["as_of"] == "2026-10-31"
    assert "Health" in str(settings["company"])


def test_revenue_periods_are_months_and_profit_periods_the_year(
    demo: Portfolio,
) -> None:
    assert all(_MONTH.match(str(p)) for p in col(demo, "Revenue", "period"))
    assert set(col(demo, "Profit", "period")) == {"2025"}


# References ---------------------------------------------------------------------


def test_every_reference_points_at_an_existing_row(demo: Portfolio) -> None:
    accounts = set(col(demo, "Accounts", "account_id"))
    members = set(col(demo, "Team", "member_id"))
    products = set(col(demo, "Products", "product"))
    people = by_id(demo, "Stakeholders", "stakeholder_id")
    units = by_id(demo, "Units", "unit_id")
    for name, sheet in SHEETS.items():
        if "account_id" in sheet.column_names:
            used = {v for v in demo.table(name).column("account_id") if v is not None}
            assert used <= accounts, name
        for column in ("owner", "member_id"):
            if column in sheet.column_names:
                used = {v for v in demo.table(name).column(column) if v is not None}
                assert used <= members, (name, column)
    for name, column in (
        ("Revenue", "product"),
        ("MRR", "plan"),
        ("Coverage", "product"),
    ):
        assert set(demo.table(name).column(column)) <= products, name
    for r in people.values():
        if r["reports_to"] is not None:
            manager = people[r["reports_to"]]
            assert manager["account_id"] == r["account_id"]
        if r["unit_id"] is not None:
            assert units[r["unit_id"]]["account_id"] == r["account_id"]
    for r in units.values():
        assert r["parent_unit_id"] is None or r["parent_unit_id"] in units
    assert set(col(demo, "Coverage", "unit_id")) <= set(units)
    for r in rows(demo, "Influences"):
        assert r["from_id"] in people
        assert r["to_id"] in people
    assert set(col(demo, "Touchpoints", "stakeholder_id")) <= set(people)
    survey_people = [
        r for r in rows(demo, "Surveys") if r["stakeholder_id"] is not None
    ]
    assert survey_people
    for r in survey_people:
        assert people[r["stakeholder_id"]]["account_id"] == r["account_id"]
    criteria = set(col(demo, "Criteria", "criterion_id"))
    assert set(col(demo, "Scores", "criterion_id")) <= criteria
    signals = set(col(demo, "HealthModel", "signal"))
    assert set(col(demo, "Signals", "signal")) == signals


def test_account_parents_exist_and_form_no_cycle(demo: Portfolio) -> None:
    parent = {r["account_id"]: r["parent_account_id"] for r in rows(demo, "Accounts")}
    linked = [a for a, p in parent.items() if p is not None]
    assert len(linked) >= 2
    for account in linked:
        seen = {account}
        current = parent[account]
        while current is not None:
            assert current in parent
            assert current not in seen
            seen.add(current)
            current = parent[current]


def test_reports_to_lines_form_a_forest(demo: Portfolio) -> None:
    manager = {r["stakeholder_id"]: r["reports_to"] for r in rows(demo, "Stakeholders")}
    for person in manager:
        seen = {person}
        current = manager[person]
        while current is not None:
            assert current not in seen, person
            seen.add(current)
            current = manager[current]


def test_each_owner_is_on_the_account_team_with_edit_access(demo: Portfolio) -> None:
    team = {
        (r["account_id"], r["member_id"]): r["access"]
        for r in rows(demo, "AccountTeam")
    }
    for account in rows(demo, "Accounts"):
        assert team[(account["account_id"], account["owner"])] == "edit"
    assert "read" in team.values()


def test_team_has_kams_and_every_role_with_invented_emails(demo: Portfolio) -> None:
    roles = Counter(r["role"] for r in rows(demo, "Team"))
    assert 4 <= roles["KAM"] <= 6
    assert {"Sales director", "Solution architect", "Executive sponsor"} <= set(roles)
    for r in rows(demo, "Team"):
        assert str(r["email"]).endswith(".example")
    kams = {r["member_id"] for r in rows(demo, "Team") if r["role"] == "KAM"}
    assert set(col(demo, "Accounts", "owner")) <= kams


def test_prospects_have_no_revenue_and_churned_accounts_stop(demo: Portfolio) -> None:
    status = {r["account_id"]: r["status"] for r in rows(demo, "Accounts")}
    assert Counter(status.values())["prospect"] >= 2
    assert Counter(status.values())["churned"] >= 3
    billed = {r["account_id"] for r in rows(demo, "Revenue")}
    assert not {a for a, s in status.items() if s == "prospect"} & billed
    totals = mrr_totals(demo)
    for account, state in status.items():
        if state == "churned":
            assert totals[account][-1] == 0, account
            last = max(i for i, v in enumerate(totals[account]) if v > 0)
            late = {
                r["period"] for r in rows(demo, "Revenue") if r["account_id"] == account
            }
            assert max(late) <= MONTHS[last], account
        elif state == "active":
            assert totals[account][-1] > 0, account


def test_some_renewals_fall_in_the_next_90_days(demo: Portfolio) -> None:
    soon = [
        r
        for r in rows(demo, "Accounts")
        if r["renewal_date"] is not None
        and AS_OF < r["renewal_date"] <= AS_OF + dt.timedelta(days=90)
    ]
    assert len(soon) >= 5


# MRR and revenue ----------------------------------------------------------------

MONTHS = [f"{y}-{m:02d}" for y in range(2023, 2027) for m in range(1, 13)][:46]


def mrr_totals(p: Portfolio) -> dict[str, list[Decimal]]:
    """Total MRR per account and month, 2023-01 … 2026-10, zeros where no row."""
    index = {m: i for i, m in enumerate(MONTHS)}
    totals: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal(0)] * len(MONTHS))
    for r in rows(p, "MRR"):
        totals[str(r["account_id"])][index[str(r["month"])]] += r["mrr"]
    return dict(totals)


def test_mrr_covers_2023_01_to_2026_10(demo: Portfolio) -> None:
    assert sorted(set(col(demo, "MRR", "month"))) == MONTHS


def test_top_fifth_of_accounts_hold_70_to_90_percent_of_2025_mrr(
    demo: Portfolio,
) -> None:
    year = [sum(v[24:36], Decimal(0)) for v in mrr_totals(demo).values()]
    year = sorted((v for v in year if v > 0), reverse=True)
    top = round(len(year) * 0.2)
    share = sum(year[:top], Decimal(0)) / sum(year, Decimal(0))
    assert Decimal("0.70") <= share <= Decimal("0.90")


def test_every_kind_of_mrr_movement_occurs(demo: Portfolio) -> None:
    kinds: Counter[str] = Counter()
    gaps = []
    for values in mrr_totals(demo).values():
        for m, (before, now) in enumerate(pairwise(values), start=1):
            if before == 0 and now > 0:
                earlier = [i for i in range(m) if values[i] > 0]
                kinds["reactivation" if earlier else "new"] += 1
                if earlier:
                    gaps.append(m - 1 - max(earlier))
            elif before > 0 and now == 0:
                kinds["churn"] += 1
            elif before > 0 and now > before:
                kinds["expansion"] += 1
            elif before > 0 and now < before:
                kinds["contraction"] += 1
    assert {"new", "expansion", "contraction", "churn", "reactivation"} <= set(kinds)
    assert min(gaps) >= 2


def test_some_accounts_change_plan_and_about_a_third_buy_premium(
    demo: Portfolio,
) -> None:
    products = by_id(demo, "Products", "product")
    kinds = Counter(r["kind"] for r in products.values())
    assert kinds == {"plan": 3, "addon": 1, "service": 2}
    premium = [p for p, r in products.items() if r["premium"]]
    assert len(premium) == 1
    assert products[premium[0]]["kind"] == "addon"
    plans_of: dict[object, set[object]] = defaultdict(set)
    with_premium = set()
    for r in rows(demo, "MRR"):
        if products[r["plan"]]["kind"] == "plan":
            plans_of[r["account_id"]].add(r["plan"])
        else:
            with_premium.add(r["account_id"])
    assert sum(len(p) > 1 for p in plans_of.values()) >= 3
    assert 0.2 <= len(with_premium) / len(plans_of) <= 0.45
    one_plan_a_month = Counter(
        (r["account_id"], r["month"])
        for r in rows(demo, "MRR")
        if products[r["plan"]]["kind"] == "plan"
    )
    assert max(one_plan_a_month.values()) == 1


def test_revenue_bills_the_mrr_plus_occasional_services(demo: Portfolio) -> None:
    mrr = {
        (r["account_id"], r["month"], r["plan"]): r["mrr"] for r in rows(demo, "MRR")
    }
    revenue = {
        (r["account_id"], r["period"], r["product"]): r["amount"]
        for r in rows(demo, "Revenue")
    }
    services = {r["product"] for r in rows(demo, "Products") if r["kind"] == "service"}
    assert len(revenue) == len(demo.table("Revenue"))  # no duplicate keys to sum
    for key, amount in revenue.items():
        if key[2] in services:
            assert amount > 0
        else:
            assert mrr[key] == amount
    assert set(mrr) <= set(revenue)
    assert any(key[2] in services for key in revenue)


def test_flagship_is_a_key_hospital_system_among_the_two_largest(
    demo: Portfolio,
) -> None:
    flagship = flagship_row(demo)
    assert flagship["key_account"] is True
    assert flagship["industry"] == "Hospital system"
    year: dict[str, Decimal] = defaultdict(Decimal)
    for r in rows(demo, "Revenue"):
        if str(r["period"]).startswith("2025"):
            year[r["account_id"]] += r["amount"]
    ranking = sorted(year, key=lambda a: year[a], reverse=True)
    assert flagship["account_id"] in ranking[:2]


def flagship_row(p: Portfolio) -> AnyRow:
    """The account that owns the stakeholder map with an external consultancy."""
    external = [r for r in rows(p, "Stakeholders") if r["organisation"] is not None]
    assert len(external) == 1
    return by_id(p, "Accounts", "account_id")[external[0]["account_id"]]


# The decision scenario (analyses.md §6) ----------------------------------------


def scenario(p: Portfolio) -> dict[str, AnyRow]:
    """The scenario's rows, looked up by their facts rather than by their ids."""
    flagship = flagship_row(p)
    people = [
        r for r in rows(p, "Stakeholders") if r["account_id"] == flagship["account_id"]
    ]
    (evp,) = [r for r in people if r["buying_role"] == "decision_maker"]
    (lead,) = [r for r in people if r["organisation"] is not None]
    directors = [
        r
        for r in people
        if r["reports_to"] == evp["stakeholder_id"] and r["decision_power"] == 3
    ]
    assert len(directors) == 2
    warm, cool = sorted(directors, key=lambda r: -int(r["attitude"]))
    return {"flagship": flagship, "evp": evp, "lead": lead, "warm": warm, "cool": cool}


def touchpoint(p: Portfolio, member: object, person: object) -> AnyRow | None:
    found = [
        r
        for r in rows(p, "Touchpoints")
        if r["member_id"] == member and r["stakeholder_id"] == person
    ]
    return found[0] if found else None


def test_the_evp_decides_is_neutral_and_untouched(demo: Portfolio) -> None:
    evp = scenario(demo)["evp"]
    assert "EVP" in evp["title"]
    assert "Information" in evp["title"]
    assert (evp["decision_power"], evp["attitude"]) == (5, 0)
    touched = set(col(demo, "Touchpoints", "stakeholder_id"))
    assert evp["stakeholder_id"] not in touched


def test_one_it_director_knows_our_kam_the_other_nobody(demo: Portfolio) -> None:
    s = scenario(demo)
    kam = s["flagship"]["owner"]
    assert s["warm"]["attitude"] == 1
    link = touchpoint(demo, kam, s["warm"]["stakeholder_id"])
    assert link is not None
    assert link["strength"] == 2
    assert s["cool"]["attitude"] in (0, -1)
    touched = set(col(demo, "Touchpoints", "stakeholder_id"))
    assert s["cool"]["stakeholder_id"] not in touched


def test_the_consultancy_lead_has_a_strong_positive_line_to_the_evp(
    demo: Portfolio,
) -> None:
    s = scenario(demo)
    lead, evp = s["lead"], s["evp"]
    assert lead["attitude"] == 2
    assert lead["reports_to"] is None
    assert lead["account_id"] == s["flagship"]["account_id"]
    assert "Advisory" in str(lead["organisation"])
    lines = [
        r
        for r in rows(demo, "Influences")
        if (r["from_id"], r["to_id"]) == (lead["stakeholder_id"], evp["stakeholder_id"])
    ]
    assert [(r["strength"], r["sentiment"]) for r in lines] == [(3, "positive")]
    link = touchpoint(demo, s["flagship"]["owner"], lead["stakeholder_id"])
    assert link is not None
    assert (link["strength"], link["key"]) == (3, True)


def test_the_flagship_map_has_every_buying_role_a_blocker_and_a_negative_line(
    demo: Portfolio,
) -> None:
    flagship = scenario(demo)["flagship"]["account_id"]
    people = [r for r in rows(demo, "Stakeholders") if r["account_id"] == flagship]
    assert 20 <= len(people) <= 30
    roles = Counter(r["buying_role"] for r in people)
    for role in ("decision_maker", "economic_buyer", "user", "gatekeeper", "coach"):
        assert roles[role] >= 1, role
    assert roles["technical_buyer"] >= 2
    assert any(int(r["attitude"]) < 0 and int(r["decision_power"]) >= 4 for r in people)
    assert any(r["sentiment"] == "negative" for r in rows(demo, "Influences"))
    assert sum(1 for r in people if r["reports_to"] is None) == 2  # the CEO, the lead


_P = {3: 0.9, 2: 0.6, 1: 0.3}


def influence_paths(p: Portfolio, target: object) -> list[tuple[float, list[object]]]:
    """Every path of at most 4 edges from a team member to ``target``, best first,
    built with the rules of analyses.md §6 (written out here independently)."""
    people = by_id(p, "Stakeholders", "stakeholder_id")
    edges: dict[tuple[object, object], float] = {}

    def add(a: object, b: object, strength: int) -> None:
        weight = _P[strength]
        if any(x in people and int(people[x]["attitude"]) < 0 for x in (a, b)):
            weight /= 2
        edges[(a, b)] = max(edges.get((a, b), 0.0), weight)

    for r in rows(p, "Touchpoints"):
        add(("member", r["member_id"]), r["stakeholder_id"], int(r["strength"]))
    for r in people.values():
        if r["reports_to"] is not None:
            add(r["stakeholder_id"], r["reports_to"], 2)
            add(r["reports_to"], r["stakeholder_id"], 2)
    for r in rows(p, "Influences"):
        if r["sentiment"] != "negative":
            add(r["from_id"], r["to_id"], int(r["strength"]))
    out: dict[object, list[tuple[object, float]]] = defaultdict(list)
    for (a, b), weight in edges.items():
        out[a].append((b, weight))
    found: list[tuple[float, list[object]]] = []

    def walk(path: list[object], weight: float) -> None:
        if path[-1] == target:
            found.append((weight, path))
            return
        if len(path) == 5:
            return
        for nxt, w in out[path[-1]]:
            if nxt not in path:
                walk([*path, nxt], weight * w)

    for start in {a for a in out if isinstance(a, tuple)}:
        walk([start], 1.0)
    return sorted(found, key=lambda f: -f[0])


def test_best_path_to_the_evp_runs_through_the_consultancy_lead(
    demo: Portfolio,
) -> None:
    s = scenario(demo)
    kam = ("member", s["flagship"]["owner"])
    paths = influence_paths(demo, s["evp"]["stakeholder_id"])
    best, second = paths[0], paths[1]
    assert best[1] == [kam, s["lead"]["stakeholder_id"], s["evp"]["stakeholder_id"]]
    assert math.isclose(best[0], 0.81)
    assert second[1] == [kam, s["warm"]["stakeholder_id"], s["evp"]["stakeholder_id"]]
    assert math.isclose(second[0], 0.36)
    assert all(w < 0.36 - 1e-9 for w, _ in paths[2:])


# Selection and profit -----------------------------------------------------------


def test_criteria_weights_of_each_section_sum_to_one(demo: Portfolio) -> None:
    sections: dict[object, list[Decimal]] = defaultdict(list)
    for r in rows(demo, "Criteria"):
        sections[r["section"]].append(Decimal(str(r["weight"])))
        assert r["description"]
    assert set(sections) == {"growth", "harmony"}
    assert all(len(w) == 4 and sum(w) == 1 for w in sections.values())
    growth = [
        Decimal(str(r["weight"]))
        for r in rows(demo, "Criteria")
        if r["section"] == "growth"
    ]
    assert growth == [
        Decimal("0.15"),
        Decimal("0.35"),
        Decimal("0.20"),
        Decimal("0.30"),
    ]


def section_scores(p: Portfolio) -> dict[tuple[object, object], Decimal]:
    """Mean over raters of each section's weighted score, per (account, section)."""
    criteria = by_id(p, "Criteria", "criterion_id")
    per_rater: dict[tuple[object, object, object], Decimal] = defaultdict(Decimal)
    for r in rows(p, "Scores"):
        c = criteria[r["criterion_id"]]
        key = (r["account_id"], c["section"], r["rater"])
        per_rater[key] += Decimal(str(c["weight"])) * Decimal(str(r["score"]))
    grouped: dict[tuple[object, object], list[Decimal]] = defaultdict(list)
    for (account, section, _), value in per_rater.items():
        grouped[(account, section)].append(value)
    return {k: sum(v, Decimal(0)) / len(v) for k, v in grouped.items()}


def test_the_worked_check_is_real_data(demo: Portfolio) -> None:
    criteria = by_id(demo, "Criteria", "criterion_id")
    growth: dict[tuple[str, str], list[int]] = defaultdict(list)
    for r in rows(demo, "Scores"):
        if criteria[r["criterion_id"]]["section"] == "growth":
            growth[r["account_id"], r["rater"]].append(int(r["score"]))
    found = {tuple(v): account for (account, _), v in growth.items()}
    scores = section_scores(demo)
    assert scores[(found[(8, 3, 2, 1)], "growth")] == Decimal("2.95")
    assert scores[(found[(4, 6, 8, 3)], "growth")] == Decimal("5.20")


def test_about_forty_candidates_are_scored_with_a_tie(demo: Portfolio) -> None:
    scores = section_scores(demo)
    accounts = {a for a, _ in scores}
    assert 35 <= len(accounts) <= 45
    assert all(1 <= s <= 10 for s in col(demo, "Scores", "score"))
    assert all(float(s).is_integer() for s in col(demo, "Scores", "score"))
    overall = Counter(
        (scores[(a, "growth")] + scores[(a, "harmony")]) / 2 for a in accounts
    )
    assert max(overall.values()) >= 2


def test_ten_accounts_have_two_raters_one_pair_far_apart(demo: Portfolio) -> None:
    raters: dict[tuple[object, object], list[float]] = defaultdict(list)
    for r in rows(demo, "Scores"):
        raters[(r["account_id"], r["criterion_id"])].append(float(r["score"]))
    doubled = {a for (a, _), v in raters.items() if len(v) == 2}
    assert 8 <= len(doubled) <= 12
    assert any(max(v) - min(v) > 3 for v in raters.values())


def test_profit_rows_add_up_and_some_big_accounts_lose_money(demo: Portfolio) -> None:
    parts = ("cts_presale", "cts_production", "cts_distribution", "cts_postsale")
    net: dict[str, Decimal] = defaultdict(Decimal)
    pi: dict[str, Decimal] = defaultdict(Decimal)
    for r in rows(demo, "Profit"):
        assert r["cost_to_serve"] == sum((r[c] for c in parts), Decimal(0))
        assert 0 < r["net_revenue"] <= r["list_revenue"]
        net[r["account_id"]] += r["net_revenue"]
        pi[r["account_id"]] += r["net_revenue"] - r["cogs"] - r["cost_to_serve"]
    biggest = sorted(net, key=lambda a: net[a], reverse=True)[:10]
    assert sum(pi[a] < 0 for a in biggest) >= 2
    # The whale curve: cumulative profit, best accounts first, peaks above the total.
    ordered = sorted(pi.values(), reverse=True)
    running = [sum(ordered[: i + 1], Decimal(0)) for i in range(len(ordered))]
    assert max(running) > running[-1] > 0


def test_profit_net_revenue_is_the_2025_revenue_per_product(demo: Portfolio) -> None:
    billed: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for r in rows(demo, "Revenue"):
        if r["period"].startswith("2025"):
            billed[(r["account_id"], r["product"])] += r["amount"]
    profit = {
        (r["account_id"], r["product"]): r["net_revenue"] for r in rows(demo, "Profit")
    }
    assert profit == billed


def test_discounts_and_product_margins_vary(demo: Portfolio) -> None:
    kind = {r["product"]: r["kind"] for r in rows(demo, "Products")}
    profit = rows(demo, "Profit")
    discounts = {round(1 - r["net_revenue"] / r["list_revenue"], 2) for r in profit}
    assert len(discounts) > 10
    net: dict[str, Decimal] = defaultdict(Decimal)
    cogs: dict[str, Decimal] = defaultdict(Decimal)
    for r in profit:
        net[kind[r["product"]]] += r["net_revenue"]
        cogs[kind[r["product"]]] += r["cogs"]
    margin = {k: 1 - cogs[k] / net[k] for k in net}
    assert margin["addon"] > margin["plan"] > margin["service"]


# Health -------------------------------------------------------------------------


def test_surveys_have_ten_answers_a_quarter_and_a_few_thin_accounts(
    demo: Portfolio,
) -> None:
    per_quarter: Counter[tuple[object, str]] = Counter()
    per_account: Counter[object] = Counter()
    for r in rows(demo, "Surveys"):
        day = r["answered_on"]
        assert dt.date(2025, 1, 1) <= day <= AS_OF
        quarter = f"{day.year}-Q{(day.month - 1) // 3 + 1}"
        per_quarter[(r["instrument"], quarter)] += 1
        per_account[r["account_id"]] += 1
        low, high = (0, 10) if r["instrument"] == "NPS" else (1, 5)
        assert low <= r["score"] <= high
    quarters = {f"{y}-Q{q}" for y in (2025, 2026) for q in (1, 2, 3, 4)}
    for instrument in ("NPS", "CSAT"):
        assert all(per_quarter[(instrument, q)] >= 10 for q in quarters), instrument
    assert len(per_account) >= 30
    assert sum(n < 10 for n in per_account.values()) >= 3


def test_onboarding_runs_in_stage_order_and_some_are_overdue(demo: Portfolio) -> None:
    order = ["kickoff", "setup", "first_value", "adoption", "complete"]
    stages: dict[object, list[AnyRow]] = defaultdict(list)
    for r in rows(demo, "Onboarding"):
        stages[r["account_id"]].append(r)
    assert len(stages) >= 5
    overdue = 0
    for account_rows in stages.values():
        names = [r["stage"] for r in account_rows]
        assert names == order[: len(names)]
        days = [r["stage_entered_on"] for r in account_rows]
        assert days == sorted(days)
        target = account_rows[-1]["target_go_live"]
        if names[-1] != "complete" and target < AS_OF:
            overdue += 1
    assert overdue >= 2


def test_signals_cover_the_last_six_months_of_active_accounts(demo: Portfolio) -> None:
    model = by_id(demo, "HealthModel", "signal")
    assert math.isclose(sum(float(r["weight"]) for r in model.values()), 1.0)
    assert model["active_users"]["good"] > model["active_users"]["poor"]
    assert model["open_tickets"]["good"] < model["open_tickets"]["poor"]
    assert model["days_past_due"]["good"] < model["days_past_due"]["poor"]
    dates = sorted(set(col(demo, "Signals", "as_of")))
    assert len(dates) == 6
    assert dates[-1] == AS_OF
    active = {
        r["account_id"] for r in rows(demo, "Accounts") if r["status"] == "active"
    }
    measured = set(col(demo, "Signals", "account_id"))
    assert measured == active & set(mrr_totals(demo))


def test_the_risk_register_has_a_dozen_open_risks_of_every_level(
    demo: Portfolio,
) -> None:
    risks = rows(demo, "Risks")
    open_risks = [r for r in risks if r["resolved_on"] is None]
    assert 10 <= len(open_risks) <= 14
    assert {r["level"] for r in open_risks} == {"watch", "at_risk", "critical"}
    resolved = [r for r in risks if r["resolved_on"] is not None]
    assert resolved
    assert all(r["flagged_on"] <= r["resolved_on"] <= AS_OF for r in resolved)


# Plans --------------------------------------------------------------------------


def test_units_form_a_tree_of_the_flagships_divisions(demo: Portfolio) -> None:
    flagship = scenario(demo)["flagship"]["account_id"]
    units = by_id(demo, "Units", "unit_id")
    assert len(units) >= 6
    assert {r["account_id"] for r in units.values()} == {flagship}
    roots = [u for u, r in units.items() if r["parent_unit_id"] is None]
    assert len(roots) == 1
    for unit in units:
        seen, current = {unit}, units[unit]["parent_unit_id"]
        while current is not None:
            assert current not in seen
            seen.add(current)
            current = units[current]["parent_unit_id"]
    names = " ".join(str(r["name"]) for r in units.values())
    for word in ("Hospital", "Research", "Clinics"):
        assert word in names


def test_coverage_uses_every_status_with_consistent_cells(demo: Portfolio) -> None:
    cells = rows(demo, "Coverage")
    assert len({(r["unit_id"], r["product"]) for r in cells}) == len(cells)
    statuses = Counter(r["status"] for r in cells)
    assert set(statuses) == {
        "owned",
        "pipeline",
        "whitespace",
        "not_eligible",
        "competitor",
    }
    for r in cells:
        if r["status"] == "not_eligible":
            assert (r["current_revenue"], r["potential_revenue"]) == (None, None)
        else:
            assert r["potential_revenue"] >= r["current_revenue"]
        assert (r["probability"] is not None) == (r["status"] == "pipeline")
        assert (r["competitor"] is not None) == (r["status"] == "competitor")
        if r["status"] == "owned":
            assert r["current_revenue"] > 0
    assert all(0 < r["probability"] < 1 for r in cells if r["status"] == "pipeline")


def test_migration_plan_uses_every_link_kind_milestones_and_progress(
    demo: Portfolio,
) -> None:
    flagship = scenario(demo)["flagship"]["account_id"]
    tasks = rows(demo, "Tasks")
    ids = {r["task_id"] for r in tasks}
    migration = [r for r in tasks if r["account_id"] == flagship]
    programme = [r for r in tasks if r["account_id"] is None]
    assert 12 <= len(migration) <= 18
    assert 3 <= len(programme) <= 5
    links = [
        link.strip()
        for r in tasks
        if r["predecessors"]
        for link in str(r["predecessors"]).split(";")
    ]
    kinds = {
        re.sub(r"[+-]\d+$", "", link.split(" ")[1]) if " " in link else "FS"
        for link in links
    }
    assert {"FS", "SS", "FF"} <= kinds
    assert any(re.search(r"[+-]\d+$", link) for link in links)
    assert {link.split(" ")[0] for link in links} <= ids
    assert sum(r["start"] is not None for r in migration) == 1
    milestones = [r for r in migration if r["duration_days"] == 0]
    assert any("Go-live" in str(r["name"]) for r in milestones)
    assert any("Hypercare" in str(r["name"]) for r in migration)
    done = Counter(
        "done"
        if r["percent_complete"] == 100
        else "open"
        if r["percent_complete"] == 0
        else "doing"
        for r in migration
    )
    assert set(done) == {"done", "doing", "open"}
    assert all(r["baseline_finish"] is not None for r in tasks)


def test_raci_has_one_accountable_and_a_responsible_per_activity(
    demo: Portfolio,
) -> None:
    codes: dict[tuple[object, object], list[object]] = defaultdict(list)
    for r in rows(demo, "Responsibilities"):
        codes[(r["account_id"], r["activity"])].append(r["code"])
    flagship = scenario(demo)["flagship"]["account_id"]
    assert sum(a == flagship for a, _ in codes) >= 8
    assert sum(a is None for a, _ in codes) >= 2
    for activity, cells in codes.items():
        assert sum(c in ("A", "A/R") for c in cells) == 1, activity
        assert any(c in ("R", "A/R") for c in cells), activity
    roles = set(col(demo, "Responsibilities", "role"))
    assert roles == {
        "KAM",
        "Sales director",
        "Solution architect",
        "Executive sponsor",
        "Customer success",
    }


CHARTER_SECTIONS = {
    "purpose",
    "scope",
    "objectives_kpis",
    "governance",
    "executive_sponsor",
    "roles",
    "resources",
    "processes",
    "measurement",
    "rollout",
    "risks",
    "approval",
}
PLAN_SECTIONS = {
    "summary",
    "profile",
    "customer_objectives",
    "swot",
    "strategy",
    "actions",
    "risks",
    "review_cadence",
}


def test_charter_and_account_plan_have_every_section_one_stale(demo: Portfolio) -> None:
    flagship = scenario(demo)["flagship"]["account_id"]
    charter = [r for r in rows(demo, "Charter") if r["account_id"] is None]
    plan = [r for r in rows(demo, "Charter") if r["account_id"] == flagship]
    assert {r["section"] for r in charter} == CHARTER_SECTIONS
    assert {r["section"] for r in plan} == PLAN_SECTIONS
    assert all(r["value"] and r["owner"] and r["reviewed_on"] for r in charter + plan)
    stale = {r["section"] for r in charter if (AS_OF - r["reviewed_on"]).days > 90}
    assert len(stale) == 1


def test_objectives_for_the_programme_and_the_flagship(demo: Portfolio) -> None:
    flagship = scenario(demo)["flagship"]["account_id"]
    objectives = rows(demo, "Objectives")
    assert sum(r["account_id"] is None for r in objectives) >= 2
    assert 4 <= sum(r["account_id"] == flagship for r in objectives) <= 6
    assert all(r["due"] and r["owner"] and r["status"] for r in objectives)
    assert len({r["status"] for r in objectives}) >= 3


# The demo passes validation -----------------------------------------------------


def test_demo_round_trips_through_the_workbook_without_any_problem(
    demo: Portfolio, tmp_path: Path
) -> None:
    from kam.workbook import load_workbook
    from kam.workbook.write import write_workbook

    path = tmp_path / "demo.xlsx"
    write_workbook(demo, path)
    try:
        loaded = load_workbook(path)
    except WorkbookError as exc:
        pytest.fail("\n".join(str(p) for p in [exc, *exc.problems[:30]]))
    assert [str(w) for w in loaded.warnings] == []
    assert loaded.tables.keys() == demo.tables.keys()
    for name, table in demo.tables.items():
        back = loaded.table(name)
        for column in table.columns:
            mine, theirs = table.column(column), back.column(column)
            assert len(mine) == len(theirs), (name, column)
            diff = [
                i for i, (a, b) in enumerate(zip(mine, theirs, strict=True)) if a != b
            ]
            assert not diff, (name, column, diff[:1], mine[diff[0]], theirs[diff[0]])
        assert back == table, name
