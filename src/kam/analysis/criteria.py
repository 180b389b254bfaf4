"""The scoring criteria: read, check and normalise their weights (analyses.md §3)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import ibis.expr.types as ir

from kam.errors import InputError, MissingDataError

__all__ = ["SECTIONS", "Criterion", "read_criteria"]

SECTIONS: tuple[str, ...] = ("growth", "harmony", "value_creation")
_TOLERANCE = Decimal("1e-6")


@dataclass(frozen=True)
class Criterion:
    """One criterion: ``weight`` as given, ``share`` its weight divided by the sum of
    its section's weights (exact decimal)."""

    criterion_id: str
    section: str
    name: str
    weight: Decimal
    share: Decimal


def _decimal(value: object) -> Decimal:
    # str() of a float is its shortest round-trip text: 0.15 becomes 0.15 exactly.
    return Decimal(str(value))


def read_criteria(criteria: ir.Table) -> list[Criterion]:
    """The criteria, ordered by section then criterion_id, with normalised weights.

    Raises MissingDataError for an empty sheet and InputError naming the criterion
    or section for an unknown section, a negative or blank weight, or the weights of
    a section not summing to 1 or to 100 (within 1e-6).
    """
    data = criteria.select("criterion_id", "section", "name", "weight").to_pyarrow()
    rows = data.to_pylist()
    if not rows:
        raise MissingDataError("the Criteria sheet has no rows")
    problems: list[str] = []
    sums: dict[str, Decimal] = {}
    for r in rows:
        cid, section, weight = r["criterion_id"], r["section"], r["weight"]
        if section not in SECTIONS:
            problems.append(
                f"criterion {cid}: section {section!r} is not one of "
                + ", ".join(SECTIONS)
            )
            continue
        if weight is None or not _decimal(weight).is_finite():
            problems.append(f"criterion {cid}: weight is blank, expected a number ≥ 0")
            continue
        if weight < 0:
            problems.append(f"criterion {cid}: weight {weight} is negative")
            continue
        sums[section] = sums.get(section, Decimal(0)) + _decimal(weight)
    for section, total in sums.items():
        if min(abs(total - 1), abs(total - 100)) > _TOLERANCE:
            problems.append(
                f"the weights of section {section} sum to {total}, expected 1 or 100"
            )
    if problems:
        raise InputError("Criteria, column weight: " + "; ".join(problems))
    out = [
        Criterion(
            str(r["criterion_id"]),
            str(r["section"]),
            str(r["name"]),
            _decimal(r["weight"]),
            _decimal(r["weight"]) / sums[str(r["section"])],
        )
        for r in rows
    ]
    return sorted(out, key=lambda c: (SECTIONS.index(c.section), c.criterion_id))
