"""Plotly figures of the Dashboard and Retention pages.

Each builder takes rows of an analysis result (see docs/analyses.md) and returns a
figure; the pages turn them into JSON once per result with
:func:`kam.web.charts.cached_json`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import plotly.graph_objects as go

__all__ = [
    "BAND_COLOURS",
    "bridge_waterfall",
    "cohort_heatmap",
    "health_bands",
    "mrr_stack",
    "onboarding_funnel",
    "retention_lines",
    "satisfaction_trend",
]

Row = Mapping[str, object]

_LAYOUT: dict[str, object] = {
    "margin": {"l": 60, "r": 60, "t": 30, "b": 60},
    "template": "plotly_white",
    "legend": {"orientation": "h", "y": -0.2},
}
#: Health bands, best first, and their colours.
BAND_COLOURS = {"healthy": "#2e8b57", "watch": "#d9a441", "at_risk": "#c0392b"}


def _num(value: object) -> float | None:
    return None if value is None else float(str(value))


def mrr_stack(series: Sequence[Row]) -> go.Figure:
    """MRR per month stacked by plan (the ``mrr`` result's ``series`` table)."""
    months = list(dict.fromkeys(str(r["month"]) for r in series))
    plans = sorted({str(r["plan"]) for r in series})
    fig = go.Figure()
    for plan in plans:
        values = {str(r["month"]): r["mrr"] for r in series if r["plan"] == plan}
        fig.add_bar(
            x=months, y=[_num(values.get(m, 0)) or 0.0 for m in months], name=plan
        )
    fig.update_layout(**_LAYOUT, barmode="stack", yaxis={"title": "MRR"})
    return fig


def bridge_waterfall(row: Row) -> go.Figure:
    """One month of the ``mrr_bridge``: start, the five movements, end."""
    steps = [
        ("start", "absolute", _num(row["start"])),
        ("new", "relative", _num(row["new"])),
        ("expansion", "relative", _num(row["expansion"])),
        ("reactivation", "relative", _num(row["reactivation"])),
        ("contraction", "relative", -(_num(row["contraction"]) or 0.0)),
        ("churn", "relative", -(_num(row["churn"]) or 0.0)),
        ("end", "total", _num(row["end"])),
    ]
    fig = go.Figure(
        go.Waterfall(
            x=[s[0] for s in steps],
            measure=[s[1] for s in steps],
            y=[s[2] or 0.0 for s in steps],
            text=[f"{s[2] or 0:,.0f}" for s in steps],
            textposition="outside",
            increasing={"marker": {"color": "#2e8b57"}},
            decreasing={"marker": {"color": "#c0392b"}},
            totals={"marker": {"color": "#1f6f8b"}},
            connector={"line": {"color": "#999"}},
        )
    )
    # The movements are small beside the totals: zoom the axis on the levels the
    # bars reach (the start and end bars are cut, as their labels say).
    level, levels = 0.0, []
    for _, measure, value in steps:
        level = (value or 0.0) if measure != "relative" else level + (value or 0.0)
        levels.append(level)
    low, high = min(levels), max(levels)
    pad = max((high - low) * 0.5, abs(high) * 0.002, 1.0)
    yaxis: dict[str, object] = {"title": f"MRR, {row['month']}"}
    if low > 0:
        yaxis["range"] = [max(0.0, low - pad), high + pad]
    fig.update_layout(**_LAYOUT, showlegend=False, yaxis=yaxis)
    return fig


def onboarding_funnel(stages: Sequence[Row]) -> go.Figure:
    """Accounts per onboarding stage (the ``onboarding`` result's ``stages``)."""
    names = [str(r["stage"]).replace("_", " ") for r in stages]
    fig = go.Figure(
        go.Funnel(
            y=names,
            x=[r["accounts"] for r in stages],
            text=[f"{r['accounts']} ({r['overdue']} overdue)" for r in stages],
            textinfo="text",
            marker={"color": "#1f6f8b"},
        )
    )
    fig.update_layout(**_LAYOUT)
    return fig


def satisfaction_trend(trend: Sequence[Row]) -> go.Figure:
    """NPS (left axis, points) and CSAT (right axis, %) per period, with n."""
    periods = [str(r["period"]) for r in trend]
    fig = go.Figure()
    fig.add_scatter(
        x=periods,
        y=[_num(r["nps"]) for r in trend],
        name="NPS",
        mode="lines+markers+text",
        text=[f"n={r['nps_n']}" for r in trend],
        textposition="top center",
        line={"color": "#1f6f8b"},
    )
    fig.add_scatter(
        x=periods,
        y=[None if r["csat"] is None else float(str(r["csat"])) * 100 for r in trend],
        name="CSAT (% satisfied)",
        mode="lines+markers",
        yaxis="y2",
        customdata=[r["csat_n"] for r in trend],
        hovertemplate="%{x}: %{y:.0f} % (n = %{customdata})<extra></extra>",
        line={"color": "#99c24d"},
    )
    fig.update_layout(
        **_LAYOUT,
        yaxis={"title": "NPS", "range": [-100, 100]},
        yaxis2={
            "title": "CSAT (%)",
            "overlaying": "y",
            "side": "right",
            "range": [0, 100],
            "ticksuffix": " %",
        },
    )
    return fig


def health_bands(bands: Sequence[Row]) -> go.Figure:
    """Accounts per health band (the ``health`` result's ``bands``)."""
    counts = {str(r["band"]): r["accounts"] for r in bands}
    names = list(BAND_COLOURS)
    fig = go.Figure(
        go.Bar(
            x=[n.replace("_", " ") for n in names],
            y=[counts.get(n, 0) for n in names],
            marker_color=list(BAND_COLOURS.values()),
            text=[counts.get(n, 0) for n in names],
            textposition="auto",
        )
    )
    fig.update_layout(**_LAYOUT, showlegend=False, yaxis={"title": "accounts"})
    return fig


def retention_lines(rows: Sequence[Row]) -> go.Figure:
    """GRR beside NRR (and CRR) per period, in %; the first period has none."""
    kept = [r for r in rows if r["nrr"] is not None]
    periods = [str(r["period"]) for r in kept]
    fig = go.Figure()
    for column, label, colour in (
        ("grr", "GRR", "#c0392b"),
        ("nrr", "NRR", "#1f6f8b"),
        ("crr", "CRR (logos)", "#999999"),
    ):
        fig.add_scatter(
            x=periods,
            y=[
                None if r[column] is None else float(str(r[column])) * 100 for r in kept
            ],
            name=label,
            mode="lines",
            line={"color": colour, "dash": "dot" if column == "crr" else "solid"},
        )
    fig.update_layout(**_LAYOUT, yaxis={"title": "retention (%)", "ticksuffix": " %"})
    return fig


def cohort_heatmap(table: Sequence[Row], *, kind: str) -> go.Figure:
    """Retention by cohort (rows) and age (columns), in %; blank past the data."""
    ages = sorted(
        {int(k.removeprefix("age_")) for r in table for k in r if k.startswith("age_")}
    )
    cohorts = [str(r["cohort"]) for r in table]
    z = [
        [
            None if r.get(f"age_{a}") is None else float(str(r[f"age_{a}"])) * 100
            for a in ages
        ]
        for r in table
    ]
    fig = go.Figure(
        go.Heatmap(
            x=ages,
            y=cohorts,
            z=z,
            colorscale="Blues" if kind == "logo" else "RdBu",
            zmid=None if kind == "logo" else 100,
            colorbar={"ticksuffix": " %"},
            hovertemplate="cohort %{y}, age %{x}: %{z:.1f} %<extra></extra>",
        )
    )
    fig.update_layout(
        **_LAYOUT,
        xaxis={"title": "age (periods since the first)"},
        yaxis={"title": "cohort", "autorange": "reversed", "type": "category"},
    )
    return fig
