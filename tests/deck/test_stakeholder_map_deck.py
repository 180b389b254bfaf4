"""The decision map in the account deck: native shapes, connectors, legend, paths.

Expectations come from the demo portfolio's own sheets (who is on the account, who
reports to whom, which dotted lines, attitudes) and from the acceptance scenario of
analyses.md §6: on the flagship A001 the EVP & CIO OV02 is the top target and the
best path is KAM → consultancy lead OV25 → EVP with 0.9 × 0.9 = 0.81, then via the
IT director OV06: touchpoint strength 2 (0.6) × reports-to (0.6) = 0.36.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pptx.util import Emu

from kam.analysis.stakeholders import ANALYSIS
from kam.config import Settings
from kam.deck import account_deck, write_deck
from kam.deck.layout import Deck
from kam.deck.stakeholder_map import stakeholder_slides
from kam.deck.theme import Theme
from kam.demo import demo_portfolio
from kam.engine import Engine
from kam.engine.sources import PortfolioSource
from kam.model import Portfolio
from tests.deck.conftest import reopen

ACCOUNT = "A001"
#: Fill colours by attitude, as the web page draws them (hostile … champion).
COLOURS = {-2: "C0392B", -1: "F0A35E", 0: "D5DBE1", 1: "9FD3AE", 2: "2E8B57"}


def _rows(portfolio: Portfolio, sheet: str) -> list[dict[str, Any]]:
    t = portfolio.tables[sheet]
    n = len(t.data[t.columns[0]])
    return [{c: t.data[c][i] for c in t.columns} for i in range(n)]


@pytest.fixture(scope="module")
def demo() -> Portfolio:
    return demo_portfolio(seed=7)


@pytest.fixture(scope="module")
def engine(demo: Portfolio) -> Iterator[Engine]:
    engine = Engine(PortfolioSource(demo), settings=Settings())
    yield engine
    engine.close()


@pytest.fixture(scope="module")
def slides(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> list[Any]:
    deck = Deck(Theme())
    result = engine.run("stakeholders", {"account": ACCOUNT})
    stakeholder_slides(deck, result, ANALYSIS)
    path = tmp_path_factory.mktemp("map") / "map.pptx"
    write_deck(deck.finish(), path)
    return list(reopen(path).slides)


def _people(demo: Portfolio) -> dict[str, dict[str, Any]]:
    return {
        r["stakeholder_id"]: r
        for r in _rows(demo, "Stakeholders")
        if r["account_id"] == ACCOUNT
    }


def _named(slide: Any, prefix: str) -> dict[str, Any]:
    return {s.name[len(prefix) :]: s for s in slide.shapes if s.name.startswith(prefix)}


def test_one_box_per_stakeholder_with_name_and_attitude_colour(
    slides: list[Any], demo: Portfolio
) -> None:
    people = _people(demo)
    boxes = _named(slides[0], "stakeholder ")
    assert set(boxes) == set(people)
    for sid, box in boxes.items():
        assert people[sid]["name"] in box.text_frame.text
        assert str(box.fill.fore_color.rgb) == COLOURS[people[sid]["attitude"]]
        # Decision power as the outline width: 1 pt per point of power.
        assert box.line.width == Emu(12700 * people[sid]["decision_power"])
    role = boxes["OV02"].text_frame.text
    assert "decision maker" in role
    assert "target 1" in role


def test_connectors_are_reports_to_lines_and_dotted_influence_lines(
    slides: list[Any], demo: Portfolio
) -> None:
    people = _people(demo)
    reports = {
        (sid, r["reports_to"]) for sid, r in people.items() if r["reports_to"] in people
    }
    influences = {
        (r["from_id"], r["to_id"])
        for r in _rows(demo, "Influences")
        if r["from_id"] in people and r["to_id"] in people
    }
    assert ("OV25", "OV02") in influences
    connectors = [s for s in slides[0].shapes if s._element.tag.endswith("}cxnSp")]
    drawn = [c for c in connectors if not c.name.startswith("legend")]
    assert len(drawn) == len(reports) + len(influences)
    solid = {
        tuple(c.name.removeprefix("reports-to ").split("->"))
        for c in drawn
        if c.name.startswith("reports-to ")
    }
    dotted = {
        tuple(c.name.removeprefix("influence ").split("->"))
        for c in drawn
        if c.name.startswith("influence ")
    }
    assert solid == reports
    assert dotted == influences
    for c in drawn:
        xml = c._element.xml
        if c.name.startswith("influence "):
            assert 'prstDash val="sysDot"' in xml
            assert "<a:tailEnd" in xml
        else:
            assert "prstDash" not in xml
        # Glued to the boxes, so PowerPoint keeps them attached when boxes move.
        assert "a:stCxn" in xml
        assert "a:endCxn" in xml
        assert 'prst="bentConnector3"' in xml


def test_touchpoint_marks_and_legend(slides: list[Any], demo: Portfolio) -> None:
    people = _people(demo)
    touched: dict[str, bool] = {}
    for t in _rows(demo, "Touchpoints"):
        if t["stakeholder_id"] in people:
            touched[t["stakeholder_id"]] = touched.get(
                t["stakeholder_id"], False
            ) or bool(t["key"])
    marks = _named(slides[0], "touchpoint ")
    assert set(marks) == set(touched)
    # OV25 holds the KAM's key touchpoint: a filled mark; OV06's is not key.
    assert str(marks["OV25"].fill.fore_color.rgb) == "1F2933"
    assert str(marks["OV06"].fill.fore_color.rgb) == "FFFFFF"
    legend = " ".join(
        s.text_frame.text for s in slides[0].shapes if s.name.startswith("legend text")
    )
    for word in ("champion", "hostile", "reports to", "influence", "key touchpoint"):
        assert word in legend
    swatches = _named(slides[0], "legend attitude ")
    assert {k: str(s.fill.fore_color.rgb) for k, s in swatches.items()} == {
        f"{a:+d}": c for a, c in COLOURS.items()
    }


def _inside(a: Any, b: Any) -> bool:
    return (
        a.left >= b.left
        and a.top >= b.top
        and a.left + a.width <= b.left + b.width
        and a.top + a.height <= b.top + b.height
    )


def test_no_shapes_overlap(slides: list[Any]) -> None:
    shapes = [s for s in slides[0].shapes if not s._element.tag.endswith("}cxnSp")]
    clashes = []
    for i, a in enumerate(shapes):
        for b in shapes[i + 1 :]:
            own_mark = a.name.startswith("stakeholder ") and b.name == (
                "touchpoint " + a.name.removeprefix("stakeholder ")
            )
            if own_mark:
                assert _inside(b, a)
                continue
            if (
                a.left < b.left + b.width
                and b.left < a.left + a.width
                and a.top < b.top + b.height
                and b.top < a.top + a.height
            ):
                clashes.append((a.name, b.name))
    assert clashes == []
    slide_width = Emu(12_192_000)
    assert all(s.left >= 0 and s.left + s.width <= slide_width for s in shapes)


def test_target_table_lists_the_evp_first_with_the_consultancy_path(
    slides: list[Any], demo: Portfolio
) -> None:
    people = _people(demo)
    team = {r["member_id"]: r["name"] for r in _rows(demo, "Team")}
    kam = team["M01"]  # the KAM with the strength-3 key touchpoint on OV25
    targets = {
        sid
        for sid, r in people.items()
        if r["decision_power"] >= 4 and r["attitude"] <= 0
    }
    table_slides = [s for s in slides[1:] if any(sh.has_table for sh in s.shapes)]
    rows = []
    for s in table_slides:
        table = next(sh for sh in s.shapes if sh.has_table).table
        rows += [[c.text for c in row.cells] for row in list(table.rows)[1:]]
    listed = {r[1].rsplit("(", 1)[1].rstrip(")") for r in rows if r[1]}
    assert listed == targets
    first, second = rows[0], rows[1]
    assert first[:2] == ["1", f"{people['OV02']['name']} (OV02)"]
    assert first[4:7] == [
        "1",
        f"{kam} → {people['OV25']['name']} → {people['OV02']['name']}",
        "81.0 %",
    ]
    assert second[4:7] == [
        "2",
        f"{kam} → {people['OV06']['name']} → {people['OV02']['name']}",
        "36.0 %",
    ]


@pytest.mark.slow
def test_account_deck_has_one_map_slide_for_the_account(engine: Engine) -> None:
    prs = account_deck(engine, ACCOUNT)
    maps = [
        s
        for s in prs.slides
        if any(sh.name.startswith("stakeholder ") for sh in s.shapes)
    ]
    assert len(maps) == 1
    assert maps[0].shapes[0].text_frame.text.endswith(": decision map")


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("soffice") is None, reason="soffice not on PATH")
def test_libreoffice_renders_the_map(slides: list[Any], tmp_path: Path) -> None:
    deck = Deck(Theme())
    engine = Engine(PortfolioSource(demo_portfolio(seed=7)), settings=Settings())
    try:
        stakeholder_slides(
            deck, engine.run("stakeholders", {"account": ACCOUNT}), ANALYSIS
        )
    finally:
        engine.close()
    path = tmp_path / "map.pptx"
    write_deck(deck.finish(), path)
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation=file://{tmp_path / 'lo'}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(path),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    assert (tmp_path / "map.pdf").stat().st_size > 0
