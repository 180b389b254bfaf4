"""The stakeholder decision map in the account deck: the org chart and the paths.

Two parts per account:

1. the org chart, drawn with native shapes so that it stays editable: one rectangle
   per stakeholder at the position :func:`kam.analysis.orgchart.org_chart` gives (the
   layout the web page uses, scaled to fit the slide), filled by attitude, its
   outline as thick as the decision power (1–5 → 1–5 pt); the text says name, buying
   role, power and the target rank. Reports-to lines are solid elbow connectors from
   the manager's bottom to the report's top; influence lines are dotted elbow
   connectors with an arrowhead, coloured by sentiment. A small circle in a box's
   top-right corner marks a touchpoint of ours (filled: a key touchpoint). A legend
   stands on the right of the chart, never over it.
2. the targets and their recommended paths as a table (continued over slides when
   long): rank, target, power, attitude, the path by name, its probability and its
   weakest link.

Connectors are glued to the boxes' connection sites (0 top, 1 left, 2 bottom,
3 right of a rectangle), so PowerPoint reroutes them when a box is moved.
"""

from __future__ import annotations

from typing import Any

from pptx.enum.dml import MSO_LINE_DASH_STYLE
from pptx.enum.shapes import MSO_CONNECTOR, MSO_SHAPE
from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
from pptx.oxml.ns import qn
from pptx.oxml.xmlchemy import OxmlElement
from pptx.util import Emu, Inches, Pt

from kam.analysis.orgchart import OrgChart, org_chart
from kam.analysis.result import AnalysisResult
from kam.analysis.spec import Analysis
from kam.deck.charts import safe_text
from kam.deck.layout import BODY, Deck
from kam.deck.registry import slide_builder
from kam.deck.theme import rgb

__all__ = [
    "ATTITUDE_COLOURS",
    "SENTIMENT_COLOURS",
    "chart_frame",
    "map_slide",
    "paths_table",
]

#: Fill by attitude, −2 (hostile) … +2 (champion): the web page's colours.
ATTITUDE_COLOURS = {
    -2: "C0392B",
    -1: "F0A35E",
    0: "D5DBE1",
    1: "9FD3AE",
    2: "2E8B57",
}
ATTITUDE_NAMES = {
    -2: "hostile",
    -1: "negative",
    0: "neutral",
    1: "positive",
    2: "champion",
}
#: Colour of a dotted influence line by its sentiment.
SENTIMENT_COLOURS = {"positive": "2E8B57", "neutral": "7B8794", "negative": "C0392B"}
REPORTS_TO_COLOUR = "5B6B7C"
_LEGEND_WIDTH = Inches(2.3)
_GAP = Inches(0.2)
_DARK = (-2, 2)
#: Box height in layout units (the width stays the layout's 160).
BOX_HEIGHT = 96.0


def chart_frame() -> tuple[int, int, int, int]:
    """The part of the body the chart may fill (the legend takes the right side)."""
    x, y, cx, cy = BODY
    return x, y, Emu(cx - _LEGEND_WIDTH - _GAP), cy


def _scale(chart: OrgChart) -> tuple[float, int, int]:
    """EMU per layout unit and the chart's offset, centred in :func:`chart_frame`."""
    x, y, cx, cy = chart_frame()
    if chart.width <= 0 or chart.height <= 0:
        return 1.0, x, y
    k = min(cx / chart.width, cy / chart.height)
    return k, int(x + (cx - chart.width * k) / 2), y


def _hex(colour: str) -> Any:
    return rgb(colour)


def _arrow(connector: Any) -> None:
    """An arrowhead at the end of a connector (python-pptx has no API for it)."""
    ln = connector.line._get_or_add_ln()
    for old in ln.findall(qn("a:tailEnd")):
        ln.remove(old)
    tail = OxmlElement("a:tailEnd")
    tail.set("type", "triangle")
    ln.append(tail)


def _label(frame: Any, lines: list[tuple[str, bool]], size: float, font: str) -> None:
    frame.word_wrap = True
    frame.vertical_anchor = MSO_ANCHOR.MIDDLE
    for attr in ("margin_left", "margin_right", "margin_top", "margin_bottom"):
        setattr(frame, attr, Emu(0))
    for i, (text, bold) in enumerate(lines):
        para = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        para.alignment = PP_ALIGN.CENTER
        run = para.add_run()
        run.text = safe_text(text)
        run.font.size = Pt(size)
        run.font.bold = bold
        run.font.name = font


def map_slide(deck: Deck, result: AnalysisResult) -> Any:
    """The org chart of ``result`` (a stakeholders result) on one slide."""
    summary = result.summary
    name = str(summary.get("account_name") or summary.get("account"))
    rows = result.rows
    chart = org_chart(
        (
            (str(r["stakeholder_id"]), r["reports_to"], r["organisation"])  # type: ignore[misc]
            for r in rows
        ),
        # Taller boxes than the web's: a slide is wider than the chart is, and the
        # height left over holds three lines of text per box.
        box_height=BOX_HEIGHT,
        gap_y=72.0,
    )
    targets = list(summary.get("targets") or [])  # type: ignore[call-overload]
    first = rows[0] if rows and rows[0]["is_target"] else None
    lead = (
        f"The first target is {first['name']} ({first['stakeholder_id']}); best path "
        f"{first['best_path'] or 'none'}."
        if first
        else "No target: every high-power stakeholder is positive."
    )
    slide = deck.slide(
        f"{name}: decision map",
        f"How to read: boxes are the customer's people and their advisers, placed by "
        f"reporting line; colour = attitude, outline width = decision power, a circle "
        f"= a touchpoint of ours (filled: key), solid lines = reports to, dotted "
        f"arrows = influence (green positive, grey neutral, red negative). "
        f"{len(rows)} stakeholders, {len(targets)} targets. {lead}\n"
        + str(summary.get("headline") or ""),
    )
    k, ox, oy = _scale(chart)
    key = {str(t["stakeholder_id"]) for t in result.tables["touchpoints"] if t["key"]}
    touched = {str(t["stakeholder_id"]) for t in result.tables["touchpoints"]}
    font = deck.theme.font
    shapes = slide.shapes
    boxes: dict[str, Any] = {}
    size = max(5.0, min(10.0, Emu(int(BOX_HEIGHT * k)).pt * 0.2))
    for r in rows:
        sid = str(r["stakeholder_id"])
        b = chart.boxes[sid]
        power, attitude = int(r["decision_power"]), int(r["attitude"])  # type: ignore[call-overload]
        shape = shapes.add_shape(
            MSO_SHAPE.RECTANGLE,
            Emu(int(ox + b.x * k)),
            Emu(int(oy + b.y * k)),
            Emu(int(b.width * k)),
            Emu(int(b.height * k)),
        )
        shape.name = f"stakeholder {sid}"
        shape.fill.solid()
        shape.fill.fore_color.rgb = _hex(ATTITUDE_COLOURS[attitude])
        shape.line.color.rgb = _hex("1F2933")
        shape.line.width = Pt(power)
        shape.shadow.inherit = False
        role = str(r["buying_role"] or "").replace("_", " ")
        rank = r["target_rank"]
        detail = f"P{power} · {attitude:+d}" + (f" · {role}" if role else "")
        lines = [(str(r["name"]), True), (detail, False)]
        if rank is not None:
            lines.append((f"target {rank}", True))
        _label(shape.text_frame, lines, size, font)
        colour = "FFFFFF" if attitude in _DARK else "1F2933"
        for para in shape.text_frame.paragraphs:
            for run in para.runs:
                run.font.color.rgb = _hex(colour)
        boxes[sid] = shape
        if sid in touched:
            d = int(min(b.height * k * 0.28, Inches(0.16)))
            mark = shapes.add_shape(
                MSO_SHAPE.OVAL,
                Emu(int(ox + (b.x + b.width) * k) - d - Emu(Pt(power))),
                Emu(int(oy + b.y * k) + Emu(Pt(power))),
                Emu(d),
                Emu(d),
            )
            mark.name = f"touchpoint {sid}"
            mark.line.color.rgb = _hex("1F2933")
            mark.line.width = Pt(0.75)
            if sid in key:
                mark.fill.solid()
                mark.fill.fore_color.rgb = _hex("1F2933")
            else:
                mark.fill.solid()
                mark.fill.fore_color.rgb = _hex("FFFFFF")
    for r in rows:
        sid, manager = str(r["stakeholder_id"]), r["reports_to"]
        if manager is None or str(manager) not in boxes:
            continue
        line = shapes.add_connector(MSO_CONNECTOR.ELBOW, 0, 0, 0, 0)
        line.begin_connect(boxes[str(manager)], 2)
        line.end_connect(boxes[sid], 0)
        line.name = f"reports-to {sid}->{manager}"
        line.line.color.rgb = _hex(REPORTS_TO_COLOUR)
        line.line.width = Pt(1)
    for inf in result.tables["influences"]:
        src, dst = str(inf["from_id"]), str(inf["to_id"])
        if src not in boxes or dst not in boxes:
            continue
        left_to_right = chart.boxes[src].centre_x <= chart.boxes[dst].centre_x
        line = shapes.add_connector(MSO_CONNECTOR.ELBOW, 0, 0, 0, 0)
        line.begin_connect(boxes[src], 3 if left_to_right else 1)
        line.end_connect(boxes[dst], 1 if left_to_right else 3)
        line.name = f"influence {src}->{dst}"
        sentiment = str(inf["sentiment"])
        line.line.color.rgb = _hex(SENTIMENT_COLOURS.get(sentiment, "7B8794"))
        line.line.width = Pt(0.5 + 0.5 * int(inf["strength"]))  # type: ignore[call-overload]
        line.line.dash_style = MSO_LINE_DASH_STYLE.ROUND_DOT
        _arrow(line)
    _legend(deck, slide)
    return slide


def _legend(deck: Deck, slide: Any) -> None:
    x0 = Emu(BODY[0] + BODY[2] - _LEGEND_WIDTH)
    y = BODY[1]
    row = Inches(0.26)
    swatch = Inches(0.32)
    shapes = slide.shapes

    def text(y: int, value: str, *, bold: bool = False, indent: int = 0) -> None:
        box = shapes.add_textbox(
            Emu(x0 + indent), Emu(y), Emu(_LEGEND_WIDTH - indent), row
        )
        box.name = f"legend text {value}"
        frame = box.text_frame
        frame.word_wrap = True
        for attr in ("margin_top", "margin_bottom"):
            setattr(frame, attr, Emu(0))
        run = frame.paragraphs[0].add_run()
        run.text = value
        run.font.size = Pt(9)
        run.font.bold = bold
        run.font.name = deck.theme.font

    text(y, "Attitude", bold=True)
    y += row
    for attitude in sorted(ATTITUDE_COLOURS, reverse=True):
        sw = shapes.add_shape(
            MSO_SHAPE.RECTANGLE, x0, Emu(y + Inches(0.04)), swatch, Inches(0.18)
        )
        sw.name = f"legend attitude {attitude:+d}"
        sw.fill.solid()
        sw.fill.fore_color.rgb = _hex(ATTITUDE_COLOURS[attitude])
        sw.line.color.rgb = _hex("1F2933")
        sw.line.width = Pt(0.5)
        text(y, f"{attitude:+d} {ATTITUDE_NAMES[attitude]}", indent=swatch + _GAP)
        y += row
    y += Inches(0.1)
    text(y, "Lines", bold=True)
    y += row
    for label, colour, dotted in (
        ("reports to", REPORTS_TO_COLOUR, False),
        ("influence, positive", SENTIMENT_COLOURS["positive"], True),
        ("influence, neutral", SENTIMENT_COLOURS["neutral"], True),
        ("influence, negative", SENTIMENT_COLOURS["negative"], True),
    ):
        mid = Emu(y + row // 2)
        sample = shapes.add_connector(
            MSO_CONNECTOR.STRAIGHT, x0, mid, Emu(x0 + swatch), mid
        )
        sample.name = f"legend line {label}"
        sample.line.color.rgb = _hex(colour)
        sample.line.width = Pt(1.5)
        if dotted:
            sample.line.dash_style = MSO_LINE_DASH_STYLE.ROUND_DOT
        text(y, label, indent=swatch + _GAP)
        y += row
    y += Inches(0.1)
    text(y, "Marks", bold=True)
    y += row
    for label, filled in (("key touchpoint", True), ("other touchpoint", False)):
        d = Inches(0.14)
        mark = shapes.add_shape(
            MSO_SHAPE.OVAL, Emu(x0 + (swatch - d) // 2), Emu(y + Inches(0.05)), d, d
        )
        mark.name = f"legend mark {label}"
        mark.fill.solid()
        mark.fill.fore_color.rgb = _hex("1F2933" if filled else "FFFFFF")
        mark.line.color.rgb = _hex("1F2933")
        text(y, label, indent=swatch + _GAP)
        y += row
    text(y, "Outline width = decision power", indent=0)
    y += row
    text(y, "P = power, ±n = attitude", indent=0)


def paths_table(result: AnalysisResult) -> list[list[str]]:
    """Rows of the targets table: one per recommended path (or per target without)."""
    by_id = {str(r["stakeholder_id"]): r for r in result.rows}
    paths: dict[str, list[dict[str, object]]] = {}
    for p in result.tables["paths"]:
        paths.setdefault(str(p["target"]), []).append(p)
    out: list[list[str]] = []
    for t in result.tables["targets"]:
        sid = str(t["stakeholder_id"])
        head = [
            str(t["target_rank"]),
            f"{t['name']} ({sid})",
            str(t["decision_power"]),
            f"{int(t['attitude']):+d}",  # type: ignore[call-overload]
        ]
        found = paths.get(sid, [])
        if not found:
            out.append([*head, "", "no path from our team", "", ""])
        for p in found:
            a, b = (str(x) for x in p["weakest_link"])  # type: ignore[attr-defined]
            weak_a = by_id[a]["name"] if a in by_id else a
            weak_b = by_id[b]["name"] if b in by_id else b
            out.append(
                [
                    *(head if p["rank"] == 1 else ["", "", "", ""]),
                    str(p["rank"]),
                    " → ".join(str(n) for n in p["names"]),  # type: ignore[attr-defined]
                    f"{float(p['probability']) * 100:.1f} %",  # type: ignore[arg-type]
                    f"{weak_a} → {weak_b} ({float(p['weakest_p']):.2f})",  # type: ignore[arg-type]
                ]
            )
    return out


@slide_builder("stakeholders")
def stakeholder_slides(deck: Deck, result: AnalysisResult, analysis: Analysis) -> None:
    """The decision map, then the targets with their recommended paths."""
    map_slide(deck, result)
    name = str(result.summary.get("account_name") or result.summary.get("account"))
    deck.table(
        f"{name}: targets and recommended paths",
        "How to read: targets (decision power ≥ 4, attitude ≤ 0) in the order to work "
        "on them; for each, the best paths from our team, with the probability that "
        "the message gets through (the product of the links' strengths) and the "
        "weakest link to strengthen first.",
        [
            "#",
            "target",
            "power",
            "attitude",
            "path",
            "route",
            "probability",
            "weakest link",
        ],
        paths_table(result),
        per_slide=12,
    )
