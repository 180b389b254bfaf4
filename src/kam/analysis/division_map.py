"""The division map of one account: its units × our products (analyses.md §10).

A cell is eligible unless its status is ``not_eligible``; owned cells count towards
penetration (owned / eligible cells, per unit, per product and for the account).
Share of wallet is Σ current / Σ potential revenue over eligible cells. The
whitespace value is Σ (potential − current) over whitespace and competitor cells;
the weighted pipeline Σ probability × potential over pipeline cells.

Gaps (whitespace and competitor cells) are ranked by whitespace value ×
propensity, the share of comparable units that already own the product: other
units of the same kind, across every account in the data, where the product is
eligible (when there is none, every other unit where it is eligible).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import cast

import ibis.expr.types as ir

from kam.analysis.result import AnalysisResult
from kam.analysis.spec import Analysis, Parameter
from kam.errors import MissingDataError, NotFoundError, Problem, WorkbookError

__all__ = ["ANALYSIS", "OUTPUT_COLUMNS", "division_map"]

#: The columns of a division-map row (one per unit × product cell).
OUTPUT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("unit_id", "the customer's unit"),
    ("unit_name", "unit name"),
    ("depth", "level in the unit hierarchy (0 = top)"),
    ("product", "our product"),
    ("status", "owned, pipeline, whitespace, competitor or not_eligible"),
    ("current_revenue", "current revenue in the cell (exact decimal)"),
    ("potential_revenue", "potential revenue in the cell (exact decimal)"),
    ("whitespace_value", "potential − current on whitespace and competitor cells"),
    ("weighted_pipeline", "probability × potential on pipeline cells"),
    ("competitor", "the competitor holding the cell"),
    ("owner", "our owner of the cell"),
)

_ZERO = Decimal("0.00")
_CENT = Decimal("0.01")
_GAPS = ("whitespace", "competitor")


def _rows(expr: ir.Table) -> list[dict[str, object]]:
    data = expr.to_pyarrow()
    names = data.column_names
    columns = [data.column(c).to_pylist() for c in names]
    return [
        dict(zip(names, values, strict=True)) for values in zip(*columns, strict=True)
    ]


def _money(value: object) -> Decimal:
    if type(value) is Decimal:  # exact already (and immutable)
        return value
    return Decimal(str(value)) if value is not None else _ZERO


def _share(part: Decimal | int, whole: Decimal | int) -> float | None:
    return float(part) / float(whole) if whole else None


def _hierarchy(units: list[dict[str, object]]) -> list[tuple[dict[str, object], int]]:
    """Units in hierarchy order (pre-order, siblings by id) with their depth.

    Raises WorkbookError naming the units of a parent cycle.
    """
    ids = {str(u["unit_id"]) for u in units}
    children: dict[str | None, list[dict[str, object]]] = {}
    for u in sorted(units, key=lambda u: str(u["unit_id"])):
        parent = u.get("parent_unit_id")
        key = str(parent) if parent is not None and str(parent) in ids else None
        children.setdefault(key, []).append(u)
    out: list[tuple[dict[str, object], int]] = []
    stack = [(u, 0) for u in reversed(children.get(None, []))]
    while stack:
        unit, depth = stack.pop()
        out.append((unit, depth))
        kids = children.get(str(unit["unit_id"]), [])
        stack.extend((k, depth + 1) for k in reversed(kids))
    if len(out) < len(units):
        placed = {str(u["unit_id"]) for u, _ in out}
        stuck = sorted(ids - placed)
        raise WorkbookError(
            "Units: the parent units form a cycle",
            [
                Problem(
                    "these units are each other's parents: " + ", ".join(stuck),
                    "Units",
                    column="parent_unit_id",
                    value=", ".join(stuck),
                    expected="a tree: no unit is its own ancestor",
                )
            ],
        )
    return out


def _check_cells(cells: _Cells) -> None:
    """Reject a duplicate cell and revenue on a not-eligible cell (``cells`` come
    ordered by unit and product, so a duplicate follows its twin)."""
    units, products, statuses = cells.unit_ids, cells.products, cells.statuses
    duplicate = any(
        units[i] == units[i - 1] and products[i] == products[i - 1]
        for i in range(1, len(units))
    )
    if not duplicate and not any(
        s == "not_eligible" and c > 0
        for s, c in zip(statuses, cells.current, strict=True)
    ):
        return  # the common case, checked without building the problems
    problems: list[Problem] = []
    seen: set[tuple[str, str]] = set()
    for i, raw in enumerate(cells.raw_current):
        key = (str(units[i]), str(products[i]))
        if key in seen:
            problems.append(
                Problem(
                    f"unit {key[0]} has more than one cell for product {key[1]}",
                    "Coverage",
                    column="product",
                    value=key[1],
                    expected="one row per unit and product",
                )
            )
        seen.add(key)
        if statuses[i] == "not_eligible" and cells.current[i] > 0:
            problems.append(
                Problem(
                    f"unit {key[0]}, product {key[1]} is not eligible but has "
                    f"current revenue {raw}",
                    "Coverage",
                    column="current_revenue",
                    value=str(raw),
                    expected="no revenue on a not_eligible cell (or another status)",
                )
            )
    if problems:
        raise WorkbookError("Coverage: the division map is inconsistent", problems)


def _lookalikes(
    units: ir.Table, coverage: ir.Table
) -> dict[tuple[str, str], list[int]]:
    """Eligible and owned cells per (unit kind, product), over every account."""
    joined = coverage.join(units, coverage.unit_id == units.unit_id)
    eligible = joined.filter(joined.status != "not_eligible")
    grouped = eligible.group_by(
        kind=eligible.kind.fill_null(""), product=eligible.product
    ).aggregate(
        eligible=eligible.count(),
        # PostgreSQL cannot cast a boolean to bigint: count through a CASE.
        owned=(eligible.status == "owned").ifelse(1, 0).sum(),
    )
    return {
        (str(r["kind"]), str(r["product"])): [
            int(_num(r["eligible"])),
            int(_num(r["owned"])),
        ]
        for r in _rows(grouped)
    }


def _per_product(
    counts: dict[tuple[str, str], list[int]],
) -> dict[str, list[int]]:
    """Eligible and owned cells per product, over every kind of unit."""
    out: dict[str, list[int]] = {}
    for (_, product), (eligible, owned) in counts.items():
        total = out.setdefault(product, [0, 0])
        total[0] += eligible
        total[1] += owned
    return out


def _propensity(
    product: str,
    kind: str,
    counts: dict[tuple[str, str], list[int]],
    every: dict[str, list[int]],
) -> float | None:
    """Share of the other comparable units that own ``product``, for a gap cell
    (eligible, not owned) of a unit of ``kind`` (``every``: :func:`_per_product`
    of ``counts``)."""
    same = counts.get((kind, product), [0, 0])
    eligible, owned = same[0] - 1, same[1]
    if eligible <= 0:
        total = every.get(product, [0, 0])
        eligible, owned = total[0] - 1, total[1]
    return owned / eligible if eligible > 0 else None


class _Cells:
    """The account's cells as one list per column (ordered by unit and product),
    with each cell's money converted once: current and potential revenue, whitespace
    value and weighted pipeline. Columns rather than a dict per cell: a map of
    thousands of cells builds no more objects than the rows it returns."""

    def __init__(self, columns: dict[str, list[object]]) -> None:
        n = len(columns["unit_id"])
        missing: list[object] = [None] * n
        self.unit_ids = columns["unit_id"]
        self.products = columns["product"]
        self.statuses = columns["status"]
        self.raw_current = columns["current_revenue"]
        self.raw_potential = columns["potential_revenue"]
        self.competitors = columns.get("competitor", missing)
        self.probabilities = columns.get("probability", missing)
        self.owners = columns.get("owner", missing)
        self.current = [_money(v) for v in self.raw_current]
        self.potential = [_money(v) for v in self.raw_potential]
        self.eligible = [s != "not_eligible" for s in self.statuses]
        self.owned = [s == "owned" for s in self.statuses]
        self.whitespace = [
            p - c if s in _GAPS else _ZERO
            for s, c, p in zip(self.statuses, self.current, self.potential, strict=True)
        ]
        self.pipeline = [
            (Decimal(str(_num(q))) * p).quantize(_CENT) if s == "pipeline" else _ZERO
            for s, p, q in zip(
                self.statuses, self.potential, self.probabilities, strict=True
            )
        ]


@dataclass
class Tally:
    """Cells of a unit, a product or the account, and their revenue."""

    cells: int = 0
    eligible: int = 0
    owned: int = 0
    current: Decimal = _ZERO
    potential: Decimal = _ZERO
    whitespace: Decimal = _ZERO
    pipeline: Decimal = _ZERO

    def add(self, cells: _Cells, index: list[int]) -> None:
        """Count the cells at positions ``index`` of ``cells``."""
        self.cells += len(index)
        eligible = [i for i in index if cells.eligible[i]]
        if not eligible:
            return
        owned = cells.owned
        self.eligible += len(eligible)
        self.owned += sum(1 for i in eligible if owned[i])
        # Exact decimal sums (never near the context's 28 digits).
        current, potential = cells.current, cells.potential
        whitespace, pipeline = cells.whitespace, cells.pipeline
        self.current = sum([current[i] for i in eligible], self.current)
        self.potential = sum([potential[i] for i in eligible], self.potential)
        self.whitespace = sum([whitespace[i] for i in eligible], self.whitespace)
        self.pipeline = sum([pipeline[i] for i in eligible], self.pipeline)

    def figures(self) -> dict[str, object]:
        """Penetration, share of wallet, whitespace value and weighted pipeline."""
        return {
            "cells": self.cells,
            "eligible": self.eligible,
            "owned": self.owned,
            "penetration": _share(self.owned, self.eligible),
            "current_revenue": self.current,
            "potential_revenue": self.potential,
            "share_of_wallet": _share(self.current, self.potential),
            "whitespace_value": self.whitespace,
            "weighted_pipeline": self.pipeline,
        }


def _num(value: object) -> float:
    return float(value) if isinstance(value, int | float | Decimal) else 0.0


def division_map(
    tables: Mapping[str, ir.Table],
    *,
    account: str | None = None,
    propensity: bool = True,
) -> AnalysisResult:
    """The division map of ``account``: cells, penetration and ranked gaps.

    ``tables``: ``units`` and ``coverage`` (every account's, for the lookalikes).
    ``propensity``: weight each gap by the share of comparable units that own the
    product (off: rank by whitespace value alone).

    Rows: one per cell (:data:`OUTPUT_COLUMNS`), units in hierarchy order, products
    by name. Tables: ``units`` and ``products`` (cells, eligible, owned,
    penetration, current and potential revenue, share of wallet, whitespace value,
    weighted pipeline), ``gaps`` (rank, unit, product, status, whitespace value,
    propensity, score). Raises WorkbookError for a unit cycle, a duplicate cell or
    revenue on a not-eligible cell.
    """
    if not account:
        raise MissingDataError("division_map needs an account (--set account=ID)")
    for name, sheet in (("units", "Units"), ("coverage", "Coverage")):
        if name not in tables:
            raise MissingDataError(f"division_map needs the {sheet} sheet")
    units_t, coverage_t = tables["units"], tables["coverage"]
    units = _rows(units_t.filter(units_t.account_id == account))
    if not units:
        raise NotFoundError(f"account {account} has no units in the Units sheet")
    ordered = _hierarchy(units)
    mine = units_t.filter(units_t.account_id == account).select(uid=units_t.unit_id)
    data = (
        coverage_t.join(mine, coverage_t.unit_id == mine.uid)
        .drop("uid")
        .order_by(["unit_id", "product"])
        .to_pyarrow()
    )
    cells = _Cells({c: data.column(c).to_pylist() for c in data.column_names})
    _check_cells(cells)
    return _result(
        account, propensity, ordered, cells, _lookalikes(units_t, coverage_t)
    )


def _result(
    account: str,
    propensity: bool,
    ordered: list[tuple[dict[str, object], int]],
    cells: _Cells,
    counts: dict[tuple[str, str], list[int]],
) -> AnalysisResult:
    by_unit: dict[str, list[int]] = {}
    by_product: dict[str, list[int]] = {}
    for i, (unit, product) in enumerate(
        zip(cells.unit_ids, cells.products, strict=True)
    ):
        by_unit.setdefault(str(unit), []).append(i)
        by_product.setdefault(str(product), []).append(i)
    products, statuses = cells.products, cells.statuses
    raw_current, raw_potential = cells.raw_current, cells.raw_potential
    whitespace, pipeline = cells.whitespace, cells.pipeline
    competitors, owners = cells.competitors, cells.owners
    rows: list[dict[str, object]] = []
    unit_rows: list[dict[str, object]] = []
    kinds: dict[str, str] = {}
    whole = Tally()
    for unit, depth in ordered:
        uid, name = str(unit["unit_id"]), unit.get("name")
        kinds[uid] = str(unit.get("kind") or "")
        mine = by_unit.get(uid, [])
        rows.extend(
            {  # the columns of OUTPUT_COLUMNS, in order
                "unit_id": uid,
                "unit_name": name,
                "depth": depth,
                "product": products[i],
                "status": statuses[i],
                "current_revenue": raw_current[i],
                "potential_revenue": raw_potential[i],
                "whitespace_value": whitespace[i],
                "weighted_pipeline": pipeline[i],
                "competitor": competitors[i],
                "owner": owners[i],
            }
            for i in mine
        )
        tally = Tally()
        tally.add(cells, mine)
        whole.add(cells, mine)
        unit_rows.append(
            {"unit_id": uid, "unit_name": name, "depth": depth} | tally.figures()
        )
    tallies: dict[str, Tally] = {}
    for product, index in by_product.items():
        tallies[product] = Tally()
        tallies[product].add(cells, index)
    every = _per_product(counts)
    # A gap's propensity depends only on its unit's kind and its product.
    known: dict[tuple[str, str], float | None] = {}
    gaps = []
    for i, status in enumerate(statuses):
        if status not in _GAPS:
            continue
        cell_unit, cell_product = cells.unit_ids[i], products[i]
        key = (kinds[str(cell_unit)], str(cell_product))
        if key in known:
            p = known[key]
        else:
            p = known[key] = _propensity(key[1], key[0], counts, every)
        value = whitespace[i]
        weight = (p if p is not None else 0.0) if propensity else 1.0
        gaps.append(
            {
                "unit_id": cell_unit,
                "product": cell_product,
                "status": status,
                "whitespace_value": value,
                "propensity": p,
                "score": float(value) * weight,
            }
        )
    gaps.sort(
        key=lambda g: (-cast(float, g["score"]), str(g["unit_id"]), str(g["product"]))
    )
    for rank, g in enumerate(gaps, 1):
        g["rank"] = rank
    warnings = []
    missing = [
        f"{g['unit_id']}/{g['product']}" for g in gaps if g["propensity"] is None
    ]
    if propensity and missing:
        warnings.append(
            "no comparable unit has these products eligible, so their propensity is "
            "unknown and counts as 0: " + ", ".join(missing)
        )
    no_probability = [
        f"{cells.unit_ids[i]}/{products[i]}"
        for i, (status, q) in enumerate(zip(statuses, cells.probabilities, strict=True))
        if status == "pipeline" and q is None
    ]
    if no_probability:
        warnings.append(
            "pipeline cells without a probability count as 0 in the weighted "
            "pipeline: " + ", ".join(no_probability)
        )
    return AnalysisResult(
        analysis="division_map",
        parameters={"account": account, "propensity": propensity},
        summary={"account_id": account, "units": len(ordered), **whole.figures()},
        rows=rows,
        tables={
            "units": unit_rows,
            "products": [
                {"product": name, **t.figures()} for name, t in sorted(tallies.items())
            ],
            "gaps": gaps,
        },
        warnings=warnings,
    )


ANALYSIS = Analysis(
    name="division_map",
    title="Division map",
    description="One account's units × our products: penetration, share of wallet, "
    "whitespace and the gaps to pursue first.",
    parameters=(
        Parameter("account", "text", None, "the account (required)"),
        Parameter(
            "propensity",
            "bool",
            True,
            "weight each gap by the share of comparable units that own the product",
        ),
    ),
    needs=("Units", "Coverage"),
    output_columns=OUTPUT_COLUMNS,
    run=division_map,
)
