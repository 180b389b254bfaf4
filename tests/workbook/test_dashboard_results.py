"""The dashboard and retention sheets of the results workbook, read back.

Expected numbers come from the demo's MRR rows (exact decimals), not from the
analyses' results; the charts are read from the workbook's own chart XML.
"""

from __future__ import annotations

import re
import zipfile
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from kam.config import Settings
from kam.demo import demo_portfolio
from kam.engine import Engine
from kam.engine.sources import PortfolioSource
from kam.workbook.dashboard_sheets import waterfall_rows
from kam.workbook.results import write_results

NAMES = ("mrr", "mrr_bridge", "retention", "satisfaction", "cohorts", "at_risk")


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    engine = Engine(PortfolioSource(demo_portfolio(seed=7)), settings=Settings())
    try:
        results = [engine.run(n) for n in NAMES]
    finally:
        engine.close()
    path = tmp_path_factory.mktemp("results") / "dashboard.xlsx"
    write_results(results, path)
    return path


def _mrr() -> dict[str, dict[str, Decimal]]:
    """month → plan → MRR, from the demo's rows."""
    t = demo_portfolio(seed=7).tables["MRR"]
    out: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for month, plan, mrr in zip(
        t.data["month"], t.data["plan"], t.data["mrr"], strict=True
    ):
        out[str(month)][str(plan)] += Decimal(str(mrr))
    return out


def _charts(path: Path) -> dict[str, str]:
    """Chart XML by sheet name (via each sheet's drawing)."""
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        workbook = z.read("xl/workbook.xml").decode()
        rels = z.read("xl/_rels/workbook.xml.rels").decode()
        targets = dict(re.findall(r'Id="(rId\d+)" [^>]*Target="([^"]+)"', rels))
        targets |= {
            a: b for b, a in re.findall(r'Target="([^"]+)" [^>]*Id="(rId\d+)"', rels)
        }
        out: dict[str, str] = {}
        for name, rid in re.findall(
            r'<sheet name="([^"]+)" sheetId="\d+" r:id="(rId\d+)"', workbook
        ):
            sheet = "xl/" + targets[rid].removeprefix("/xl/")
            rel = sheet.replace("worksheets/", "worksheets/_rels/") + ".rels"
            if rel not in names:
                continue
            drawing = re.search(r'Target="\.\./drawings/([^"]+)"', z.read(rel).decode())
            if drawing is None:
                continue
            drel = f"xl/drawings/_rels/{drawing.group(1)}.rels"
            charts = re.findall(r'Target="\.\./charts/([^"]+)"', z.read(drel).decode())
            out[name] = "".join(z.read(f"xl/charts/{c}").decode() for c in charts)
        return out


def _values(ws: Any, ref: str) -> list[Any]:
    """The cell values of a chart reference like 'mrr series'!$H$4:$H$49."""
    cells = ref.split("!", 1)[1].replace("$", "")
    return [c.value for row in ws[cells] for c in row]


def test_mrr_by_plan_is_a_stacked_chart_over_the_pivot(book: Path) -> None:
    xml = _charts(book)["mrr series"]
    assert '<c:grouping val="stacked"/>' in xml
    refs = re.findall(r"<c:val><c:numRef><c:f>([^<]+)</c:f>", xml)
    wb = openpyxl.load_workbook(book, read_only=False)
    ws = wb["mrr series"]
    mrr = _mrr()
    last = max(mrr)
    cats = re.search(r"<c:cat><c:strRef><c:f>([^<]+)</c:f>", xml)
    assert cats is not None
    months = _values(ws, cats.group(1).replace("&apos;", "'"))
    assert months == sorted(mrr)
    series = [_values(ws, r.replace("&apos;", "'")) for r in refs]
    assert len(series) == len({p for m in mrr.values() for p in m})
    total = sum(mrr[last].values(), Decimal(0))
    assert sum(s[-1] for s in series) == pytest.approx(float(total))


def test_bridge_waterfall_base_is_invisible_and_bars_reach_start_and_end(
    book: Path,
) -> None:
    xml = _charts(book)["mrr_bridge"]
    assert '<c:grouping val="stacked"/>' in xml
    sers = re.findall(r"<c:ser>(.*?)</c:ser>", xml)
    assert len(sers) == 4
    base = sers[0]
    assert "<a:noFill/>" in base.split("<a:ln", 1)[0]
    assert re.search(r"<a:ln[^>]*><a:noFill/></a:ln>", base)
    assert "<a:noFill/>" not in sers[2]
    wb = openpyxl.load_workbook(book)
    ws = wb["mrr_bridge"]
    heights = [
        _values(ws, re.search(r"<c:val><c:numRef><c:f>([^<]+)</c:f>", s).group(1))  # type: ignore[union-attr]
        for s in sers
    ]
    b, total, up, down = heights
    mrr = _mrr()
    months = sorted(mrr)
    start = sum(mrr[months[-13]].values(), Decimal(0))  # before the last 12 months
    end = sum(mrr[months[-1]].values(), Decimal(0))
    assert total[0] == pytest.approx(float(start))
    assert total[-1] == pytest.approx(float(end))
    running = float(start)
    for i in range(1, 6):
        if up[i]:
            assert b[i] == pytest.approx(running)
            running = b[i] + up[i]
        else:
            assert b[i] + down[i] == pytest.approx(running)
            running = b[i]
    assert running == pytest.approx(float(end))


def test_waterfall_rows_by_hand() -> None:
    # start 100, new 5, expansion 10, contraction 10, churn 10 → end 95.
    rows = [
        {"start": 100, "new": 5, "expansion": 4, "reactivation": 0,
         "contraction": 10, "churn": 0, "end": 99},
        {"start": 99, "new": 0, "expansion": 6, "reactivation": 0,
         "contraction": 0, "churn": 10, "end": 95},
    ]  # fmt: skip
    assert [r[1] for r in waterfall_rows(rows)] == [0, 100, 105, 115, 105, 95, 0]
    assert [r[2] for r in waterfall_rows(rows)] == [100, 0, 0, 0, 0, 0, 95]


def test_retention_and_satisfaction_are_line_charts(book: Path) -> None:
    charts = _charts(book)
    retention = charts["retention"]
    assert "<c:lineChart>" in retention
    names = re.findall(r"<c:tx><c:v>([^<]+)</c:v>", retention)
    assert names[:2] == ["GRR", "NRR"]
    assert "<c:lineChart>" in charts["satisfaction trend"]


def test_cohort_tables_carry_a_colour_scale_over_the_ages(book: Path) -> None:
    wb = openpyxl.load_workbook(book)
    for sheet in ("cohorts revenue", "cohorts logo"):
        ws = wb[sheet]
        header = [c.value for c in ws[3]]
        ranges = [
            (str(cf.sqref), [r.type for r in cf.rules])
            for cf in ws.conditional_formatting
        ]
        assert len(ranges) == 1
        sqref, types = ranges[0]
        assert types == ["colorScale"]
        first_age = header.index("age_0") + 1
        col = openpyxl.utils.get_column_letter(first_age)
        assert sqref.startswith(f"{col}4:")
        # Age 0 of the first cohort is 100 % by definition.
        assert ws.cell(row=4, column=first_age).value == 1
