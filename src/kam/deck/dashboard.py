"""The KA dashboard and retention slides of the portfolio deck (analyses.md §4, §5).

Importing this module registers the builders of ``mrr``, ``mrr_bridge``, ``upsell``,
``satisfaction``, ``at_risk``, ``retention``, ``cohorts`` and ``slipping``
(:mod:`kam.deck.registry`); ``onboarding`` and ``health`` keep the generic table.
The account deck gains a ``risks`` section: the account's risk register.

Each builder opens with a strip of KPI tiles (the analysis' headline numbers) over
a native chart: MRR by plan as stacked columns, the MRR bridge as a waterfall
(stacked columns over an invisible base series), NPS/CSAT and GRR/NRR as lines, the
cohort tables as heat maps (cell fills by value).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pptx.util import Emu, Inches, Pt

from kam.analysis.result import AnalysisResult
from kam.analysis.spec import Analysis
from kam.deck.account import AccountContext, account_section
from kam.deck.charts import add_line_chart, add_stacked_column_chart, safe_text
from kam.deck.layout import BODY, Box, Deck
from kam.deck.registry import parameters_text, slide_builder, top_rows
from kam.deck.theme import Theme, rgb
from kam.render import cell_text

__all__ = [
    "BRIDGE_STEPS",
    "HEAT_HIGH",
    "HEAT_LOW",
    "Waterfall",
    "bridge_waterfall",
    "heat_colour",
]

#: The bridge's bars in order: (movement, +1 up / −1 down / 0 a total).
BRIDGE_STEPS: tuple[tuple[str, int], ...] = (
    ("start", 0),
    ("new", 1),
    ("expansion", 1),
    ("reactivation", 1),
    ("contraction", -1),
    ("churn", -1),
    ("end", 0),
)
#: Months of the bridge's waterfall and table (the last ones of the result).
BRIDGE_MONTHS = 12
#: Heat-map fills run from HEAT_LOW (the table's lowest value) to HEAT_HIGH (its
#: highest); every channel falls, so a darker cell always holds a higher value.
HEAT_LOW = "FFFFFF"
HEAT_HIGH = "1B5E20"
#: Ages (columns) of a cohort heat map.
COHORT_AGES = 13
_UP = "2E7D32"
_DOWN = "C62828"
_PLAN_ROLES = ("primary", "accent", "a", "b", "muted", "c", "text")
_TILES_HEIGHT = Inches(1.1)
_CHART_BOX: Box = (
    BODY[0],
    Emu(BODY[1] + _TILES_HEIGHT + Inches(0.1)),
    BODY[2],
    Emu(BODY[3] - _TILES_HEIGHT - Inches(0.1)),
)


def _dec(value: object) -> Decimal:
    if value is None:
        return Decimal(0)
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _money(value: object) -> str:
    return cell_text("mrr", _dec(value))


def _pct(value: object, *, signed: bool = False) -> str:
    if value is None:
        return "—"
    number = float(str(value)) * 100
    return f"{number:+.1f} %" if signed else f"{number:.1f} %"


# -- KPI tiles -----------------------------------------------------------------


def _tiles(deck: Deck, slide: Any, tiles: Sequence[tuple[str, str]]) -> None:
    """A row of KPI tiles (label over a large value) above the chart area."""
    if not tiles:
        return
    gap = Inches(0.15)
    width = int((BODY[2] - gap * (len(tiles) - 1)) / len(tiles))
    for i, (label, value) in enumerate(tiles):
        x = BODY[0] + i * (width + gap)
        shape = slide.shapes.add_textbox(x, BODY[1], width, _TILES_HEIGHT)
        shape.fill.solid()
        shape.fill.fore_color.rgb = rgb("F2F2F2")
        frame = shape.text_frame
        frame.word_wrap = True
        first = frame.paragraphs[0]
        _run(first, safe_text(label), 11, deck.theme, "muted", bold=False)
        second = frame.add_paragraph()
        _run(second, safe_text(value), 22, deck.theme, "primary", bold=True)


def _run(
    para: Any, text: str, size: int, theme: Theme, role: str, *, bold: bool
) -> None:
    run = para.add_run()
    run.text = text
    run.font.size = Pt(size)
    run.font.name = theme.font
    run.font.bold = bold
    run.font.color.rgb = theme.rgb(role)


# -- MRR -----------------------------------------------------------------------


@slide_builder("mrr")
def mrr_slides(deck: Deck, result: AnalysisResult, analysis: Analysis) -> None:
    """KPI tiles (MRR, ARR, month and year change), MRR by plan as stacked columns,
    then the plans of the month as a table."""
    s = result.summary
    series = result.tables.get("series", [])
    months = list(dict.fromkeys(str(r["month"]) for r in series))
    plans = sorted({str(r["plan"]) for r in series})
    by = {(str(r["month"]), str(r["plan"])): r["mrr"] for r in series}
    slide = deck.slide(
        f"MRR by plan: {s.get('headline', '')}",
        "How to read: the tiles give the MRR and ARR of "
        f"{s.get('month')} and how they moved; each column is a month's MRR stacked "
        f"by plan. The numbers: MRR {_money(s.get('mrr'))}, "
        f"ARR {_money(s.get('arr'))}, "
        f"{_pct(s.get('change_month_pct'), signed=True)} on the month, "
        f"{_pct(s.get('change_year_pct'), signed=True)} on the year.",
    )
    _tiles(
        deck,
        slide,
        [
            (f"MRR {s.get('month')}", _money(s.get("mrr"))),
            ("ARR", _money(s.get("arr"))),
            (
                "change on the month",
                f"{_money(s.get('change_month'))} "
                f"({_pct(s.get('change_month_pct'), signed=True)})",
            ),
            (
                "change on the year",
                f"{_money(s.get('change_year'))} "
                f"({_pct(s.get('change_year_pct'), signed=True)})",
            ),
        ],
    )
    if months:
        chart = add_stacked_column_chart(
            slide.shapes,
            _CHART_BOX,
            months,
            [(p, [float(_dec(by.get((m, p)))) for m in months]) for p in plans],
            theme=deck.theme,
        )
        for i, ser in enumerate(chart.plots[0].series):
            ser.format.fill.solid()
            ser.format.fill.fore_color.rgb = deck.theme.rgb(
                _PLAN_ROLES[i % len(_PLAN_ROLES)]
            )
    rows = [
        [
            str(r["plan"]),
            _money(r["mrr"]),
            _money(r["arr"]),
            _pct(r["mix"]),
            str(r["accounts"]),
            _pct(r["change_month_pct"], signed=True),
            _pct(r["change_year_pct"], signed=True),
        ]
        for r in result.rows
    ]
    deck.table(
        f"MRR by plan in {s.get('month')}",
        "Each plan's MRR, ARR, share of the month's MRR (mix), accounts and change on "
        f"the month and on the year. Parameters: {parameters_text(result)}.",
        ["plan", "MRR", "ARR", "mix", "accounts", "vs month", "vs year"],
        rows,
    )


# -- the bridge as a waterfall ---------------------------------------------------


@dataclass(frozen=True)
class Waterfall:
    """The series of a waterfall drawn as stacked columns: an invisible ``base``
    lifts each movement to where the running total stands."""

    labels: list[str]
    base: list[float]
    total: list[float]
    up: list[float]
    down: list[float]


def bridge_waterfall(rows: Sequence[Mapping[str, object]]) -> Waterfall:
    """The bridge over ``rows`` (consecutive months): the first month's start, the
    movements summed, the last month's end. A rise sits on the running total
    before it; a fall hangs down from it (its base is the total after it)."""
    sums = {
        name: sum((_dec(r[name]) for r in rows), Decimal(0))
        for name, sign in BRIDGE_STEPS
        if sign
    }
    start = _dec(rows[0]["start"]) if rows else Decimal(0)
    end = _dec(rows[-1]["end"]) if rows else Decimal(0)
    labels, base, total, up, down = [], [], [], [], []
    running = start
    for name, sign in BRIDGE_STEPS:
        labels.append(name)
        if sign == 0:
            value = start if name == "start" else end
            base.append(0.0)
            total.append(float(value))
            up.append(0.0)
            down.append(0.0)
        elif sign > 0:
            base.append(float(running))
            total.append(0.0)
            up.append(float(sums[name]))
            down.append(0.0)
            running += sums[name]
        else:
            running -= sums[name]
            base.append(float(running))
            total.append(0.0)
            up.append(0.0)
            down.append(float(sums[name]))
    return Waterfall(labels, base, total, up, down)


def _hide(ser: Any) -> None:
    ser.format.fill.background()
    ser.format.line.fill.background()


def _paint(ser: Any, colour: Any) -> None:
    ser.format.fill.solid()
    ser.format.fill.fore_color.rgb = colour


@slide_builder("mrr_bridge")
def mrr_bridge_slides(deck: Deck, result: AnalysisResult, analysis: Analysis) -> None:
    """The bridge of the last :data:`BRIDGE_MONTHS` months as a waterfall, then
    those months as a table."""
    months = result.rows[-BRIDGE_MONTHS:]
    if not months:
        return
    w = bridge_waterfall(months)
    first, last = str(months[0]["month"]), str(months[-1]["month"])
    s = result.summary
    moves = ", ".join(
        f"{name} {_money(sum((_dec(r[name]) for r in months), Decimal(0)))}"
        for name, sign in BRIDGE_STEPS
        if sign
    )
    slide = deck.slide(
        f"MRR bridge {first} → {last}",
        "How to read: the first and last columns are the MRR before "
        f"{first} and at the end of {last}; green steps add MRR (new, expansion, "
        "reactivation), red steps take it away (contraction, churn). The numbers: "
        f"start {_money(months[0]['start'])}, {moves}, end {_money(months[-1]['end'])}."
        f" {s.get('headline', '')}",
    )
    ins = sum(
        (_dec(r[n]) for r in months for n in ("new", "expansion", "reactivation")),
        Decimal(0),
    )
    outs = sum(
        (_dec(r[n]) for r in months for n in ("contraction", "churn")), Decimal(0)
    )
    _tiles(
        deck,
        slide,
        [
            ("MRR at start", _money(months[0]["start"])),
            ("gained", _money(ins)),
            ("lost", _money(outs)),
            ("MRR at end", _money(months[-1]["end"])),
            ("quick ratio", f"{float(ins / outs):.2f}" if outs else "—"),
        ],
    )
    chart = add_stacked_column_chart(
        slide.shapes,
        _CHART_BOX,
        w.labels,
        [("base", w.base), ("MRR", w.total), ("up", w.up), ("down", w.down)],
        theme=deck.theme,
    )
    chart.has_legend = False
    base, total, up, down = chart.plots[0].series
    _hide(base)
    _paint(total, deck.theme.rgb("primary"))
    _paint(up, rgb(_UP))
    _paint(down, rgb(_DOWN))
    columns = ["month", "start", "new", "expansion", "reactivation"]
    columns += ["contraction", "churn", "end"]
    deck.table(
        f"MRR bridge by month {first} → {last}",
        "Each month: start + new + expansion + reactivation − contraction − churn = "
        f"end. Parameters: {parameters_text(result)}.",
        columns,
        [
            [str(r["month"]), *(_money(r[c]) for c in columns[1:])]
            for r in reversed(months)
        ],
    )


# -- upsell, satisfaction, at-risk ------------------------------------------------


@slide_builder("upsell")
def upsell_slides(deck: Deck, result: AnalysisResult, analysis: Analysis) -> None:
    """Attach rate and premium MRR tiles over the upsell candidates."""
    s = result.summary
    slide = deck.slide(
        f"Premium upsell: {s.get('headline', '')}",
        "How to read: the attach rate is the share of active accounts with premium "
        "MRR; the candidates are A accounts without premium, largest MRR first. "
        f"Parameters: {parameters_text(result)}.",
    )
    _tiles(
        deck,
        slide,
        [
            ("attach rate", _pct(s.get("attach_rate"))),
            (
                "premium accounts",
                f"{s.get('premium_accounts')} of {s.get('active_accounts')}",
            ),
            ("premium MRR", _money(s.get("premium_mrr"))),
            ("candidates' MRR", _money(s.get("candidates_mrr"))),
        ],
    )
    rows = [
        [
            str(r["rank"]),
            str(r["name"] or r["account_id"]),
            str(r["abc_class"]),
            _money(r["mrr"]),
        ]
        for r in result.rows
    ]
    x, y, cx, _ = _CHART_BOX
    deck.add_table(
        slide,
        ["rank", "candidate", "class", "MRR"],
        rows[:10],
        (x, y, cx, Inches(3)),
    )


def _trend_labels(trend: Sequence[Mapping[str, object]], n: str) -> list[str]:
    return [f"{r['period']} (n={r[n]})" for r in trend]


@slide_builder("satisfaction")
def satisfaction_slides(deck: Deck, result: AnalysisResult, analysis: Analysis) -> None:
    """NPS and CSAT tiles with their sample sizes, then their trends as lines
    (each period labelled with its n)."""
    s = result.summary
    trend = result.tables.get("trend", [])
    slide = deck.slide(
        f"Satisfaction: {s.get('headline', '')}",
        "How to read: NPS is % promoters (9–10) − % detractors (0–6) in points; "
        "CSAT the share of 4–5 answers. Each period of the lines shows its number "
        "of answers (n); fewer than "
        f"{result.parameters.get('min_n')} answers is too few to read much into.",
    )
    nps = s.get("nps")
    _tiles(
        deck,
        slide,
        [
            ("NPS", "—" if nps is None else f"{float(str(nps)):+.0f}"),
            ("NPS answers (n)", str(s.get("nps_n"))),
            ("CSAT satisfied", _pct(s.get("csat"))),
            ("CSAT answers (n)", str(s.get("csat_n"))),
        ],
    )
    if not trend:
        return
    x, y, cx, cy = _CHART_BOX
    half = int((cx - Inches(0.2)) / 2)
    nps_chart = add_line_chart(
        slide.shapes,
        (x, y, half, cy),
        _trend_labels(trend, "nps_n"),
        [("NPS", [_float(r["nps"]) for r in trend])],
        theme=deck.theme,
        number_format="0",
    )
    nps_chart.has_title = True
    nps_chart.chart_title.text_frame.text = "NPS (points)"
    csat_chart = add_line_chart(
        slide.shapes,
        (x + half + Inches(0.2), y, half, cy),
        _trend_labels(trend, "csat_n"),
        [("CSAT", [_float(r["csat"]) for r in trend])],
        theme=deck.theme,
        number_format="0%",
    )
    csat_chart.has_title = True
    csat_chart.chart_title.text_frame.text = "CSAT (share of 4–5)"


def _float(value: object) -> float | None:  # blank periods stay gaps
    return None if value is None else float(str(value))


@slide_builder("at_risk")
def at_risk_slides(deck: Deck, result: AnalysisResult, analysis: Analysis) -> None:
    """MRR at risk tiles, then the queue as a table (renewals in the window marked)."""
    s = result.summary
    slide = deck.slide(
        f"At risk: {s.get('headline', '')}",
        "How to read: the queue lists open risks by ABC class, then MRR, then days "
        "in the queue; 'renews' marks renewals inside the window. "
        f"Parameters: {parameters_text(result)}.",
    )
    _tiles(
        deck,
        slide,
        [
            ("MRR at risk", _money(s.get("mrr_at_risk"))),
            ("share of MRR", _pct(s.get("mrr_at_risk_share"))),
            ("open risks", str(s.get("open_risks"))),
            (f"renewals by {s.get('window_until')}", str(s.get("renewals_in_window"))),
        ],
    )
    columns = ["#", "account", "class", "MRR", "level", "reason", "owner", "days"]
    columns.append("renewal")
    rows = [
        [
            str(r["rank"]),
            str(r["name"] or r["account_id"]),
            str(r["abc_class"] or ""),
            _money(r["mrr"]),
            str(r["level"]),
            str(r["reason"]),
            str(r["owner"] or ""),
            str(r["days_in_queue"]),
            cell_text("renewal_date", r["renewal_date"])
            + (" (renews)" if r["renewal_in_window"] else ""),
        ]
        for r in result.rows
    ]
    deck.table(
        "At-risk queue",
        "The open risks in queue order with the account's MRR. "
        f"Parameters: {parameters_text(result)}.",
        columns,
        top_rows(rows, lambda n: ["", f"… {n} more risks", *[""] * 7]),
    )


# -- retention -------------------------------------------------------------------


@slide_builder("retention")
def retention_slides(deck: Deck, result: AnalysisResult, analysis: Analysis) -> None:
    """GRR beside NRR (and logo retention) per period as lines, with tiles."""
    s = result.summary
    periods = [r for r in result.rows if r["grr"] is not None]
    slide = deck.slide(
        f"Retention: {s.get('headline', '')}",
        "How to read: GRR (start − churn − contraction) / start never exceeds "
        "100 %; NRR adds expansion and reactivation. Logo retention (CRR) counts "
        f"accounts. Parameters: {parameters_text(result)}.",
    )
    _tiles(
        deck,
        slide,
        [
            (f"GRR {s.get('period')}", _pct(s.get("grr"))),
            (f"NRR {s.get('period')}", _pct(s.get("nrr"))),
            ("GRR trailing 12 months", _pct(s.get("ttm_grr"))),
            ("NRR trailing 12 months", _pct(s.get("ttm_nrr"))),
            ("logo retention, 12 months", _pct(s.get("ttm_crr"))),
        ],
    )
    if periods:
        add_line_chart(
            slide.shapes,
            _CHART_BOX,
            [str(r["period"]) for r in periods],
            [
                ("GRR", [_float(r["grr"]) for r in periods]),
                ("NRR", [_float(r["nrr"]) for r in periods]),
                ("CRR", [_float(r["crr"]) for r in periods]),
            ],
            theme=deck.theme,
            number_format="0%",
        )
    by_class = result.tables.get("by_class", [])
    by_owner = result.tables.get("by_owner", [])
    rows = [
        [f"class {r['abc_class']}", _pct(r["crr"]), _pct(r["grr"]), _pct(r["nrr"])]
        for r in by_class
    ] + [
        [f"owner {r['owner']}", _pct(r["crr"]), _pct(r["grr"]), _pct(r["nrr"])]
        for r in by_owner
    ]
    if rows:
        deck.table(
            f"Retention by class and owner, {s.get('period')}",
            "Logo, gross and net retention of the last period per ABC class and owner.",
            ["group", "CRR", "GRR", "NRR"],
            rows,
        )


def heat_colour(value: float, low: float, high: float) -> str:
    """The fill of a heat-map cell: :data:`HEAT_LOW` at ``low``, :data:`HEAT_HIGH`
    at ``high``, linear between (each channel monotone), as six hex digits."""
    t = 0.0 if high <= low else min(1.0, max(0.0, (value - low) / (high - low)))
    lo = [int(HEAT_LOW[i : i + 2], 16) for i in (0, 2, 4)]
    hi = [int(HEAT_HIGH[i : i + 2], 16) for i in (0, 2, 4)]
    return "".join(f"{round(a + (b - a) * t):02X}" for a, b in zip(lo, hi, strict=True))


def _heat_table(
    deck: Deck, title: str, notes: str, table: Sequence[Mapping[str, object]]
) -> None:
    ages = [
        f"age_{i}" for i in range(COHORT_AGES) if any(f"age_{i}" in r for r in table)
    ]
    values = [float(str(r[a])) for r in table for a in ages if r.get(a) is not None]
    low, high = (min(values), max(values)) if values else (0.0, 1.0)
    chunks = [table[i : i + 14] for i in range(0, len(table), 14)] or [[]]
    for n, chunk in enumerate(chunks, start=1):
        suffix = f" ({n}/{len(chunks)})" if len(chunks) > 1 else ""
        slide = deck.slide(title + suffix, notes)
        rows = [
            [
                str(r["cohort"]),
                *(_pct(r[a]) if r.get(a) is not None else "" for a in ages),
            ]
            for r in chunk
        ]
        t = deck.add_table(
            slide, ["cohort", *(a.removeprefix("age_") for a in ages)], rows
        )
        for i, r in enumerate(chunk, start=1):
            for j, a in enumerate(ages, start=1):
                value = r.get(a)
                if value is None:
                    continue
                colour = heat_colour(float(str(value)), low, high)
                cell = t.cell(i, j)
                cell.fill.solid()
                cell.fill.fore_color.rgb = rgb(colour)
                if sum(int(colour[k : k + 2], 16) for k in (0, 2, 4)) < 384:
                    for para in cell.text_frame.paragraphs:
                        for run in para.runs:
                            run.font.color.rgb = rgb("FFFFFF")


@slide_builder("cohorts")
def cohorts_slides(deck: Deck, result: AnalysisResult, analysis: Analysis) -> None:
    """The revenue and logo retention tables as heat maps (ages 0–12)."""
    s = result.summary
    metric = result.parameters.get("metric", "mrr")
    for kind, what in (
        ("revenue", f"{metric} as a share of the cohort's first {s.get('grain')}"),
        ("logo", "share of the cohort's accounts still active"),
    ):
        table = result.tables.get(kind, [])
        if not table:
            continue
        _heat_table(
            deck,
            f"Cohorts: {kind} retention",
            f"How to read: one row per cohort (first {s.get('grain')} with a value), "
            f"one column per age; each cell is the {what}. Darker cells hold higher "
            "values (the scale runs from the lowest to the highest cell shown); "
            f"blank cells are past the data. {s.get('headline', '')}.",
            table,
        )


@slide_builder("slipping")
def slipping_slides(deck: Deck, result: AnalysisResult, analysis: Analysis) -> None:
    """The slipping accounts with the reasons."""
    s = result.summary
    rows = [
        [
            str(r["name"] or r["account_id"]),
            str(r["owner"] or ""),
            _money(r["previous"]),
            _money(r["current"]),
            _pct(r["change_pct"], signed=True) if r["change_pct"] is not None else "",
            f"{r['previous_class'] or '–'} → {r['class'] or '–'}",
            str(r["why"]),
        ]
        for r in result.rows
    ]
    deck.table(
        f"Slipping: {s.get('headline', '')}",
        "Accounts whose value fell by at least "
        f"{_pct(result.parameters.get('threshold'))}"
        f" from {s.get('previous_period')} to {s.get('period')}, fell to a lower ABC "
        f"class, or have an open risk. Parameters: {parameters_text(result)}.",
        ["account", "owner", "before", "now", "change", "class", "why"],
        top_rows(rows, lambda n: [f"… {n} more accounts", *[""] * 6]),
    )


@account_section("risks")
def account_risks_slide(deck: Deck, ctx: AccountContext) -> None:
    """The account's risk register: open risks first, then the resolved ones."""
    if "Risks" not in ctx.tables:
        return  # no register in this workspace
    t = ctx.tables["Risks"]
    risks = t.filter(t["account_id"] == ctx.account_id).to_pyarrow().to_pylist()
    risks.sort(key=lambda r: str(r["flagged_on"]), reverse=True)
    risks.sort(key=lambda r: r["resolved_on"] is not None)
    open_ = sum(r["resolved_on"] is None for r in risks)
    deck.table(
        f"{ctx.name}: risks ({open_} open)",
        "How to read: the account's risk register, open risks first (newest "
        "first), then the resolved ones with their resolution date.",
        ["flagged on", "level", "reason", "owner", "resolved on"],
        [
            [
                cell_text("flagged_on", r["flagged_on"]),
                str(r["level"]).replace("_", " "),
                str(r["reason"]),
                str(r["owner"] or ""),
                cell_text("resolved_on", r["resolved_on"]),
            ]
            for r in risks
        ]
        or [["", "", "no risk in the register", "", ""]],
    )
