"""A ten-account portfolio whose Pareto and ABC are worked out by hand.

2024 revenue is the Pareto worked check of analyses.md (400, 250, 120, 80, 50, 40, 25,
20, 10, 5: k = 4 at 85 %). 2023 swaps A4 and A5, so that between 2023 and 2024 one
account moves from A to B (A5) and one from B to A (A4). Three account names are
hostile spreadsheet text.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pptx import Presentation

from kam.config import Settings
from kam.engine import Engine
from kam.engine.sources import PortfolioSource
from kam.model import SHEETS, Portfolio, Table, store_columns

VALUES_2024 = [400, 250, 120, 80, 50, 40, 25, 20, 10, 5]
#: 2023: A5 holds 120 (A), A3 80, A4 50 (B); the rest as in 2024.
VALUES_2023 = {
    "A1": 400,
    "A2": 250,
    "A5": 120,
    "A3": 80,
    "A4": 50,
    "A6": 40,
    "A7": 25,
    "A8": 20,
    "A9": 10,
    "A10": 5,
}
HOSTILE = {
    "A8": '=HYPERLINK("http://evil.example","click")',
    "A9": "+cmd|' /C calc'!A0",
    "A10": "@SUM(1+1)",
}
IDS = [f"A{i}" for i in range(1, 11)]
NAMES = {a: HOSTILE.get(a, f"Account {a}") for a in IDS}
PARAMS = {
    "pareto": {"period_from": "2024", "period_to": "2024"},
    "abc": {"period_from": "2023", "period_to": "2024"},
}


def _table(sheet: str, rows: list[dict[str, object]]) -> Table:
    return Table.from_rows(store_columns(SHEETS[sheet]), rows)


def tiny_portfolio() -> Portfolio:
    """The ten accounts with 2023 and 2024 revenue, company 'Acme Cloud'."""
    revenue = [
        {"account_id": a, "period": "2024", "amount": Decimal(v)}
        for a, v in zip(IDS, VALUES_2024, strict=True)
    ] + [
        {"account_id": a, "period": "2023", "amount": Decimal(v)}
        for a, v in VALUES_2023.items()
    ]
    return Portfolio(
        {
            "Accounts": _table(
                "Accounts",
                [{"account_id": a, "name": NAMES[a], "status": "active"} for a in IDS],
            ),
            "Revenue": _table("Revenue", revenue),
            "Settings": _table(
                "Settings",
                [
                    {"key": "as_of", "value": "2025-06-30"},
                    {"key": "company", "value": "Acme Cloud"},
                ],
            ),
        }
    )


@pytest.fixture(scope="session")
def tiny_engine() -> Iterator[Engine]:
    engine = Engine(PortfolioSource(tiny_portfolio()), settings=Settings())
    yield engine
    engine.close()


def reopen(data: bytes | Path) -> Any:
    """The deck read back with python-pptx."""
    return Presentation(io.BytesIO(data) if isinstance(data, bytes) else str(data))


def titles(prs: Any) -> list[str]:
    """The first text of every slide (its title)."""
    return [slide.shapes[0].text_frame.text for slide in prs.slides]


def charts(prs: Any) -> list[Any]:
    """Every chart of the deck, in slide order."""
    return [
        shape.chart for slide in prs.slides for shape in slide.shapes if shape.has_chart
    ]


def all_text(prs: Any) -> str:
    """Every text of every shape and table cell, one per line."""
    out: list[str] = []
    for slide in prs.slides:
        for shape in slide.shapes:
            if shape.has_text_frame:
                out.append(shape.text_frame.text)
            if shape.has_table:
                out.extend(c.text for row in shape.table.rows for c in row.cells)
    return "\n".join(out)


def embedded_workbooks(path: Path) -> dict[str, bytes]:
    """The chart workbooks inside a .pptx, by part name."""
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist() if n.startswith("ppt/embeddings/")}


def xlsx_formulas_and_strings(data: bytes) -> tuple[int, list[str]]:
    """How many cells of an .xlsx hold a formula, and its shared strings."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        formulas = sum(
            len(re.findall(r"<f[ >]", z.read(n).decode()))
            for n in z.namelist()
            if n.startswith("xl/worksheets/")
        )
        names = z.namelist()
        shared = (
            z.read("xl/sharedStrings.xml").decode()
            if "xl/sharedStrings.xml" in names
            else ""
        )
    strings = [
        re.sub(r"&quot;", '"', re.sub(r"&amp;", "&", s))
        for s in re.findall(r"<t[^>]*>([^<]*)</t>", shared)
    ]
    return formulas, strings
