"""The KAM charter and account plans: completeness, staleness, flags, actuals (§8).

The Charter sheet holds one row per (plan, section, field): the programme charter
when ``account_id`` is blank, else that account's plan. A field is filled when its
value is not blank; a section's completeness is its filled fields over its fields
(0 when the section is absent). Some plan sections are filled from the data rather
than typed: ``history`` (revenue and ABC class), ``relationship_map``
(Stakeholders), ``whitespace`` (Units) and ``objectives`` (Objectives): each is
complete (1) when the data holds rows for the account.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from threading import Lock
from typing import Any

import ibis.expr.types as ir

from kam.analysis.abc_analysis import POOLED, abc
from kam.analysis.result import AnalysisResult, RowList, Rows
from kam.analysis.spec import PLAN_ACCOUNT, Analysis, Parameter
from kam.errors import InputError, MissingDataError

__all__ = [
    "ANALYSIS",
    "CHARTER_SECTIONS",
    "DATA_SECTIONS",
    "OUTPUT_COLUMNS",
    "PLAN_SECTIONS",
    "plan_review",
]

#: The sections of the programme charter, in order.
CHARTER_SECTIONS: tuple[str, ...] = (
    "purpose",
    "scope",
    "objectives_kpis",
    "governance",
    "executive_sponsor",
    "roles",
    "resources",
    "processes",
    "measurement",
    "rollout",
    "risks",
    "approval",
)

#: The sections of an account plan, in order.
PLAN_SECTIONS: tuple[str, ...] = (
    "summary",
    "profile",
    "history",
    "relationship_map",
    "customer_objectives",
    "swot",
    "whitespace",
    "objectives",
    "strategy",
    "actions",
    "risks",
    "review_cadence",
)

#: Plan sections filled from the data, and the store table that fills each.
DATA_SECTIONS: dict[str, str] = {
    "history": "revenue",
    "relationship_map": "stakeholders",
    "whitespace": "units",
    "objectives": "objectives",
}

#: The columns of a plan row (one per section), with their meaning.
OUTPUT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("section", "the section of the charter or plan"),
    ("expected", "true for a section the charter or plan should have"),
    ("source", "sheet: typed in the Charter sheet; data: filled from other sheets"),
    ("fields", "fields of the section in the Charter sheet"),
    ("filled", "fields with a value"),
    ("completeness", "filled / fields (0 when absent; 1 when the data fills it)"),
    ("reviewed_on", "oldest review date among the section's fields"),
    ("days_since_review", "days from reviewed_on to the as-of date"),
    ("stale", "never reviewed, or reviewed more than stale_days ago"),
)


def _rows(expr: ir.Table) -> list[dict[str, object]]:
    data = expr.to_pyarrow()
    columns = {c: data.column(c).to_pylist() for c in data.column_names}
    return [{c: v[i] for c, v in columns.items()} for i in range(data.num_rows)]


def _mine(table: ir.Table, account: str | None) -> ir.Table:
    return table.filter(
        table.account_id.isnull() if account is None else table.account_id == account
    )


def _filled(value: object) -> bool:
    return value is not None and str(value).strip() != ""


def _has_rows(tables: Mapping[str, ir.Table], name: str, account: str | None) -> bool:
    if name not in tables or account is None:
        return False
    return int(_mine(tables[name], account).count().execute()) > 0


def _sections(
    charter: list[dict[str, object]],
    expected: tuple[str, ...],
    data_filled: Mapping[str, bool],
    status: date,
    stale_days: int,
) -> list[dict[str, object]]:
    by_section: dict[str, list[dict[str, object]]] = {}
    for r in charter:
        by_section.setdefault(str(r["section"]), []).append(r)
    names = list(expected) + sorted(set(by_section) - set(expected))
    out = []
    for name in names:
        fields = by_section.get(name, [])
        filled = sum(_filled(r.get("value")) for r in fields)
        from_data = name in data_filled and not fields
        reviews = [d for r in fields if isinstance(d := r.get("reviewed_on"), date)]
        reviewed = min(reviews) if len(reviews) == len(fields) and reviews else None
        days = (status - reviewed).days if reviewed is not None else None
        if from_data:
            completeness = 1.0 if data_filled[name] else 0.0
        else:
            completeness = filled / len(fields) if fields else 0.0
        out.append(
            {
                "section": name,
                "expected": name in expected,
                "source": "data" if from_data else "sheet",
                "fields": len(fields),
                "filled": filled,
                "completeness": completeness,
                "reviewed_on": reviewed,
                "days_since_review": days,
                "stale": bool(fields) and (days is None or days > stale_days),
            }
        )
    return out


def _require_charter(charter: list[dict[str, object]]) -> None:
    """A programme charter must name its executive sponsor and accountable owner."""
    sponsor = any(
        r["section"] == "executive_sponsor" and _filled(r.get("value")) for r in charter
    )
    accountable = any(
        r["section"] == "governance"
        and r["field"] == "accountable_per_account"
        and _filled(r.get("value"))
        for r in charter
    )
    missing = [
        what
        for what, ok in (
            ("an executive sponsor (section executive_sponsor)", sponsor),
            (
                "an accountable owner per account (section governance, field "
                "accountable_per_account)",
                accountable,
            ),
        )
        if not ok
    ]
    if missing:
        raise InputError(
            "Charter: the programme charter needs " + " and ".join(missing)
        )


def _objectives(
    tables: Mapping[str, ir.Table], account: str | None
) -> list[dict[str, object]]:
    if "objectives" not in tables:
        return []
    rows = _rows(_mine(tables["objectives"], account).order_by("objective_id"))
    for r in rows:
        flags = [
            f"no {w}"
            for w, k in (("metric", "metric"), ("date", "due"))
            if not _filled(r.get(k))
        ]
        r["flags"] = flags
    return rows


#: Recent ABC classifications, by the identity of the tables they were computed
#: from (kept alive here, so an id is not reused while remembered) and the as-of
#: date. The engine hands out the same table objects for one data version and
#: scope, so the plans of twenty accounts classify the portfolio once, not twenty
#: times; new data comes as new table objects and is classified afresh.
_CLASSES: OrderedDict[
    tuple[tuple[tuple[str, int], ...], date],
    tuple[tuple[ir.Table, ...], AnalysisResult],
] = OrderedDict()
_CLASSES_SIZE = 4
_CLASSES_LOCK = Lock()


def _classes(tables: Mapping[str, ir.Table], status: date) -> AnalysisResult:
    """:func:`abc` of ``tables`` as of ``status``, remembered (see _CLASSES)."""
    names = sorted(tables)
    held = tuple(tables[n] for n in names)
    key = (tuple((n, id(t)) for n, t in zip(names, held, strict=True)), status)
    with _CLASSES_LOCK:
        found = _CLASSES.get(key)
        if found is not None and all(
            a is b for a, b in zip(found[0], held, strict=True)
        ):
            _CLASSES.move_to_end(key)
            return found[1]
    result = abc(tables, as_of=status)
    with _CLASSES_LOCK:
        _CLASSES[key] = (held, result)
        while len(_CLASSES) > _CLASSES_SIZE:
            _CLASSES.popitem(last=False)
    return result


def _history(
    tables: Mapping[str, ir.Table], account: str | None, status: date
) -> tuple[list[dict[str, object]], list[str]]:
    """Revenue and ABC class per year of the last three complete fiscal years
    (for the programme: total revenue and the number of A accounts)."""
    if "revenue" not in tables:
        return [], ["no Revenue sheet: revenue and ABC class actuals are not shown"]
    try:
        classes = _classes(tables, status)
    except InputError as exc:
        return [], [f"revenue and ABC class actuals are not shown: {exc}"]
    out: list[dict[str, object]] = []
    found = classes.summary.get("periods")
    periods = [str(p) for p in found] if isinstance(found, list) else []
    # Every account's row of every period: read as columns, not as explained rows.
    col = _columns(classes.rows, ("period", "account_id", "value", "class"))
    for period in [*periods, POOLED]:
        rows = [i for i, p in enumerate(col["period"]) if p == period]
        if account is None:
            out.append(
                {
                    "period": period,
                    "revenue": sum(
                        (Decimal(str(col["value"][i])) for i in rows), Decimal("0.00")
                    ),
                    "class": None,
                    "a_accounts": sum(col["class"][i] == "A" for i in rows),
                }
            )
            continue
        mine = [i for i in rows if col["account_id"][i] == account]
        out.append(
            {
                "period": period,
                "revenue": col["value"][mine[0]] if mine else None,
                "class": col["class"][mine[0]] if mine else None,
                "a_accounts": None,
            }
        )
    return out, list(classes.warnings)


def _columns(rows: RowList, names: tuple[str, ...]) -> dict[str, list[object]]:
    """The columns ``names`` of ``rows``; from the Arrow table when the rows are
    kept as one (:class:`Rows`), so that no row is built or explained."""
    if isinstance(rows, Rows) and set(names) <= set(rows.arrow.column_names):
        table: Any = rows.arrow
        return {n: table.column(n).to_pylist() for n in names}
    return {n: [r[n] for r in rows] for n in names}


def _actual(metric: object, history: list[dict[str, object]]) -> tuple[object, str]:
    """The actual value of an objective's metric, and where it comes from."""
    text = str(metric or "").casefold()
    years = [h for h in history if h["period"] != POOLED]
    pooled = [h for h in history if h["period"] == POOLED]
    if "revenue" in text and years:
        return years[-1]["revenue"], f"Revenue {years[-1]['period']}"
    if ("class" in text or "abc" in text) and pooled:
        h = pooled[0]
        value = h["class"] if h["a_accounts"] is None else h["a_accounts"]
        return value, "abc (pooled)"
    return None, ""


def plan_review(
    tables: Mapping[str, ir.Table],
    *,
    account: str | None = None,
    as_of: date | None = None,
    stale_days: int = 90,
) -> AnalysisResult:
    """Completeness, staleness, flags and KPI actuals of a charter or account plan.

    ``account`` blank: the programme charter (rejected without an executive sponsor
    or an accountable owner per account). ``as_of``: the date staleness counts to
    (default: today). ``stale_days``: a section not reviewed for longer is stale.

    Rows: one per section (:data:`OUTPUT_COLUMNS`), expected sections first in
    their order. Tables: ``objectives`` (each objective with ``flags`` for a
    missing metric or date, ``actual`` and ``actual_source``), ``actions`` (plan
    actions with ``flag`` when without owner), ``history`` (revenue and ABC class
    per year and pooled).
    """
    if "charter" not in tables:
        raise MissingDataError("plans needs the Charter sheet")
    status = as_of or date.today()
    charter = _rows(_mine(tables["charter"], account).order_by(["section", "field"]))
    name = f"account {account}" if account else "the programme"
    if not charter:
        raise MissingDataError(f"the Charter sheet has no rows for {name}")
    if account is None:
        _require_charter(charter)
    expected = PLAN_SECTIONS if account else CHARTER_SECTIONS
    history, warnings = _history(tables, account, status)
    data_filled = (
        {
            "history": any(h["revenue"] for h in history),
            **{
                s: _has_rows(tables, t, account)
                for s, t in DATA_SECTIONS.items()
                if s != "history"
            },
        }
        if account
        else {}
    )
    sections = _sections(charter, expected, data_filled, status, stale_days)
    objectives = _objectives(tables, account)
    for o in objectives:
        o["actual"], o["actual_source"] = _actual(o.get("metric"), history)
    actions = [
        {
            "field": r["field"],
            "value": r.get("value"),
            "owner": r.get("owner"),
            "flag": None if _filled(r.get("owner")) else "no owner",
        }
        for r in charter
        if r["section"] == "actions"
    ]
    waiting = [str(o["objective_id"]) for o in objectives if not o["actual_source"]]
    if waiting:
        warnings.append(
            "actuals come from revenue and ABC class only for now (score, NRR and "
            "health follow when those analyses exist); no actual for "
            + ", ".join(waiting)
        )
    scored = [s for s in sections if s["expected"]]
    stale = [str(s["section"]) for s in sections if s["stale"]]
    if stale:
        warnings.append(
            f"sections not reviewed within {stale_days} days: " + ", ".join(stale)
        )
    return AnalysisResult(
        analysis="plans",
        parameters={"account": account, "as_of": status, "stale_days": stale_days},
        summary={
            "plan": "account plan" if account else "programme charter",
            "completeness": sum(float(str(s["completeness"])) for s in scored)
            / len(scored),
            "complete_sections": sum(s["completeness"] == 1.0 for s in scored),
            "sections": len(scored),
            "missing_sections": [
                s["section"]
                for s in scored
                if s["fields"] == 0 and s["source"] == "sheet"
            ],
            "stale_sections": stale,
            "flagged_objectives": [o["objective_id"] for o in objectives if o["flags"]],
            "actions_without_owner": [a["field"] for a in actions if a["flag"]],
        },
        rows=sections,
        tables={"objectives": objectives, "actions": actions, "history": history},
        warnings=warnings,
    )


ANALYSIS = Analysis(
    name="plans",
    title="Charter and account plan",
    description="Completeness and staleness per section, flagged objectives and "
    "actions, KPI actuals next to the targets.",
    parameters=(
        PLAN_ACCOUNT,
        Parameter(
            "as_of",
            "date",
            None,
            "date staleness is counted to (default: today)",
            setting="as_of",
        ),
        Parameter(
            "stale_days",
            "int",
            90,
            "a section not reviewed for more days than this is stale",
            minimum=1,
            maximum=3650,
        ),
    ),
    needs=("Charter",),
    output_columns=OUTPUT_COLUMNS,
    run=plan_review,
)
