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


def _check_cells(cells: list[dict[str, object]]) -> None:
    keys = {(str(c["unit_id"]), str(c["product"])) for c in cells}
    if len(keys) == len(cells) and not any(
        c["status"] == "not_eligible" and _money(c["current_revenue"]) > 0
        for c in cells
    ):
        return  # the common case, checked without building the problems
    problems: list[Problem] = []
    seen: set[tuple[str, str]] = set()
    for c in cells:
        key = (str(c["unit_id"]), str(c["product"]))
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
        if c["status"] == "not_eligible" and _money(c["current_revenue"]) > 0:
            problems.append(
                Problem(
                    f"unit {key[0]}, product {key[1]} is not eligible but has "
                    f"current revenue {c['current_revenue']}",
                    "Coverage",
                    column="current_revenue",
                    value=str(c["current_revenue"]),
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
    cell: dict[str, object],
    kind: str,
    counts: dict[tuple[str, str], list[int]],
    every: dict[str, list[int]],
) -> float | None:
    """Share of the other comparable units that own the cell's product
    (``every``: :func:`_per_product` of ``counts``)."""
    product = str(cell["product"])
    own_eligible = 1 if cell["status"] != "not_eligible" else 0
    own_owned = 1 if cell["status"] == "owned" else 0
    same = counts.get((kind, product), [0, 0])
    eligible, owned = same[0] - own_eligible, same[1] - own_owned
    if eligible <= 0:
        total = every.get(product, [0, 0])
        eligible, owned = total[0] - own_eligible, total[1] - own_owned
    return owned / eligible if eligible > 0 else None


#: An eligible cell's figures: owned (0/1), current and potential revenue,
#: whitespace value and weighted pipeline, converted once per cell.
_Figures = tuple[int, Decimal, Decimal, Decimal, Decimal]


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

    def add(self, cells: list[_Figures | None]) -> None:
        """Count cells: their figures, or None for a not-eligible cell."""
        self.cells += len(cells)
        eligible = [f for f in cells if f is not None]
        if not eligible:
            return
        owned, current, potential, whitespace, pipeline = zip(*eligible, strict=True)
        self.eligible += len(eligible)
        self.owned += sum(owned)
        # Exact decimal sums (never near the context's 28 digits).
        self.current = sum(current, self.current)
        self.potential = sum(potential, self.potential)
        self.whitespace = sum(whitespace, self.whitespace)
        self.pipeline = sum(pipeline, self.pipeline)

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
    cells = _rows(
        coverage_t.join(mine, coverage_t.unit_id == mine.uid)
        .drop("uid")
        .order_by(["unit_id", "product"])
    )
    _check_cells(cells)
    figures: list[_Figures | None] = []
    for c in cells:
        status = c["status"]
        potential, current = (
            _money(c["potential_revenue"]),
            _money(c["current_revenue"]),
        )
        whitespace = potential - current if status in _GAPS else _ZERO
        if status == "pipeline":
            probability = Decimal(str(_num(c.get("probability"))))
            pipeline = (probability * potential).quantize(_CENT)
        else:
            pipeline = _ZERO
        c["whitespace_value"], c["weighted_pipeline"] = whitespace, pipeline
        figures.append(
            None
            if status == "not_eligible"
            else (status == "owned", current, potential, whitespace, pipeline)
        )
    return _result(
        account,
        propensity,
        ordered,
        list(zip(cells, figures, strict=True)),
        _lookalikes(units_t, coverage_t),
    )


def _result(
    account: str,
    propensity: bool,
    ordered: list[tuple[dict[str, object], int]],
    cells: list[tuple[dict[str, object], _Figures | None]],
    counts: dict[tuple[str, str], list[int]],
) -> AnalysisResult:
    by_unit: dict[str, list[tuple[dict[str, object], _Figures | None]]] = {}
    by_product: dict[str, list[_Figures | None]] = {}
    for cell in cells:
        by_unit.setdefault(str(cell[0]["unit_id"]), []).append(cell)
        by_product.setdefault(str(cell[0]["product"]), []).append(cell[1])
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
                "product": c.get("product"),
                "status": c.get("status"),
                "current_revenue": c.get("current_revenue"),
                "potential_revenue": c.get("potential_revenue"),
                "whitespace_value": c.get("whitespace_value"),
                "weighted_pipeline": c.get("weighted_pipeline"),
                "competitor": c.get("competitor"),
                "owner": c.get("owner"),
            }
            for c, _ in mine
        )
        tally = Tally()
        tally.add([f for _, f in mine])
        whole.add([f for _, f in mine])
        unit_rows.append(
            {"unit_id": uid, "unit_name": name, "depth": depth} | tally.figures()
        )
    products: dict[str, Tally] = {}
    for product, figures in by_product.items():
        products[product] = Tally()
        products[product].add(figures)
    every = _per_product(counts)
    gaps = []
    for c, _ in cells:
        if c["status"] not in _GAPS:
            continue
        p = _propensity(c, kinds[str(c["unit_id"])], counts, every)
        value = _money(c["whitespace_value"])
        weight = (p if p is not None else 0.0) if propensity else 1.0
        gaps.append(
            {
                "unit_id": c["unit_id"],
                "product": c["product"],
                "status": c["status"],
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
        f"{c['unit_id']}/{c['product']}"
        for c, _ in cells
        if c["status"] == "pipeline" and c.get("probability") is None
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
                {"product": name, **t.figures()} for name, t in sorted(products.items())
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
