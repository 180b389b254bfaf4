"""Responsibilities: each RACI rule on a matrix that breaks it, and workload."""

from __future__ import annotations

import ibis
import pytest

from kam.analysis.registry import run
from kam.analysis.responsibilities import raci_check
from tests.analysis.golden import make_table

CON = ibis.duckdb.connect()

#: A clean matrix: every activity has one A and an R; nothing to warn about.
CLEAN = [
    ("Plan", "KAM", "A/R"),
    ("Plan", "Sales", "C"),
    ("Review", "Sales", "A"),
    ("Review", "KAM", "R"),
    ("Review", "Sponsor", "I"),
    ("Deliver", "Architect", "A/R"),
    ("Deliver", "KAM", "I"),
]


def rules(cells: list[tuple[str, str, str]], **options: object) -> set[tuple[str, str]]:
    return {
        (i.rule, i.activity or i.role or "")
        for i in raci_check(cells, **options)  # type: ignore[arg-type]
    }


def test_a_clean_matrix_has_no_issue() -> None:
    assert rules(CLEAN) == set()


def test_an_activity_without_an_a_or_with_two_is_an_error() -> None:
    cells = [
        *CLEAN,
        ("Audit", "KAM", "R"),
        ("Sign", "KAM", "A/R"),
        ("Sign", "Sales", "A"),
    ]
    found = rules(cells)
    assert ("one_a", "Audit") in found
    assert ("one_a", "Sign") in found
    issue = next(i for i in raci_check(cells) if i.activity == "Sign")
    assert issue.severity == "error"
    assert "2 accountable roles (KAM, Sales)" in issue.message


def test_an_activity_without_r_is_an_error_but_a_r_counts_as_r() -> None:
    found = rules([*CLEAN, ("Audit", "Sales", "A"), ("Audit", "KAM", "C")])
    assert ("at_least_one_r", "Audit") in found
    assert ("at_least_one_r", "Plan") not in found  # Plan's only R is an A/R


def test_two_codes_in_one_cell_is_an_error() -> None:
    found = rules([*CLEAN, ("Plan", "Sales", "I")])
    assert ("one_code_per_cell", "Plan") in found


def test_more_than_three_c_on_an_activity_is_a_warning() -> None:
    four = [("Plan", f"Role{i}", "C") for i in range(4)]
    assert ("too_many_c", "Plan") in rules([*CLEAN, *four])
    assert ("too_many_c", "Plan") not in rules([*CLEAN, *four[:2]])
    assert ("too_many_c", "Plan") not in rules([*CLEAN, *four], max_consulted=5)


def test_a_role_accountable_for_more_than_half_is_a_warning() -> None:
    # Sales is A on Review and Extra: 2 of 4 activities is not more than half.
    extra = [("Extra", "Sales", "A"), ("Extra", "KAM", "R")]
    assert ("a_concentration", "Sales") not in rules([*CLEAN, *extra])
    more = [*extra, ("Third", "Sales", "A/R")]
    assert ("a_concentration", "Sales") in rules([*CLEAN, *more])  # 3 of 5


def test_a_role_without_assignment_and_an_only_informed_activity_warn() -> None:
    cells = [*CLEAN, ("Newsletter", "KAM", "I"), ("Newsletter", "Sales", "I")]
    found = rules(cells, roles=["KAM", "Sales", "Sponsor", "Architect", "Finance"])
    assert ("unassigned_role", "Finance") in found
    assert ("only_informed", "Newsletter") in found
    assert ("one_a", "Newsletter") in found


def test_workload_counts_codes_per_role_with_a_r_in_both() -> None:
    rows = [(a, "K01", r, c) for a, r, c in CLEAN] + [("Other", None, "Finance", "A/R")]
    result = run(
        "responsibilities",
        {"responsibilities": make_table(CON, "responsibilities", rows)},
        {"account": "K01"},
    )
    load = {r["role"]: r for r in result.rows}
    # KAM: A/R on Plan, R on Review, I on Deliver.
    assert (load["KAM"]["r"], load["KAM"]["a"], load["KAM"]["i"]) == (2, 1, 1)
    assert load["KAM"]["load"] == 2.0
    assert load["KAM"]["a_share"] == pytest.approx(1 / 3)
    # Sales: C on Plan (0.5), A on Review (1).
    assert load["Sales"]["load"] == 1.5
    # Finance is coded only on the programme: a column of the matrix, unassigned here.
    assert load["Finance"]["assignments"] == 0
    assert result.summary["valid"] is True
    assert any("Finance has no assignment" in w for w in result.warnings)
