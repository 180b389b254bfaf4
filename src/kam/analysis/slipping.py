"""Slipping accounts: value down, class down, or an open risk (analyses.md §5).

An account is listed when, between the prior period and the chosen one (MRR at each
period's closing month, or revenue summed over the period):

- its value fell by at least ``threshold`` (default 20 %; a fall to zero is 100 %);
- its ABC class fell (A → B, A → C, B → C; classes per period as in
  :func:`kam.analysis.abc_analysis.classified`, with the ``cutoffs``); or
- it has an open risk in the Risks register (``resolved_on`` blank), when that sheet
  exists.

Rows are ordered by the change in value (the largest loss first), then account_id.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

import ibis
import ibis.expr.types as ir

from kam.analysis.abc_analysis import check_cutoffs, classified
from kam.analysis.class_tables import month_classes_at, pair_classes
from kam.analysis.movements import (
    dec,
    index_label,
    monthly_events,
    period_values,
)
from kam.analysis.periods import Grain, parse_period
from kam.analysis.preagg import MRR_MOVEMENTS
from kam.analysis.result import AnalysisResult
from kam.analysis.retention import FISCAL_YEAR, GRAIN, METRIC, RETENTION_METRICS
from kam.analysis.spec import Analysis, Parameter
from kam.errors import InputError, ParameterError

__all__ = ["ANALYSIS", "OUTPUT_COLUMNS", "slipping"]

OUTPUT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("account_id", "the account"),
    ("name", "the account's name (Accounts sheet)"),
    ("owner", "the account's owner (Accounts sheet)"),
    ("previous", "value in the prior period (exact decimal)"),
    ("current", "value in the period"),
    ("change", "current − previous"),
    ("change_pct", "change / previous (blank when previous is 0)"),
    ("previous_class", "ABC class in the prior period"),
    ("class", "ABC class in the period"),
    ("value_drop", "true when the value fell by at least the threshold"),
    ("downgrade", "true when the ABC class fell"),
    ("open_risk", "level and reason of the open risks, if any"),
    ("why", "the reasons, in words"),
)


def _risks(tables: Mapping[str, ir.Table]) -> dict[str, list[str]]:
    risks = tables.get("risks")
    if risks is None:
        return {}
    open_ = risks.filter(risks.resolved_on.isnull())
    data = (
        open_.select("account_id", "level", "reason", "flagged_on")
        .order_by(["account_id", "flagged_on", "reason"])
        .to_pyarrow()
        .to_pylist()
    )
    out: dict[str, list[str]] = {}
    for r in data:
        out.setdefault(str(r["account_id"]), []).append(f"{r['level']}: {r['reason']}")
    return out


def _classified_pair(
    tables: Mapping[str, ir.Table],
    values: ir.Table,
    last: int,
    p: int,
    cuts: tuple[float, float],
    *,
    monthly: bool,
) -> ir.Table:
    """Each account's values and classes in periods ``p − 1`` and ``p``
    (:func:`~kam.analysis.class_tables.pair_classes`), classified here."""
    if monthly and MRR_MOVEMENTS in tables:
        # The engine's monthly events of the period hold every account's value in
        # it (end) and in the month before (start): one month of events.
        mv = monthly_events(tables, last)
        mv = mv.filter(mv.pidx == p)
        had, has = mv.filter(mv.start > 0), mv.filter(mv.end > 0)
        two = had.select("account_id", period=had.pidx - 1, value=had.start).union(
            has.select("account_id", period=has.pidx, value=has.end)
        )
    else:
        kept = values.filter(values.pidx.isin([p - 1, p]))
        two = kept.select("account_id", period=kept.pidx, value="value")
    return pair_classes(classified(two, cuts=cuts), p - 1, p)


def slipping(
    tables: Mapping[str, ir.Table],
    *,
    metric: str = "mrr",
    grain: Grain | None = None,
    period: str | None = None,
    threshold: float = 0.20,
    cutoffs: Sequence[float] = (0.80, 0.95),
    fiscal_year_start: int = 1,
) -> AnalysisResult:
    """Accounts slipping in ``period`` (default: the last with data) against the one
    before. Rows: :data:`OUTPUT_COLUMNS`. Summary: counts per reason, the value lost
    by the listed accounts, headline."""
    if metric not in RETENTION_METRICS:
        raise ParameterError("metric", f"{metric!r} is not one of mrr, revenue")
    if not 0 < threshold <= 1:
        raise ParameterError("threshold", f"{threshold} is outside (0, 1]")
    cuts = check_cutoffs(cutoffs)
    used: Grain = grain or ("month" if metric == "mrr" else "year")
    values, periods = period_values(
        tables, metric=metric, grain=used, fiscal_year_start=fiscal_year_start
    )
    labels = {index_label(p, used): p for p in periods}
    if period is None:
        p = periods[-1]
    else:
        parsed = parse_period(str(period), what="period")
        if parsed.grain != used or parsed.text not in labels:
            raise InputError(f"period {period} is not a {used} of the data")
        p = labels[parsed.text]
    monthly = metric == "mrr" and used == "month"
    stored = month_classes_at(tables, p, periods[-1], cuts) if monthly else None
    if stored is not None:
        per = stored
    else:
        per = _classified_pair(tables, values, periods[-1], p, cuts, monthly=monthly)
    risks = _risks(tables)
    if risks:
        # Accounts with an open risk, joined (a literal list of thousands of ids
        # costs more to compile than the whole query takes to run).
        reg = tables["risks"]
        flagged = (
            reg.filter(reg.resolved_on.isnull()).select(r_id=reg.account_id).distinct()
        )
        per = per.left_join(flagged, per.account_id == flagged.r_id)
    dropped = (per.previous > 0) & (per.fall >= per.base * threshold)
    down = (
        per.previous_class.notnull()
        & per.now_class.notnull()
        & (per.now_class > per.previous_class)
    )
    keep = dropped | down
    if risks:
        keep = keep | per.r_id.notnull()
    listed = per.filter(keep).mutate(value_drop=dropped, downgrade=down)
    listed = listed.drop("fall", "base", *(["r_id"] if risks else []))
    accounts = tables.get("accounts")
    if accounts is not None:
        owner = accounts.owner if "owner" in accounts.columns else ibis.null("string")
        names = accounts.select(
            a_id=accounts.account_id, name=accounts.name, owner=owner
        )
        listed = listed.left_join(names, listed.account_id == names.a_id).drop("a_id")
    else:
        listed = listed.mutate(name=ibis.null("string"), owner=ibis.null("string"))
    data = listed.to_pyarrow().to_pylist()
    seen = {str(r["account_id"]) for r in data}
    for account in sorted(set(risks) - seen):
        # An open risk on an account without a value in either period.
        data.append(
            {
                "account_id": account,
                "previous": None,
                "current": None,
                "previous_class": None,
                "now_class": None,
                "value_drop": False,
                "downgrade": False,
                "name": None,
                "owner": None,
            }
        )
    # (change, account_id, row): the sort key and the value lost, kept as the
    # exact decimals they are (two places) instead of read back from the rows.
    keyed: list[tuple[Decimal, str, dict[str, object]]] = []
    for r in data:
        prev, cur = dec(r["previous"]), dec(r["current"])
        change = cur - prev
        risk = "; ".join(risks.get(str(r["account_id"]), [])) or None
        why: list[str] = []
        if r["value_drop"]:
            why.append(f"down {float(-change / prev) * 100:.0f} %")
        if r["downgrade"]:
            why.append(f"class {r['previous_class']} → {r['now_class']}")
        if risk:
            why.append(f"open risk ({risk})")
        keyed.append(
            (
                change,
                str(r["account_id"]),
                {
                    "account_id": r["account_id"],
                    "name": r["name"],
                    "owner": r["owner"],
                    "previous": prev,
                    "current": cur,
                    "change": change,
                    "change_pct": float(change / prev) if prev else None,
                    "previous_class": r["previous_class"],
                    "class": r["now_class"],
                    "value_drop": bool(r["value_drop"]),
                    "downgrade": bool(r["downgrade"]),
                    "open_risk": risk,
                    "why": ", ".join(why),
                },
            )
        )
    keyed.sort(key=lambda k: (k[0], k[1]))
    rows = [row for _, _, row in keyed]
    n_drop = sum(1 for r in rows if r["value_drop"])
    n_down = sum(1 for r in rows if r["downgrade"])
    n_risk = sum(1 for r in rows if r["open_risk"])
    lost = sum((-change for change, _, _ in keyed if change < 0), Decimal(0))
    label = index_label(p, used)
    summary: dict[str, object] = {
        "period": label,
        "previous_period": index_label(p - 1, used),
        "accounts": len(rows),
        "value_drops": n_drop,
        "downgrades": n_down,
        "open_risks": n_risk,
        "value_lost": str(lost.quantize(Decimal("0.01"))),
        "headline": f"{len(rows)} accounts slipping in {label}: {n_drop} down "
        f"≥ {threshold * 100:.0f} %, {n_down} class downgrades, {n_risk} open risks",
    }
    warnings = [] if "risks" in tables else ["no Risks sheet: open risks not listed"]
    parameters: dict[str, object] = {
        "metric": metric,
        "grain": used,
        "period": label,
        "threshold": threshold,
        "cutoffs": list(cuts),
        "fiscal_year_start": fiscal_year_start,
    }
    return AnalysisResult("slipping", parameters, summary, rows, {}, warnings)


ANALYSIS = Analysis(
    name="slipping",
    title="Slipping accounts",
    description="Accounts down by the threshold or more, ABC downgrades and open "
    "risks.",
    parameters=(
        METRIC,
        GRAIN,
        Parameter(
            "period", "period", None, "the period (at the grain; default: the last)"
        ),
        Parameter(
            "threshold",
            "float",
            0.20,
            "the fall (share of the prior value) that lists an account",
            minimum=0,
            maximum=1,
        ),
        Parameter(
            "cutoffs",
            "floats",
            (0.80, 0.95),
            "cumulative shares that end classes A and B",
            minimum=0,
            maximum=1,
            exclusive=True,
            setting="abc_cutoffs",
            length=2,
        ),
        FISCAL_YEAR,
    ),
    needs=(),
    output_columns=OUTPUT_COLUMNS,
    run=slipping,
)
