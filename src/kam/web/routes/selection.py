"""The selection pages: the scoring matrix and the profit matrix.

Parameters live in the URL. On the scoring page the criterion weights are fields of
the form (``w.<criterion_id>``): a changed weight re-runs the analysis over a copy
of the Criteria table with that weight (what-if) and saves nothing. The scores shown
per criterion are those of the accounts in the table's columns, aggregated over
their raters the way the analysis does (:func:`kam.analysis.scores.criterion_scores`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

import ibis
import ibis.expr.types as ir
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from kam.analysis.criteria import SECTIONS, read_criteria
from kam.analysis.registry import get, run
from kam.analysis.result import AnalysisResult
from kam.analysis.scores import criterion_scores, decimals
from kam.errors import InputError
from kam.web import charts, selection_charts
from kam.web.deps import Readable, User, state
from kam.web.routes.params import analysis_params, row_limit
from kam.web.templating import page

__all__ = ["WEIGHT_PREFIX", "router"]

router = APIRouter(prefix="/tools")

#: Query keys ``w.<criterion_id>`` hold what-if criterion weights.
WEIGHT_PREFIX = "w."
#: Accounts shown as columns of the criteria × accounts tables unless ``cols=``.
DEFAULT_COLUMNS = 8


def _weights(request: Request) -> dict[str, Decimal]:
    """The what-if criterion weights in the query (blank ones ignored)."""
    out: dict[str, Decimal] = {}
    for key, value in request.query_params.items():
        if not key.startswith(WEIGHT_PREFIX) or not value.strip():
            continue
        cid = key[len(WEIGHT_PREFIX) :]
        try:
            w = Decimal(value.strip())
        except InvalidOperation as exc:
            raise InputError(
                f"weight of criterion {cid}: {value!r} is not a number"
            ) from exc
        if not w.is_finite():
            raise InputError(f"weight of criterion {cid}: {value!r} is not a number")
        out[cid] = w
    return out


def _criteria_with(criteria: ir.Table, weights: Mapping[str, Decimal]) -> ir.Table:
    """A copy of the Criteria table with ``weights`` replacing the given ones."""
    data = criteria.select("criterion_id", "section", "name", "weight").to_pyarrow()
    rows = data.to_pylist()
    known = {str(r["criterion_id"]) for r in rows}
    unknown = sorted(set(weights) - known)
    if unknown:
        raise InputError(
            "what-if weights name criteria not on the Criteria sheet: "
            + ", ".join(unknown)
        )
    for r in rows:
        cid = str(r["criterion_id"])
        if cid in weights:
            r["weight"] = float(weights[cid])
    schema = {"criterion_id": "string", "section": "string", "name": "string"}
    return ibis.memtable(rows, schema={**schema, "weight": "float64"})


def _scoring(
    request: Request, readable: frozenset[str] | None
) -> tuple[AnalysisResult | None, dict[str, Any], dict[str, Decimal], str | None]:
    """The result (what-if when weights are given), the form values, the what-if
    weights and the refusal message (if any)."""
    params = {
        k: v
        for k, v in analysis_params(request, "scoring").items()
        if not k.startswith(WEIGHT_PREFIX) and k != "cols"
    }
    st = state(request)
    values: dict[str, Any] = {p.name: "" for p in get("scoring").parameters}
    try:
        weights = _weights(request)
        if not weights:
            result = st.engine.run("scoring", params, accounts=readable)
        else:
            with st.lock:
                tables = st.engine.analysis_tables("scoring", accounts=readable)
                tables["criteria"] = _criteria_with(tables["criteria"], weights)
                result = run("scoring", tables, params, defaults=st.engine.defaults())
    except InputError as exc:
        return None, {**values, **params}, _weights_quietly(request), str(exc)
    shown = dict(result.parameters)
    cutoffs = shown.get("cutoffs")
    if isinstance(cutoffs, list | tuple):
        shown["cutoffs"] = ",".join(str(c) for c in cutoffs)
    return result, shown, weights, None


def _weights_quietly(request: Request) -> dict[str, Decimal]:
    try:
        return _weights(request)
    except InputError:
        return {}


def _columns(request: Request) -> int:
    text = request.query_params.get("cols", "").strip()
    if not text:
        return DEFAULT_COLUMNS
    if not text.isdigit() or not 1 <= int(text) <= 50:
        raise InputError(f"cols={text!r}: expected a whole number from 1 to 50")
    return int(text)


def _section_tables(
    request: Request,
    readable: frozenset[str] | None,
    result: AnalysisResult,
    weights: Mapping[str, Decimal],
    accounts: Sequence[Mapping[str, Any]],
) -> list[dict[str, Any]]:
    """Per section with criteria: its criteria (id, name, weight, score per shown
    account) and the weighted average of each shown account (its section score)."""
    st = state(request)
    ids = [str(a["account_id"]) for a in accounts]
    with st.lock:
        tables = st.engine.analysis_tables("scoring", accounts=readable)
        crit_t = tables["criteria"]
        if weights:
            crit_t = _criteria_with(crit_t, weights)
        crits = read_criteria(crit_t)
        scores = tables["scores"]
        per = criterion_scores(
            scores.filter(scores.account_id.isin(ids)),
            crits,
            aggregate=str(result.parameters.get("aggregate_raters", "mean")),
            disagreement=float(str(result.parameters.get("disagreement", 3.0))),
        )
        got = per.select("account_id", "criterion_id", "x", "flag").to_pyarrow()
    xs = decimals(got.column("x").to_pylist())
    cells: dict[tuple[str, str], tuple[Decimal | None, bool]] = {}
    for a, c, x, f in zip(
        got.column("account_id").to_pylist(),
        got.column("criterion_id").to_pylist(),
        xs,
        got.column("flag").to_pylist(),
        strict=True,
    ):
        cells[(str(a), str(c))] = (x, bool(f))
    out: list[dict[str, Any]] = []
    for s in SECTIONS:
        members = [c for c in crits if c.section == s]
        if not members:
            continue
        out.append(
            {
                "section": s,
                "criteria": [
                    {
                        "criterion_id": c.criterion_id,
                        "name": c.name,
                        "weight": c.weight,
                        "changed": c.criterion_id in weights,
                        "scores": [
                            cells.get((a, c.criterion_id), (None, False)) for a in ids
                        ],
                    }
                    for c in members
                ],
                "total": sum((c.weight for c in members), Decimal(0)),
                "averages": [a.get(s) for a in accounts],
            }
        )
    return out


def _weight_fields(
    request: Request, readable: frozenset[str] | None
) -> list[dict[str, Any]]:
    """The criteria by section as on the Criteria sheet, without scores: the weight
    fields shown again when a what-if run is refused."""
    st = state(request)
    with st.lock:
        crit_t = st.engine.analysis_tables("scoring", accounts=readable)["criteria"]
        data = crit_t.select("criterion_id", "section", "name", "weight").to_pyarrow()
    found = sorted(data.to_pylist(), key=lambda r: str(r["criterion_id"]))
    out: list[dict[str, Any]] = []
    for s in SECTIONS:
        members = [r for r in found if r["section"] == s]
        if members:
            out.append(
                {
                    "section": s,
                    "criteria": [
                        {
                            "criterion_id": str(r["criterion_id"]),
                            "name": str(r["name"]),
                            "weight": Decimal(str(r["weight"])),
                            "changed": False,
                            "scores": [],
                        }
                        for r in members
                    ],
                    "total": None,
                    "averages": [],
                }
            )
    return out


@router.get("/scoring", response_class=HTMLResponse, include_in_schema=False)
def scoring_page(request: Request, user: User, readable: Readable) -> HTMLResponse:
    """The criteria × accounts tables, the ranking, the harmony × growth bubbles and
    rank stability; criterion weights editable for a what-if run."""
    if readable is not None and not readable:
        return _nothing_readable(request, "selection/scoring.html", "scoring")
    result, values, weights, error = _scoring(request, readable)
    context: dict[str, Any] = {
        "analysis": get("scoring"),
        "result": result,
        "values": values,
        "weights": {k: str(v) for k, v in weights.items()},
        "what_if": bool(weights),
        "error": error,
    }
    if result is None:
        context["columns"] = []
        context["sections"] = _weight_fields(request, readable)
    else:
        rows = list(result.rows)
        top = rows[: _columns(request)]
        context["columns"] = top
        context["sections"] = _section_tables(request, readable, result, weights, top)
        line = float(str(result.parameters.get("quadrant_line", 5.5)))
        context["bubble_chart"] = charts.cached_json(
            result, "bubbles", lambda: selection_charts.scoring_bubbles(rows, line=line)
        )
        if result.parameters.get("stability"):
            context["stability_chart"] = charts.cached_json(
                result, "stability", lambda: selection_charts.rank_stability(rows)
            )
        context.update(_limited(request, rows))
        context["max_bubbles"] = selection_charts.MAX_BUBBLES
        context["base_url"] = str(
            request.url.remove_query_params(
                [k for k in request.query_params if k.startswith(WEIGHT_PREFIX)]
            )
        )
    return page(
        request, "selection/scoring.html", context, status=400 if error else 200
    )


def _limited(request: Request, rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    limit = row_limit(request)
    shown = rows if limit is None else rows[:limit]
    more = request.url.include_query_params(rows="all")
    return {"shown": shown, "total_rows": len(rows), "all_url": str(more)}


@router.get("/profit", response_class=HTMLResponse, include_in_schema=False)
def profit_page(request: Request, user: User, readable: Readable) -> HTMLResponse:
    """The Shapiro quadrants, the whale curve and the customer × product grid."""
    if readable is not None and not readable:
        return _nothing_readable(request, "selection/profit.html", "profit")
    params = analysis_params(request, "profit")
    values: dict[str, Any] = {p.name: "" for p in get("profit").parameters}
    try:
        result: AnalysisResult | None = state(request).engine.run(
            "profit", params, accounts=readable
        )
        error = None
    except InputError as exc:
        result, error = None, str(exc)
    context: dict[str, Any] = {
        "analysis": get("profit"),
        "result": result,
        "values": {**values, **params}
        if result is None
        else {
            **values,
            **{k: v for k, v in result.parameters.items() if v is not None},
        },
        "error": error,
    }
    if result is not None:
        rows = list(result.rows)
        summary = result.summary
        context["quadrant_chart"] = charts.cached_json(
            result,
            "profit-quadrants",
            lambda: selection_charts.profit_quadrants(
                rows,
                npi_cutoff=_opt(summary.get("npi_cutoff")),
                cts_cutoff=_opt(summary.get("cts_cutoff")),
            ),
        )
        context["whale_chart"] = charts.cached_json(
            result, "whale", lambda: selection_charts.whale_curve(rows, summary)
        )
        context["max_bubbles"] = selection_charts.MAX_BUBBLES
        grid = list(result.tables.get("grid", []))
        context["grid"] = {
            (str(c["customer_class"]), int(str(c["product_class"]))): c for c in grid
        }
        context.update(_limited(request, rows))
    return page(request, "selection/profit.html", context, status=400 if error else 200)


def _nothing_readable(request: Request, template: str, name: str) -> HTMLResponse:
    """The page without a result for a user who may read no account."""
    context: dict[str, Any] = {
        "analysis": get(name),
        "result": None,
        "values": {p.name: "" for p in get(name).parameters},
        "weights": {},
        "what_if": False,
        "sections": [],
        "columns": [],
        "error": None,
        "nothing": True,
    }
    return page(request, template, context)


def _opt(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) else None
