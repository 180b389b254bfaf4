"""The scoring and profit sheets of the results workbook, read back.

Expected numbers come from the demo's Criteria, Scores and Profit rows (exact
decimals, computed here), and from the worked check of analyses.md §3, not from the
analyses' results.
"""

from __future__ import annotations

import statistics
import zipfile
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from kam.config import Settings
from kam.demo import demo_portfolio
from kam.demo.accounts import FLAGSHIP_ID
from kam.engine import Engine
from kam.engine.sources import PortfolioSource
from kam.model import Portfolio
from kam.workbook.results import write_results

SEED = 7


@pytest.fixture(scope="module")
def demo() -> Portfolio:
    return demo_portfolio(seed=SEED)


@pytest.fixture(scope="module")
def book(demo: Portfolio, tmp_path_factory: pytest.TempPathFactory) -> Any:
    engine = Engine(PortfolioSource(demo), settings=Settings())
    try:
        results = [engine.run("scoring"), engine.run("profit")]
    finally:
        engine.close()
    path = Path(tmp_path_factory.mktemp("results")) / "selection.xlsx"
    write_results(results, path)
    return openpyxl.load_workbook(path, read_only=True, data_only=True)


def _rows(demo: Portfolio, sheet: str) -> list[dict[str, object]]:
    t = demo.tables[sheet]
    n = len(t.data[t.columns[0]])
    return [{c: t.data[c][i] for c in t.columns} for i in range(n)]


def _table(book: Any, sheet: str, first: str) -> list[dict[str, object]]:
    """The Excel table of ``sheet``: the rows below the header starting ``first``."""
    cells = [list(r) for r in book[sheet].iter_rows(values_only=True)]
    at = next(i for i, r in enumerate(cells) if r and r[0] == first)
    header = [str(c) for c in cells[at] if c is not None]
    out = []
    for r in cells[at + 1 :]:
        if r[0] is None:
            break
        out.append(dict(zip(header, r, strict=False)))
    return out


def _block(book: Any, sheet: str, title: str) -> dict[str, object]:
    """A key/value block (Parameters, Summary) of ``sheet``."""
    cells = [list(r) for r in book[sheet].iter_rows(values_only=True)]
    at = next(i for i, r in enumerate(cells) if r and r[0] == title)
    out: dict[str, object] = {}
    for r in cells[at + 1 :]:
        if not r or r[0] is None:
            break
        out[str(r[0])] = r[1]
    return out


def _d(value: object) -> Decimal:
    """A number read back from the sheet, as the decimal it was written from."""
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value))


def test_the_scoring_and_profit_sheets_are_there(book: Any) -> None:
    names = set(book.sheetnames)
    assert {
        "scoring",
        "scoring criteria",
        "scoring disagreements",
        "profit",
        "profit grid",
        "profit products",
    } <= names


def _overall(demo: Portfolio) -> dict[str, tuple[Decimal, Decimal, Decimal]]:
    """Account → (overall, growth, harmony): the mean of the raters per criterion,
    Σ weight·score per section (the demo's weights sum to 1), the mean of the two
    sections (equal section weights)."""
    weight = {
        str(c["criterion_id"]): Decimal(str(c["weight"]))
        for c in _rows(demo, "Criteria")
    }
    per: dict[tuple[str, str], list[Decimal]] = defaultdict(list)
    for r in _rows(demo, "Scores"):
        per[(str(r["account_id"]), str(r["criterion_id"]))].append(
            Decimal(str(r["score"]))
        )
    out = {}
    for a in {a for a, _ in per}:
        sec = {
            p: sum(
                (
                    weight[c] * sum(xs) / len(xs)
                    for (acc, c), xs in per.items()
                    if acc == a and c.startswith(p)
                ),
                Decimal(0),
            )
            for p in ("G", "H")
        }
        out[a] = ((sec["G"] + sec["H"]) / 2, sec["G"], sec["H"])
    return out


def test_the_selection_table_holds_scores_sections_and_ranks(
    book: Any, demo: Portfolio
) -> None:
    rows = _table(book, "scoring", "rank")
    expected = _overall(demo)
    assert len(rows) == len(expected) == 40
    for r in rows:
        overall, growth, harmony = expected[str(r["account_id"])]
        assert _d(r["score"]) == overall
        assert _d(r["growth"]) == growth
        assert _d(r["harmony"]) == harmony
        # Equal scores share the smallest rank (1, 1, 3).
        assert r["rank"] == 1 + sum(1 for o, _, _ in expected.values() if o > overall)
    flagship = next(r for r in rows if r["account_id"] == FLAGSHIP_ID)
    # 0.15·9 + 0.35·10 + 0.20·7 + 0.30·9 = 8.95; 0.30·6 + 0.25·7 + 0.25·6 +
    # 0.20·8 = 6.65; (8.95 + 6.65) / 2 = 7.80.
    assert (_d(flagship["growth"]), _d(flagship["harmony"])) == (
        Decimal("8.95"),
        Decimal("6.65"),
    )
    assert _d(flagship["score"]) == Decimal("7.80")
    # The worked check of analyses.md §3, carried by two demo accounts.
    growth = {_d(r["growth"]) for r in rows}
    assert {Decimal("2.95"), Decimal("5.20")} <= growth


def test_the_selection_table_holds_rank_stability(book: Any) -> None:
    rows = _table(book, "scoring", "rank")
    summary = _block(book, "scoring", "Summary")
    # 8 criteria, each weight moved up and down: 16 rankings.
    assert summary["perturbations"] == 16
    for r in rows:
        assert r["rank_min"] <= r["rank"] <= r["rank_max"]  # type: ignore[operator]
        share = float(r["rank_change_share"])  # type: ignore[arg-type]
        # A share of 16 rankings: a whole number of sixteenths.
        assert 0 <= share <= 1
        assert (share * 16).is_integer()
        assert (share == 0) == (r["rank_min"] == r["rank_max"] == r["rank"])
    unstable = sum(1 for r in rows if float(r["rank_change_share"]) > 0)  # type: ignore[arg-type]
    assert summary["unstable"] == unstable


def test_the_criteria_sheet_holds_the_weights(book: Any) -> None:
    rows = _table(book, "scoring criteria", "criterion_id")
    assert {str(r["criterion_id"]): _d(r["weight"]) for r in rows} == {
        "G1": Decimal("0.15"),
        "G2": Decimal("0.35"),
        "G3": Decimal("0.2"),
        "G4": Decimal("0.3"),
        "H1": Decimal("0.3"),
        "H2": Decimal("0.25"),
        "H3": Decimal("0.25"),
        "H4": Decimal("0.2"),
    }


def _profit(demo: Portfolio) -> dict[str, dict[str, Decimal]]:
    """Account → list, net, cogs, cost to serve (the parts' sum when given)."""
    out: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    parts = ("cts_presale", "cts_production", "cts_distribution", "cts_postsale")
    for r in _rows(demo, "Profit"):
        a = out[str(r["account_id"])]
        given = [r[p] for p in parts if r[p] is not None]
        cts = sum(given, Decimal(0)) if given else r["cost_to_serve"]
        a["list"] += Decimal(str(r["list_revenue"]))
        a["net"] += Decimal(str(r["net_revenue"]))
        a["cogs"] += Decimal(str(r["cogs"] or 0))
        a["cts"] += Decimal(str(cts or 0))
    return out


def test_the_profit_sheet_holds_profit_and_the_quadrants(
    book: Any, demo: Portfolio
) -> None:
    rows = _table(book, "profit", "rank")
    expected = _profit(demo)
    assert {str(r["account_id"]) for r in rows} == set(expected)
    npi = {a: float(v["net"] / v["list"]) for a, v in expected.items()}
    cts = {a: float(v["cts"] / v["net"]) for a, v in expected.items()}
    npi_cut, cts_cut = statistics.median(npi.values()), statistics.median(cts.values())
    names = {
        (True, False): "passive",
        (True, True): "carriage trade",
        (False, False): "bargain basement",
        (False, True): "aggressive",
    }
    for r in rows:
        a = str(r["account_id"])
        v = expected[a]
        assert _d(r["profit"]) == v["net"] - v["cogs"] - v["cts"]
        assert r["quadrant"] == names[(npi[a] >= npi_cut, cts[a] >= cts_cut)]
    counts = {q: sum(1 for r in rows if r["quadrant"] == q) for q in names.values()}
    summary = _block(book, "profit", "Summary")
    assert summary["quadrants"] == ", ".join(f"{q}: {n}" for q, n in counts.items())


def test_the_profit_sheet_holds_the_whale_curve(book: Any, demo: Portfolio) -> None:
    rows = _table(book, "profit", "rank")
    profits = sorted(
        (v["net"] - v["cogs"] - v["cts"] for v in _profit(demo).values()),
        reverse=True,
    )
    total = sum(profits, Decimal(0))
    running, peak, at_peak = Decimal(0), Decimal(0), 0
    for i, p in enumerate(profits, start=1):
        running += p
        if running > peak:
            peak, at_peak = running, i
    by_rank = sorted(rows, key=lambda r: int(r["rank"]))  # type: ignore[call-overload]
    cum = [float(r["cum_profit_share"]) for r in by_rank]  # type: ignore[arg-type]
    assert cum[-1] == pytest.approx(1.0)
    assert max(cum) == pytest.approx(float(peak / total))
    summary = _block(book, "profit", "Summary")
    assert _d(summary["peak_profit"]) == peak
    assert summary["peak_accounts"] == at_peak
    assert summary["loss_makers"] == sum(1 for p in profits if p < 0)
    assert _d(summary["profit_eroded"]) == -sum(
        (p for p in profits if p < 0), Decimal(0)
    )


def test_the_grid_sheet_holds_sixteen_cells_with_their_policies(
    book: Any, demo: Portfolio
) -> None:
    rows = _table(book, "profit grid", "customer_class")
    cells = {(str(r["customer_class"]), int(r["product_class"])): r for r in rows}  # type: ignore[call-overload]
    assert set(cells) == {(c, p) for c in "ABCD" for p in (1, 2, 3, 4)}
    assert cells[("A", 1)]["policy"] == "perfection / never miss"
    assert cells[("D", 4)]["policy"] == "tough it out / outsource"
    # Every product line of the Profit sheet falls in one cell.
    net = sum(
        (Decimal(str(r["net_revenue"])) for r in _rows(demo, "Profit") if r["product"]),
        Decimal(0),
    )
    assert sum((_d(r["net_revenue"]) for r in rows), Decimal(0)) == net


def test_the_quadrants_sheet_counts_the_accounts_of_each_quadrant(
    book: Any, demo: Portfolio
) -> None:
    expected = _profit(demo)
    npi = {a: float(v["net"] / v["list"]) for a, v in expected.items()}
    cts = {a: float(v["cts"] / v["net"]) for a, v in expected.items()}
    npi_cut, cts_cut = statistics.median(npi.values()), statistics.median(cts.values())
    want: dict[str, list[Decimal]] = {
        q: [Decimal(0), Decimal(0), Decimal(0)]
        for q in ("passive", "carriage trade", "bargain basement", "aggressive")
    }
    for a, v in expected.items():
        q = {
            (True, False): "passive",
            (True, True): "carriage trade",
            (False, False): "bargain basement",
            (False, True): "aggressive",
        }[(npi[a] >= npi_cut, cts[a] >= cts_cut)]
        want[q][0] += 1
        want[q][1] += v["net"]
        want[q][2] += v["net"] - v["cogs"] - v["cts"]
    rows = _table(book, "profit quadrants", "quadrant")
    got = {
        str(r["quadrant"]): [_d(r["accounts"]), _d(r["net_revenue"]), _d(r["profit"])]
        for r in rows
    }
    assert [str(r["quadrant"]) for r in rows] == list(want)
    assert got == want


def test_the_whale_sheet_draws_the_curve_from_the_origin(
    book: Any, demo: Portfolio
) -> None:
    rows = _table(book, "profit whale", "rank")
    profits = sorted(
        (v["net"] - v["cogs"] - v["cts"] for v in _profit(demo).values()),
        reverse=True,
    )
    total = sum(profits, Decimal(0))
    assert len(rows) == len(profits) + 1
    assert (rows[0]["account_share"], rows[0]["cum_profit_share"]) == (0, 0)
    running = Decimal(0)
    for i, (r, p) in enumerate(zip(rows[1:], profits, strict=True), start=1):
        running += p
        assert float(r["account_share"]) == pytest.approx(i / len(profits))  # type: ignore[arg-type]
        assert float(r["cum_profit_share"]) == pytest.approx(float(running / total))  # type: ignore[arg-type]


def test_the_whale_sheet_has_an_xy_chart(
    demo: Portfolio, tmp_path_factory: pytest.TempPathFactory
) -> None:
    engine = Engine(PortfolioSource(demo), settings=Settings())
    try:
        result = engine.run("profit")
    finally:
        engine.close()
    path = Path(tmp_path_factory.mktemp("whale")) / "profit.xlsx"
    write_results([result], path)
    with zipfile.ZipFile(path) as z:
        charts = [
            z.read(n).decode() for n in z.namelist() if n.startswith("xl/charts/")
        ]
    assert len(charts) == 1
    assert "<c:scatterChart>" in charts[0]
    assert "Whale curve" in charts[0]
    assert "'profit whale'!$C$4:$C$" in charts[0]
