"""Slides of the planning tools: plan or charter, Gantt chart, division map, RACI.

Registered with :func:`kam.deck.registry.slide_builder`, so each appears in the
account deck as a section of its own (the four take an ``account``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from pptx.enum.chart import XL_CHART_TYPE
from pptx.util import Pt

from kam.analysis.result import AnalysisResult
from kam.analysis.spec import Analysis
from kam.deck.charts import CategoryChartData, safe_text
from kam.deck.layout import BODY, ROWS_PER_SLIDE, Deck
from kam.deck.registry import slide_builder, top_rows
from kam.deck.theme import rgb
from kam.render import cell_text

__all__ = [
    "CODE_FILLS",
    "COMPLETENESS_FILLS",
    "CRITICAL_FILL",
    "GANTT_MAX_TASKS",
    "GANTT_TASKS",
    "GRID_PRODUCTS",
    "STATUS_FILLS",
    "excel_serial",
    "gantt_slides",
]

#: Fill of a division-map cell by status (as on the web page).
STATUS_FILLS = {
    "owned": "9FD3AE",
    "pipeline": "A9CCE3",
    "whitespace": "F7DC6F",
    "competitor": "F1948A",
    "not_eligible": "E5E7E9",
}
#: Fill of a RACI cell by code (as on the web page).
CODE_FILLS = {
    "A/R": "1F6F8B",
    "A": "2E86AB",
    "R": "9FD3AE",
    "C": "F7DC6F",
    "I": "E5E7E9",
}
#: Completeness cells: full, partly filled, empty.
COMPLETENESS_FILLS = ("D8EFD9", "FCF3CF", "F8D7DA")
#: Bar colour of the tasks on the critical path.
CRITICAL_FILL = "C0392B"
#: Tasks per Gantt slide.
GANTT_TASKS = 20
#: Beyond this many tasks the Gantt slides show the critical path only.
GANTT_MAX_TASKS = 100
#: Products per division-grid slide.
GRID_PRODUCTS = 6
_EPOCH = date(1899, 12, 30)


def excel_serial(day: date) -> int:
    """The spreadsheet serial number of ``day`` (what a date axis plots)."""
    return (day - _EPOCH).days


def _fill(cell: Any, hex_colour: str) -> None:
    cell.fill.solid()
    cell.fill.fore_color.rgb = rgb(hex_colour)


def _pct(value: object) -> str:
    return "" if value is None else f"{float(str(value)) * 100:.0f} %"


def _plan_name(result: AnalysisResult) -> str:
    account = result.parameters.get("account")
    return f"account {account}" if account else "the programme"


@slide_builder("plans")
def plan_slides(deck: Deck, result: AnalysisResult, analysis: Analysis) -> None:
    """Sections with completeness (coloured) and staleness; objectives with their
    targets, actuals and flags."""
    s = result.summary
    rows = [
        [
            str(r["section"]).replace("_", " "),
            "data" if r["source"] == "data" else f"{r['filled']} / {r['fields']}",
            _pct(r["completeness"]),
            cell_text("reviewed_on", r["reviewed_on"]),
            "stale" if r["stale"] else "",
        ]
        for r in result.rows
    ]
    stale = ", ".join(map(str, s["stale_sections"])) or "none"  # type: ignore[call-overload]
    slides = deck.table(
        f"{str(s['plan']).capitalize()}: {_pct(s['completeness'])} complete",
        f"How to read: one row per section of {_plan_name(result)}'s "
        f"{s['plan']}; fields filled over fields (data: filled from other sheets), "
        f"completeness (green full, yellow partial, red empty), last review. "
        f"The numbers: {s['complete_sections']} of {s['sections']} sections "
        f"complete; stale: {stale}.",
        ["section", "filled", "completeness", "reviewed", "stale"],
        rows,
    )
    for n, slide in enumerate(slides):
        table = next(sh for sh in slide.shapes if sh.has_table).table
        for i, r in enumerate(result.rows[n * ROWS_PER_SLIDE :][:ROWS_PER_SLIDE], 1):
            share = float(str(r["completeness"]))
            colour = COMPLETENESS_FILLS[0 if share >= 1 else 1 if share > 0 else 2]
            _fill(table.cell(i, 2), colour)
    objectives = result.tables.get("objectives", [])
    if objectives:
        deck.table(
            f"{str(s['plan']).capitalize()}: objectives",
            "How to read: each objective with its metric, target, the actual from the "
            "data where kam computes it, due date, status and flags (a missing "
            "metric or date). Flagged: "
            + (", ".join(map(str, s["flagged_objectives"])) or "none")  # type: ignore[call-overload]
            + ".",
            ["objective", "metric", "target", "actual", "due", "status", "flags"],
            [
                [
                    str(o.get("objective") or o["objective_id"]),
                    str(o.get("metric") or ""),
                    cell_text("target", o.get("target")),
                    cell_text("value", o.get("actual")),
                    cell_text("due", o.get("due")),
                    str(o.get("status") or "").replace("_", " "),
                    ", ".join(map(str, o.get("flags") or [])),  # type: ignore[call-overload]
                ]
                for o in objectives
            ],
        )


def _gantt_chart(
    slide: Any, rows: Sequence[dict[str, Any]], deck: Deck, start: date
) -> Any:
    """A stacked bar chart: an invisible bar to each task's start, then a bar as
    long as the task (calendar days), red on the critical path."""
    data = CategoryChartData(number_format="d mmm yy")
    data.categories = [
        safe_text(
            ("◆ " if r["milestone"] else "") + f"{r['task_id']} {r['name'] or ''}"
        )
        for r in rows
    ]
    data.add_series("start", [excel_serial(r["early_start"]) for r in rows])
    data.add_series(
        "duration",
        [
            (r["early_finish"] - r["early_start"]).days + 1 - r["milestone"]
            for r in rows
        ],
    )
    x, y, cx, cy = BODY
    chart = slide.shapes.add_chart(XL_CHART_TYPE.BAR_STACKED, x, y, cx, cy, data).chart
    chart.has_legend = False
    chart.font.name = deck.theme.font
    chart.font.size = Pt(9)
    base, bars = chart.plots[0].series
    base.format.fill.background()
    base.format.line.fill.background()
    bars.format.fill.solid()
    bars.format.fill.fore_color.rgb = deck.theme.rgb("primary")
    for i, r in enumerate(rows):
        if r["critical"]:
            point = bars.points[i].format.fill
            point.solid()
            point.fore_color.rgb = rgb(CRITICAL_FILL)
    chart.plots[0].gap_width = 40
    category = chart.category_axis
    category.reverse_order = True
    value = chart.value_axis
    value.minimum_scale = excel_serial(start)
    value.has_major_gridlines = True
    value.tick_labels.number_format = "d mmm yy"
    value.tick_labels.number_format_is_linked = False
    return chart


@slide_builder("timeline")
def gantt_slides(deck: Deck, result: AnalysisResult, analysis: Analysis) -> None:
    """The Gantt chart (:data:`GANTT_TASKS` tasks per slide), critical tasks in red
    (beyond :data:`GANTT_MAX_TASKS` tasks, the critical tasks only), then the late
    tasks."""
    s = result.summary
    rows = result.rows
    start = s["project_start"]
    assert isinstance(start, date)
    shown = rows
    scope = ""
    if len(rows) > GANTT_MAX_TASKS:
        # A deck of a hundred Gantt slides is read by no one: the critical path.
        shown = [r for r in rows if r["critical"]]
        scope = (
            f" Only the {len(shown)} critical tasks of {len(rows)} are drawn; the "
            "timeline page and the results workbook hold every task."
        )
    chunks = [shown[i : i + GANTT_TASKS] for i in range(0, len(shown), GANTT_TASKS)]
    critical = ", ".join(map(str, s["critical_path"]))  # type: ignore[call-overload]
    for n, chunk in enumerate(chunks, 1):
        suffix = f" ({n}/{len(chunks)})" if len(chunks) > 1 else ""
        slide = deck.slide(
            f"Timeline: {s['project_start']} to {s['project_finish']}{suffix}",
            "How to read: one bar per task from its earliest start to its earliest "
            "finish, in calendar days; red bars are on the critical path, ◆ marks a "
            f"milestone. The numbers: {s['tasks']} tasks over {s['working_days']} "
            f"working days; critical path {critical}.{scope}",
        )
        _gantt_chart(slide, chunk, deck, start)
    late = [r for r in rows if isinstance(r["slip_days"], int) and r["slip_days"] > 0]
    if late:
        deck.table(
            "Timeline: tasks late against the baseline",
            f"Tasks whose forecast finish lies after their baseline finish, at "
            f"{result.parameters.get('as_of')}; slip in working days.",
            ["task", "name", "baseline", "forecast", "slip", "float"],
            [
                [
                    str(r["task_id"]),
                    str(r["name"] or ""),
                    cell_text("due", r["baseline_finish"]),
                    cell_text("due", r["forecast_finish"]),
                    f"+{r['slip_days']}",
                    str(r["total_float"]),
                ]
                for r in late
            ],
        )


def _money(value: object) -> str:
    return f"{float(str(value)) / 1000:,.0f}k"


@slide_builder("division_map")
def division_slides(deck: Deck, result: AnalysisResult, analysis: Analysis) -> None:
    """The unit × product grid as a coloured table (current / potential in
    thousands), then the top gaps."""
    s = result.summary
    products = [str(p["product"]) for p in result.tables["products"]]
    cells = {(str(r["unit_id"]), str(r["product"])): r for r in result.rows}
    units = result.tables["units"]
    for p0 in range(0, len(products), GRID_PRODUCTS):
        shown = products[p0 : p0 + GRID_PRODUCTS]
        for u0 in range(0, len(units), ROWS_PER_SLIDE):
            chunk = units[u0 : u0 + ROWS_PER_SLIDE]
            slide = deck.slide(
                f"Division map: {_pct(s['penetration'])} penetration, "
                f"{_pct(s['share_of_wallet'])} share of wallet",
                "How to read: rows are the customer's units, columns our products; "
                "each cell shows current / potential revenue in thousands, coloured "
                "by status (green owned, blue pipeline, yellow whitespace, red "
                f"competitor, grey not eligible). The numbers: {s['owned']} of "
                f"{s['eligible']} eligible cells owned; whitespace "
                f"{cell_text('value', s['whitespace_value'])}.",
            )
            table = deck.add_table(
                slide,
                ["unit", *shown],
                [
                    [
                        "  " * int(str(u["depth"]))
                        + str(u["unit_name"] or u["unit_id"]),
                        *(_cell(cells.get((str(u["unit_id"]), p))) for p in shown),
                    ]
                    for u in chunk
                ],
            )
            for i, u in enumerate(chunk, 1):
                for j, p in enumerate(shown, 1):
                    c = cells.get((str(u["unit_id"]), p))
                    if c is not None:
                        _fill(
                            table.cell(i, j),
                            STATUS_FILLS.get(str(c["status"]), "FFFFFF"),
                        )
    names = {str(u["unit_id"]): u["unit_name"] for u in units}
    gaps = result.tables["gaps"]
    if gaps:
        deck.table(
            "Division map: gaps to pursue first",
            "Whitespace and competitor cells ranked by whitespace value × "
            "propensity (the share of comparable units that own the product).",
            ["rank", "unit", "product", "status", "whitespace", "propensity"],
            top_rows(
                [
                    [
                        str(g["rank"]),
                        str(names.get(str(g["unit_id"])) or g["unit_id"]),
                        str(g["product"]),
                        str(g["status"]),
                        cell_text("value", g["whitespace_value"]),
                        _pct(g["propensity"]),
                    ]
                    for g in gaps
                ],
                lambda n: ["", f"… {n} more gaps", "", "", "", ""],
            ),
        )


def _cell(c: dict[str, object] | None) -> str:
    if c is None:
        return ""
    if c["status"] == "not_eligible":
        return "n/a"
    return f"{_money(c['current_revenue'])} / {_money(c['potential_revenue'])}"


@slide_builder("responsibilities")
def raci_slides(deck: Deck, result: AnalysisResult, analysis: Analysis) -> None:
    """The RACI matrix coloured by code, with each activity's problems on its row;
    then every problem and the workload per role."""
    s = result.summary
    roles = [str(r["role"]) for r in result.rows]
    codes: dict[str, dict[str, str]] = {}
    for m in result.tables["matrix"]:
        codes.setdefault(str(m["activity"]), {})[str(m["role"])] = str(m["code"])
    issues = result.tables["issues"]
    problems: dict[str, list[str]] = {}
    for issue in issues:
        if issue["activity"]:
            key = str(issue["activity"])
            problems.setdefault(key, []).append(str(issue["rule"]))
    activities = sorted(set(codes) | set(problems))
    verdict = "valid" if s["valid"] else f"{s['errors']} error(s)"
    slides = deck.table(
        f"RACI of {_plan_name(result)}: {verdict}",
        "How to read: rows are activities, columns roles; R responsible, A "
        "accountable (exactly one per activity), C consulted, I informed. The last "
        f"column names the rules an activity breaks. The numbers: {s['activities']} "
        f"activities, {s['errors']} errors, {s['warnings']} warnings.",
        ["activity", *roles, "problems"],
        [
            [
                a,
                *(codes.get(a, {}).get(r, "") for r in roles),
                ", ".join(problems.get(a, [])),
            ]
            for a in activities
        ],
    )
    for n, slide in enumerate(slides):
        table = next(sh for sh in slide.shapes if sh.has_table).table
        for i, a in enumerate(activities[n * ROWS_PER_SLIDE :][:ROWS_PER_SLIDE], 1):
            for j, role in enumerate(roles, 1):
                code = codes.get(a, {}).get(role)
                if code in CODE_FILLS:
                    _fill(table.cell(i, j), CODE_FILLS[code])
            if any(x["activity"] == a and x["severity"] == "error" for x in issues):
                _fill(table.cell(i, len(roles) + 1), "F8D7DA")
    if issues:
        deck.table(
            "RACI: problems",
            "Every finding of the RACI rules, errors first.",
            ["severity", "rule", "activity", "role", "message"],
            [
                [
                    str(i["severity"]),
                    str(i["rule"]),
                    str(i["activity"] or ""),
                    str(i["role"] or ""),
                    str(i["message"]),
                ]
                for i in issues
            ],
        )
    deck.table(
        "RACI: workload per role",
        "Assignments per role; load counts R and A as 1, C as 0.5, I as 0.",
        ["role", "R", "A", "C", "I", "A share", "load"],
        [
            [
                str(r["role"]),
                str(r["r"]),
                str(r["a"]),
                str(r["c"]),
                str(r["i"]),
                _pct(r["a_share"]),
                f"{float(str(r['load'])):g}",
            ]
            for r in result.rows
        ],
    )
