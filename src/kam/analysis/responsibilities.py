"""Team responsibilities: the RACI matrix checked, and workload per role (§11).

The Responsibilities sheet is stored long: one row per (activity, role) with its
code R, A, C, I or A/R (an A/R cell counts as both A and R). An activity without
any code has one row with role ``""`` and no code.

Rules. Errors: an activity without exactly one A; an activity without an R; a role
with more than one code on the same activity. Warnings: more than ``max_consulted``
C on an activity; a role accountable for more than ``max_accountable_share`` of the
activities; a role with no assignment; an activity with only I.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import ibis.expr.types as ir

from kam.analysis.result import AnalysisResult
from kam.analysis.spec import PLAN_ACCOUNT, Analysis, Parameter
from kam.errors import MissingDataError

__all__ = [
    "ANALYSIS",
    "OUTPUT_COLUMNS",
    "RULES_COLUMNS",
    "raci_check",
    "responsibility_matrix",
]

#: The columns of a workload row (one per role), with their meaning.
OUTPUT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("role", "the role or member (a column of the RACI matrix)"),
    ("r", "activities where the role is responsible (A/R counts)"),
    ("a", "activities where the role is accountable (A/R counts)"),
    ("c", "activities where the role is consulted"),
    ("i", "activities where the role is informed"),
    ("assignments", "activities with any code for the role"),
    ("a_share", "a / number of activities"),
    ("load", "weighted workload: R and A count 1, C 0.5, I 0 (A/R counts 1)"),
)

#: The columns of the ``issues`` table (the validation list).
RULES_COLUMNS: tuple[tuple[str, str], ...] = (
    ("severity", "error or warning"),
    (
        "rule",
        "which rule: one_a, at_least_one_r, one_code_per_cell, too_many_c, "
        "a_concentration, unassigned_role, only_informed",
    ),
    ("activity", "the activity concerned (blank for a role rule)"),
    ("role", "the role concerned (blank for an activity rule)"),
    ("message", "the problem in plain words"),
)

_LOAD = {"R": 1.0, "A": 1.0, "A/R": 1.0, "C": 0.5, "I": 0.0}


@dataclass(frozen=True)
class Issue:
    """One finding of the RACI rules."""

    severity: str
    rule: str
    activity: str | None
    role: str | None
    message: str

    def as_row(self) -> dict[str, object]:
        """The issue as a row of the ``issues`` table."""
        return {
            "severity": self.severity,
            "rule": self.rule,
            "activity": self.activity,
            "role": self.role,
            "message": self.message,
        }


def _roles_of(code: str) -> set[str]:
    return {"A", "R"} if code == "A/R" else {code}


def raci_check(
    cells: list[tuple[str, str, str]],
    *,
    roles: list[str] | None = None,
    max_consulted: int = 3,
    max_accountable_share: float = 0.5,
) -> list[Issue]:
    """The RACI rules over ``(activity, role, code)`` cells (role ``""`` and code
    ``""`` for an activity without codes); ``roles``: every column of the matrix,
    so that a role without any code can be named (default: the roles seen)."""
    activities = sorted({a for a, _, _ in cells})
    role_names = sorted(set(roles or []) | {r for _, r, c in cells if r and c})
    by_activity: dict[str, list[tuple[str, str]]] = {a: [] for a in activities}
    for activity, role, code in cells:
        if role and code:
            by_activity[activity].append((role, code))
    issues: list[Issue] = []
    for activity, codes in by_activity.items():
        per_role: dict[str, list[str]] = {}
        for role, code in codes:
            per_role.setdefault(role, []).append(code)
        for role, given in sorted(per_role.items()):
            if len(given) > 1:
                issues.append(
                    Issue(
                        "error",
                        "one_code_per_cell",
                        activity,
                        role,
                        f"{activity!r}: {role} has {len(given)} codes "
                        f"({', '.join(sorted(given))}); give one code per cell",
                    )
                )
        letters = [_roles_of(c) for _, c in codes]
        a_count = sum("A" in s for s in letters)
        if a_count != 1:
            holders = sorted(r for r, c in codes if "A" in _roles_of(c))
            issues.append(
                Issue(
                    "error",
                    "one_a",
                    activity,
                    None,
                    f"{activity!r} has {a_count} accountable roles"
                    + (f" ({', '.join(holders)})" if holders else "")
                    + "; exactly one A (or A/R) is needed",
                )
            )
        if not any("R" in s for s in letters):
            issues.append(
                Issue(
                    "error",
                    "at_least_one_r",
                    activity,
                    None,
                    f"{activity!r} has no responsible role; give at least one R "
                    "(an A/R counts)",
                )
            )
        consulted = sum(c == "C" for _, c in codes)
        if consulted > max_consulted:
            issues.append(
                Issue(
                    "warning",
                    "too_many_c",
                    activity,
                    None,
                    f"{activity!r} consults {consulted} roles (more than "
                    f"{max_consulted} slows decisions)",
                )
            )
        if codes and all(c == "I" for _, c in codes):
            issues.append(
                Issue(
                    "warning",
                    "only_informed",
                    activity,
                    None,
                    f"{activity!r} has only I codes: nobody does or owns it",
                )
            )
    n = len(activities)
    for role in role_names:
        owned = sum(
            any(r == role and "A" in _roles_of(c) for r, c in codes)
            for codes in by_activity.values()
        )
        if n and owned / n > max_accountable_share:
            issues.append(
                Issue(
                    "warning",
                    "a_concentration",
                    None,
                    role,
                    f"{role} is accountable for {owned} of {n} activities (more "
                    f"than {max_accountable_share:.0%})",
                )
            )
        if not any(r == role for codes in by_activity.values() for r, _ in codes):
            issues.append(
                Issue(
                    "warning",
                    "unassigned_role",
                    None,
                    role,
                    f"{role} has no assignment in the matrix",
                )
            )
    return issues


def _workload(
    cells: list[tuple[str, str, str]], roles: list[str], activities: int
) -> list[dict[str, object]]:
    rows = []
    for role in roles:
        codes = [c for _, r, c in cells if r == role and c]
        letters = [_roles_of(c) for c in codes]
        a = sum("A" in s for s in letters)
        rows.append(
            {
                "role": role,
                "r": sum("R" in s for s in letters),
                "a": a,
                "c": codes.count("C"),
                "i": codes.count("I"),
                "assignments": len({act for act, r, c in cells if r == role and c}),
                "a_share": a / activities if activities else 0.0,
                "load": sum(_LOAD[c] for c in codes),
            }
        )
    return rows


def responsibility_matrix(
    tables: Mapping[str, ir.Table],
    *,
    account: str | None = None,
    max_consulted: int = 3,
    max_accountable_share: float = 0.5,
) -> AnalysisResult:
    """Check the RACI of one matrix (an account's, or the programme's when
    ``account`` is blank) and count each role's workload.

    The matrix's columns are the roles used anywhere in the sheet, so a role coded
    on other plans but not on this one is reported as unassigned here.

    Rows: one per role (:data:`OUTPUT_COLUMNS`), by role name; tables: ``matrix``
    (activity, role, code), ``issues`` (:data:`RULES_COLUMNS`, errors first).
    Summary: ``valid`` (no error), counts.
    """
    if "responsibilities" not in tables:
        raise MissingDataError("responsibilities needs the Responsibilities sheet")
    t = tables["responsibilities"]
    keep = t.account_id.isnull() if account is None else t.account_id == account
    data = t.filter(keep).select("activity", "role", "code").to_pyarrow()
    cells = [
        (str(a), str(r or ""), str(c or ""))
        for a, r, c in zip(
            data.column("activity").to_pylist(),
            data.column("role").to_pylist(),
            data.column("code").to_pylist(),
            strict=True,
        )
    ]
    plan_name = f"account {account}" if account else "the programme"
    if not cells:
        raise MissingDataError(
            f"the Responsibilities sheet has no activities for {plan_name}"
        )
    every = t.filter(t.code.notnull()).select("role").distinct().to_pyarrow()
    roles = sorted({str(r) for r in every.column("role").to_pylist() if r})
    activities = sorted({a for a, _, _ in cells})
    issues = raci_check(
        cells,
        roles=roles,
        max_consulted=max_consulted,
        max_accountable_share=max_accountable_share,
    )
    issues.sort(key=lambda i: (i.severity != "error", i.activity or "", i.role or ""))
    errors = [i for i in issues if i.severity == "error"]
    warnings = [i.message for i in issues if i.severity == "warning"]
    return AnalysisResult(
        analysis="responsibilities",
        parameters={
            "account": account,
            "max_consulted": max_consulted,
            "max_accountable_share": max_accountable_share,
        },
        summary={
            "activities": len(activities),
            "roles": len(roles),
            "valid": not errors,
            "errors": len(errors),
            "warnings": len(warnings),
        },
        rows=_workload(cells, roles, len(activities)),
        tables={
            "matrix": [
                {"activity": a, "role": r, "code": c}
                for a, r, c in sorted(cells)
                if r and c
            ],
            "issues": [i.as_row() for i in issues],
        },
        warnings=warnings,
    )


ANALYSIS = Analysis(
    name="responsibilities",
    title="Team responsibilities (RACI)",
    description="The RACI rules as errors and warnings, and workload per role.",
    parameters=(
        PLAN_ACCOUNT,
        Parameter(
            "max_consulted",
            "int",
            3,
            "warn when an activity consults more roles than this",
            minimum=0,
            maximum=100,
        ),
        Parameter(
            "max_accountable_share",
            "float",
            0.5,
            "warn when a role is accountable for more than this share of activities",
            minimum=0,
            maximum=1,
        ),
    ),
    needs=("Responsibilities",),
    output_columns=OUTPUT_COLUMNS,
    run=responsibility_matrix,
)
