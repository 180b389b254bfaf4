"""Plotly figures of the selection pages: the scoring and the profit matrix.

Each builder takes the rows of an :class:`~kam.analysis.result.AnalysisResult` and
returns a figure; :func:`kam.web.charts.to_json` turns it into page JSON.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import plotly.graph_objects as go

__all__ = [
    "ABC_COLOURS",
    "MAX_BUBBLES",
    "bubble_sizes",
    "profit_quadrants",
    "rank_stability",
    "scoring_bubbles",
    "whale_curve",
]

#: Colour of each ABC class in the harmony × growth matrix ("" = no class).
ABC_COLOURS: dict[str, str] = {
    "A": "#1f6f8b",
    "B": "#99c24d",
    "C": "#d9a441",
    "": "#9aa5ad",
}
_PROFIT_COLOURS = {"profit ≥ 0": "#2e8b57", "loss": "#c0392b"}
_LAYOUT: dict[str, object] = {
    "margin": {"l": 60, "r": 30, "t": 30, "b": 60},
    "template": "plotly_white",
    "legend": {"orientation": "h", "y": -0.2},
}
#: Largest bubble diameter in pixels.
_MAX_BUBBLE = 40.0
#: Accounts drawn at most in a bubble chart (the first rows: the best ranked or the
#: most profitable); a page of 100k bubbles would weigh megabytes.
MAX_BUBBLES = 2000
#: Points of the whale curve at most (beyond, it is sampled).
_MAX_POINTS = 1000
#: Accounts drawn at most in the rank-stability chart (the best ranked).
MAX_STABILITY = 60


def _float(value: object) -> float | None:
    if isinstance(value, Decimal | int | float) and not isinstance(value, bool):
        return float(value)
    return None


def bubble_sizes(values: Sequence[object]) -> list[float]:
    """Marker diameters: area proportional to the value, the largest
    ``_MAX_BUBBLE`` pixels; blank or negative values get the smallest bubble."""
    nums = [max(_float(v) or 0.0, 0.0) for v in values]
    top = max(nums, default=0.0)
    if top <= 0:
        return [8.0 for _ in nums]
    return [max(4.0, _MAX_BUBBLE * (v / top) ** 0.5) for v in nums]


def _lines(x: float | None, y: float | None) -> list[dict[str, object]]:
    """Dashed quadrant lines at ``x`` (vertical) and ``y`` (horizontal)."""
    out: list[dict[str, object]] = []
    dash = {"dash": "dash", "color": "#5b6b75", "width": 1}
    if x is not None:
        out.append(
            {"type": "line", "xref": "x", "yref": "paper", "x0": x, "x1": x}
            | {"y0": 0, "y1": 1, "line": dash}
        )
    if y is not None:
        out.append(
            {"type": "line", "xref": "paper", "yref": "y", "y0": y, "y1": y}
            | {"x0": 0, "x1": 1, "line": dash}
        )
    return out


def scoring_bubbles(
    rows: Iterable[Mapping[str, Any]], *, line: float = 5.5
) -> go.Figure:
    """Harmony (x) × growth (y), one trace per ABC class, bubble area ∝ revenue,
    quadrant lines at ``line``. Accounts without both section scores are left out."""
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for r in list(rows)[:MAX_BUBBLES]:
        if _float(r.get("harmony")) is None or _float(r.get("growth")) is None:
            continue
        groups.setdefault(str(r.get("abc_class") or ""), []).append(r)
    every = [r for g in groups.values() for r in g]
    sizes = dict(
        zip(
            (id(r) for r in every),
            bubble_sizes([r.get("revenue") for r in every]),
            strict=True,
        )
    )
    fig = go.Figure()
    for cls in sorted(groups, key=lambda c: (c == "", c)):
        members = groups[cls]
        fig.add_trace(
            go.Scatter(
                x=[_float(r["harmony"]) for r in members],
                y=[_float(r["growth"]) for r in members],
                mode="markers",
                name=f"class {cls}" if cls else "no class",
                text=[str(r["account_id"]) for r in members],
                customdata=[str(r.get("revenue") or "") for r in members],
                hovertemplate="%{text}<br>harmony %{x}<br>growth %{y}"
                "<br>revenue %{customdata}<extra></extra>",
                marker={
                    "size": [sizes[id(r)] for r in members],
                    "color": ABC_COLOURS.get(cls, ABC_COLOURS[""]),
                    "opacity": 0.7,
                    "line": {"width": 1, "color": "#ffffff"},
                },
            )
        )
    fig.update_layout(
        **_LAYOUT,
        shapes=_lines(line, line),
        xaxis={"title": {"text": "harmony"}, "range": [0.5, 10.5]},
        yaxis={"title": {"text": "growth"}, "range": [0.5, 10.5]},
    )
    return fig


def rank_stability(rows: Sequence[Mapping[str, Any]]) -> go.Figure:
    """Per account (best ranked first, at most :data:`MAX_STABILITY`): the base rank
    as a marker and the range of ranks over the perturbations as an error bar."""
    shown = [r for r in rows if r.get("rank_min") is not None][:MAX_STABILITY]
    fig = go.Figure(
        go.Scatter(
            x=[str(r["account_id"]) for r in shown],
            y=[r["rank"] for r in shown],
            mode="markers",
            name="rank",
            customdata=[
                [r["rank_min"], r["rank_max"], r.get("rank_change_share") or 0.0]
                for r in shown
            ],
            hovertemplate="%{x}: rank %{y}, %{customdata[0]}–%{customdata[1]}"
            "<br>changes in %{customdata[2]:.0%} of perturbations<extra></extra>",
            error_y={
                "type": "data",
                "symmetric": False,
                "array": [r["rank_max"] - r["rank"] for r in shown],
                "arrayminus": [r["rank"] - r["rank_min"] for r in shown],
            },
            marker={"color": "#1f6f8b"},
        )
    )
    fig.update_layout(
        **_LAYOUT,
        xaxis={"title": {"text": "account"}, "type": "category"},
        yaxis={"title": {"text": "rank"}, "autorange": "reversed"},
    )
    return fig


def profit_quadrants(
    rows: Iterable[Mapping[str, Any]],
    *,
    npi_cutoff: float | None,
    cts_cutoff: float | None,
) -> go.Figure:
    """CTS % (x) × NPI (y), bubble area ∝ net revenue, one trace per profit sign,
    quadrant lines at the cut-offs."""
    usable = [
        r
        for r in list(rows)[:MAX_BUBBLES]
        if _float(r.get("npi")) is not None and _float(r.get("cts_share")) is not None
    ]
    sizes = bubble_sizes([r.get("net_revenue") for r in usable])
    groups: dict[str, list[tuple[Mapping[str, Any], float]]] = {}
    for r, size in zip(usable, sizes, strict=True):
        sign = "loss" if (_float(r.get("profit")) or 0.0) < 0 else "profit ≥ 0"
        groups.setdefault(sign, []).append((r, size))
    fig = go.Figure()
    for sign in ("profit ≥ 0", "loss"):
        members = groups.get(sign, [])
        if not members:
            continue
        fig.add_trace(
            go.Scatter(
                x=[_float(r["cts_share"]) for r, _ in members],
                y=[_float(r["npi"]) for r, _ in members],
                mode="markers",
                name=sign,
                text=[str(r["account_id"]) for r, _ in members],
                customdata=[
                    [str(r.get("profit")), str(r.get("quadrant") or "")]
                    for r, _ in members
                ],
                hovertemplate="%{text} (%{customdata[1]})<br>CTS %{x:.1%}"
                "<br>NPI %{y:.3f}<br>profit %{customdata[0]}<extra></extra>",
                marker={
                    "size": [s for _, s in members],
                    "color": _PROFIT_COLOURS[sign],
                    "opacity": 0.7,
                    "line": {"width": 1, "color": "#ffffff"},
                },
            )
        )
    fig.update_layout(
        **_LAYOUT,
        shapes=_lines(cts_cutoff, npi_cutoff),
        xaxis={"title": {"text": "cost to serve / net revenue"}, "tickformat": ".0%"},
        yaxis={"title": {"text": "net price index"}},
    )
    return fig


def whale_curve(
    rows: Sequence[Mapping[str, Any]], summary: Mapping[str, Any]
) -> go.Figure:
    """Cumulative profit share against account share (most profitable first), a
    dotted line at 100 % and a marker at the peak."""
    points = [
        (float(r["account_share"]), float(r["cum_profit_share"]))
        for r in rows
        if r.get("cum_profit_share") is not None and r.get("account_share") is not None
    ]
    if len(points) > _MAX_POINTS:
        # Every k-th point, the last and the highest: the shape and the peak stay.
        step = len(points) // _MAX_POINTS
        top = max(range(len(points)), key=lambda i: points[i][1])
        keep = sorted({*range(0, len(points), step), len(points) - 1, top})
        points = [points[i] for i in keep]
    fig = go.Figure(
        go.Scatter(
            x=[0.0] + [p[0] for p in points],
            y=[0.0] + [p[1] for p in points],
            mode="lines",
            name="cumulative profit",
            line={"color": "#1f6f8b"},
        )
    )
    peak, share = summary.get("peak_share"), summary.get("peak_account_share")
    if isinstance(peak, float) and isinstance(share, float):
        fig.add_trace(
            go.Scatter(
                x=[share],
                y=[peak],
                mode="markers",
                name="peak",
                marker={"color": "#c0392b", "size": 10},
            )
        )
    fig.update_layout(
        **_LAYOUT,
        shapes=[
            {"type": "line", "xref": "paper", "yref": "y", "x0": 0, "x1": 1}
            | {"y0": 1, "y1": 1, "line": {"dash": "dot", "color": "#5b6b75"}}
        ],
        xaxis={"title": {"text": "share of accounts"}, "tickformat": ".0%"},
        yaxis={"title": {"text": "cumulative share of profit"}, "tickformat": ".0%"},
    )
    return fig
