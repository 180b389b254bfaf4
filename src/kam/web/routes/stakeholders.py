"""The stakeholder map of one account (read-only): org chart, targets and paths.

The page's data part (targets, chart, gaps, stakeholder table) is rendered once per
analysis result and row limit (:func:`kam.web.templating.cached_fragment`): a warm
request costs the result lookup and the page frame, not a 300-box chart. The engine
hands out one result per data version, parameters and readable accounts, so a
fragment is never shown to a user whose scope differs, and an edit or an erasure
(both bump the data version) is seen by the next request.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from kam.access import require_readable
from kam.analysis.orgchart import OrgChart, org_chart
from kam.analysis.result import AnalysisResult
from kam.web.deps import Readable, User, state
from kam.web.routes.params import row_limit
from kam.web.templating import cached_fragment, page

__all__ = ["ATTITUDE_COLOURS", "router"]

router = APIRouter()

#: Fill colour by attitude, −2 (hostile) … +2 (champion).
ATTITUDE_COLOURS = {
    -2: "#c0392b",
    -1: "#f0a35e",
    0: "#d5dbe1",
    1: "#9fd3ae",
    2: "#2e8b57",
}
_DOTTED = {"positive": "#2e8b57", "neutral": "#7b8794", "negative": "#c0392b"}
_REPORTS_TO = "#5b6b7c"
_MARGIN = 24.0
_NAME_CHARS = 22


@dataclass(frozen=True)
class Node:
    """One box of the chart, ready to draw."""

    stakeholder_id: str
    x: float
    y: float
    width: float
    height: float
    fill: str
    ring: float
    name: str
    title: str
    caption: str
    dark: bool
    key_touchpoint: bool
    touchpoints: int
    target_rank: int | None


@dataclass(frozen=True)
class Line:
    """A line of the chart: reports-to (solid elbow) or influence (dotted)."""

    points: str
    colour: str
    dotted: bool
    title: str


def _num(value: float) -> str:
    """A coordinate to a tenth of a pixel, without a trailing ``.0``."""
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _short(text: object, size: int = _NAME_CHARS) -> str:
    value = "" if text is None else str(text)
    return value if len(value) <= size else value[: size - 1] + "…"


def chart_view(
    result: AnalysisResult, chart: OrgChart
) -> tuple[list[Node], list[Line]]:
    """Boxes and lines of the org chart, offset by a margin."""
    boxes = chart.boxes
    keys = {str(t["stakeholder_id"]) for t in result.tables["touchpoints"] if t["key"]}
    counts: dict[str, int] = {}
    for t in result.tables["touchpoints"]:
        sid = str(t["stakeholder_id"])
        counts[sid] = counts.get(sid, 0) + 1
    nodes: list[Node] = []
    lines: list[Line] = []
    for row in result.rows:
        sid = str(row["stakeholder_id"])
        box = boxes[sid]
        attitude = int(row["attitude"])  # type: ignore[call-overload]
        power = int(row["decision_power"])  # type: ignore[call-overload]
        role = str(row["buying_role"] or "").replace("_", " ")
        nodes.append(
            Node(
                sid,
                box.x + _MARGIN,
                box.y + _MARGIN,
                box.width,
                box.height,
                ATTITUDE_COLOURS[attitude],
                # The ring grows with decision power: 1 → 1 px … 5 → 5 px.
                float(power),
                _short(row["name"]),
                _short(row["title"], 24),
                f"P{power} · {attitude:+d}" + (f" · {role}" if role else ""),
                attitude in (-2, 2),
                sid in keys,
                counts.get(sid, 0),
                row["target_rank"],  # type: ignore[arg-type]
            )
        )
        manager = row["reports_to"]
        if manager is not None and str(manager) in boxes:
            top = boxes[str(manager)]
            x1 = top.centre_x + _MARGIN
            y1 = top.y + top.height + _MARGIN
            x2 = box.centre_x + _MARGIN
            y2 = box.y + _MARGIN
            mid = (y1 + y2) / 2
            lines.append(
                Line(
                    " ".join(
                        f"{_num(x)},{_num(y)}"
                        for x, y in ((x1, y1), (x1, mid), (x2, mid), (x2, y2))
                    ),
                    _REPORTS_TO,
                    False,
                    f"{row['name']} reports to {manager}",
                )
            )
    for line in result.tables["influences"]:
        a, b = boxes.get(str(line["from_id"])), boxes.get(str(line["to_id"]))
        if a is None or b is None:
            continue
        ax, ay = a.centre_x + _MARGIN, a.y + a.height / 2 + _MARGIN
        bx, by = b.centre_x + _MARGIN, b.y + b.height / 2 + _MARGIN
        sentiment = str(line["sentiment"])
        lines.append(
            Line(
                f"{_num(ax)},{_num(ay)} {_num(bx)},{_num(by)}",
                _DOTTED.get(sentiment, "#7b8794"),
                True,
                f"{line['from_id']} → {line['to_id']}: {sentiment}, strength "
                f"{line['strength']}",
            )
        )
    return nodes, lines


def _map_context(
    result: AnalysisResult, account_id: str, limit: int | None
) -> dict[str, Any]:
    """What ``stakeholders/_map.html`` draws (computed on a fragment cache miss)."""
    chart = org_chart(
        (str(r["stakeholder_id"]), r["reports_to"], r["organisation"])  # type: ignore[misc]
        for r in result.rows
    )
    nodes, lines = chart_view(result, chart)
    by_target: dict[str, list[dict[str, object]]] = {}
    for p in result.tables["paths"]:
        by_target.setdefault(str(p["target"]), []).append(p)
    return {
        "result": result,
        "nodes": nodes,
        "lines": lines,
        "width": chart.width + 2 * _MARGIN,
        "height": chart.height + 2 * _MARGIN,
        "columns": [
            (c.organisation or result.summary.get("account_name"), c.x + _MARGIN)
            for c in chart.columns
        ],
        "targets": result.tables["targets"],
        "paths": by_target,
        "gaps": result.tables["gaps"],
        "colours": ATTITUDE_COLOURS,
        "reports_colour": _REPORTS_TO,
        "num": _num,
        "shown": result.rows if limit is None else result.rows[:limit],
        "total_rows": len(result.rows),
        # Built from the key's parts only, not from the request's query string:
        # the fragment is shared by every request with the same result and limit.
        "all_url": f"/accounts/{quote(account_id, safe='')}/stakeholders?rows=all",
    }


@router.get(
    "/accounts/{account_id}/stakeholders",
    response_class=HTMLResponse,
    include_in_schema=False,
)
def stakeholders_page(
    request: Request, account_id: str, user: User, readable: Readable
) -> HTMLResponse:
    """The account's org chart, its targets with the recommended paths, the gaps.

    ``rows=N`` or ``rows=all`` sets the lines of the stakeholder table (default
    :data:`kam.web.routes.params.DEFAULT_ROWS`); the chart always shows everyone.
    """
    require_readable(readable, account_id)
    limit = row_limit(request)
    result = state(request).engine.run(
        "stakeholders", {"account": account_id}, accounts=readable
    )
    body = cached_fragment(
        request,
        result,
        # The result is already one per data version and readable accounts; the
        # scope in the key says so again, should a result ever be shared.
        ("map", account_id, limit, readable),
        "stakeholders/_map.html",
        lambda: _map_context(result, account_id, limit),
    )
    context = {"result": result, "account_id": account_id, "body": body}
    return page(request, "stakeholders.html", context)
