"""Onboarding progress: accounts per stage, days in stage, overdue (analyses.md §4).

The Onboarding sheet holds one row per account and stage reached. At ``as_of``
(default: today) an account is in the latest stage it entered on or before that day
(ties: the later stage of :data:`STAGES`). Days in stage = ``as_of −
stage_entered_on``. An account is complete when that stage is ``complete`` or its
``completed_on`` is on or before ``as_of``; it is overdue when it is not complete and
``as_of`` is past its ``target_go_live`` (the latest target given on its rows).

The engine keeps each account's latest stage (:func:`current_stages`,
``_onboarding_latest``), built once per data version: at an ``as_of`` on or after the
last stage entered it is each account's stage then, read instead of the rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import ibis
import ibis.expr.types as ir

from kam.analysis.result import AnalysisResult, Rows, column_sums
from kam.analysis.spec import Analysis, Parameter
from kam.analysis.upsell import need

__all__ = [
    "ANALYSIS",
    "OUTPUT_COLUMNS",
    "STAGES",
    "current_stages",
    "onboarding",
    "onboarding_status",
]

#: The onboarding stages in order.
STAGES: tuple[str, ...] = ("kickoff", "setup", "first_value", "adoption", "complete")

OUTPUT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("account_id", "the account"),
    ("name", "the account's name (Accounts sheet)"),
    ("stage", "the stage the account is in at as_of"),
    ("stage_number", "1 = kickoff … 5 = complete"),
    ("stage_entered_on", "date the account entered that stage"),
    ("days_in_stage", "as_of − stage_entered_on, in days"),
    ("target_go_live", "planned go-live (the latest given on the account's rows)"),
    ("complete", "true when the stage is complete or completed_on ≤ as_of"),
    ("overdue", "true when not complete and as_of is past target_go_live"),
    ("days_overdue", "as_of − target_go_live for overdue accounts, else blank"),
    ("owner", "owner of the current stage"),
)


def _named(cur: ir.Table, accounts: ir.Table | None) -> ir.Table:
    if accounts is None:
        return cur.mutate(name=ibis.null("string"))
    names = accounts.select(acc_n=accounts.account_id, name=accounts.name)
    return cur.left_join(names, cur.account_id == names.acc_n).drop("acc_n")


def current_stages(
    onboarding_table: ir.Table,
    accounts: ir.Table | None = None,
    day: date | None = None,
) -> ir.Table:
    """Each account's stage at ``day``: ``account_id, stage, stage_entered_on,
    owner, stage_number, target, done_on, name`` (``target``: the latest
    target_go_live, ``done_on``: the earliest completed_on of its rows entered by
    then; ``name`` of ``accounts``, blank without them).

    Without ``day``: the latest stage of every row with an entry date, and
    ``last_entered`` (the last entry date of all), the engine's pre-aggregate
    ``_onboarding_latest``; it holds each account's stage at any day on or after
    ``last_entered``.
    """
    o = onboarding_table
    t = o.filter(
        o.stage_entered_on.notnull() if day is None else o.stage_entered_on <= day
    )
    number = t.stage.cases(*[(s, i) for i, s in enumerate(STAGES, 1)], else_=0)
    t = t.mutate(stage_number=number)
    latest = ibis.window(
        group_by=t.account_id,
        order_by=[t.stage_entered_on.desc(), t.stage_number.desc()],
    )
    whole = ibis.window(group_by=t.account_id)
    t = t.mutate(
        pos=ibis.row_number().over(latest),
        target=t.target_go_live.max().over(whole),
        done_on=t.completed_on.min().over(whole),
        **({"last_entered": t.stage_entered_on.max().over()} if day is None else {}),
    )
    cur = t.filter(t.pos == 0).drop("pos", "target_go_live", "completed_on")
    return _named(cur, accounts)


def _status(cur: ir.Table, day: date) -> ir.Table:
    """The output columns of the current stages ``cur`` (:func:`current_stages`) at
    ``day``, in the order of the rows."""
    today = ibis.literal(day, type="date")
    complete = (cur.stage == "complete") | (cur.done_on <= today).fill_null(False)
    overdue = ~complete & (cur.target < today).fill_null(False)
    cur = cur.mutate(
        days_in_stage=today.delta(cur.stage_entered_on, unit="day"),
        complete=complete,
        overdue=overdue,
        days_overdue=ibis.cases(
            (overdue, today.delta(cur.target, unit="day")), else_=ibis.null("int64")
        ),
        target_go_live=cur.target,
    )
    return cur.order_by(
        cur.overdue.desc(),
        cur.days_overdue.desc(nulls_first=False),
        cur.stage_number.asc(),
        cur.days_in_stage.desc(),
        cur.account_id.asc(),
    )


def onboarding_status(
    onboarding_table: ir.Table,
    *,
    accounts: ir.Table | None = None,
    as_of: date | None = None,
    latest: ir.Table | None = None,
) -> AnalysisResult:
    """Each onboarding account's stage, days in stage and overdue flag at ``as_of``.

    ``latest``: the pre-aggregate of :func:`current_stages` of ``onboarding_table``
    and ``accounts`` (``_onboarding_latest``), read instead of the rows when
    ``as_of`` is on or after its ``last_entered``.

    Rows: :data:`OUTPUT_COLUMNS`, overdue first (most days overdue first), then by
    stage (earliest first), days in stage (longest first) and account_id. Tables:
    ``stages`` (stage, stage_number, accounts, overdue). Summary: as_of, accounts,
    complete, in_progress, overdue, headline.
    """
    day = as_of or date.today()
    columns = [c for c, _ in OUTPUT_COLUMNS]
    data: Any = None
    if latest is not None:
        # The number as the rows give it (a stored copy may hold it wider).
        latest = latest.mutate(stage_number=latest.stage_number.cast("int8"))
        if accounts is None:
            latest = latest.mutate(name=ibis.null("string"))
        fetched = _status(latest, day).select(*columns, "last_entered").to_pyarrow()
        last = fetched.column("last_entered")[0].as_py() if fetched.num_rows else None
        if last is None or last <= day:
            data = fetched.select(columns)
    if data is None:
        cur = current_stages(onboarding_table, accounts, day)
        data = _status(cur, day).select(columns).to_pyarrow()
    # Counted by Arrow over the fetched columns, not row by row in Python.
    per_stage = {
        r["stage"]: r
        for r in data.group_by("stage")
        .aggregate([("stage", "count"), ("overdue", "sum")])
        .to_pylist()
    }
    stages: list[dict[str, object]] = [
        {
            "stage": s,
            "stage_number": i,
            "accounts": int(per_stage.get(s, {}).get("stage_count") or 0),
            "overdue": int(per_stage.get(s, {}).get("overdue_sum") or 0),
        }
        for i, s in enumerate(STAGES, 1)
    ]
    n = data.num_rows
    flags = column_sums(data, ("complete", "overdue"))
    n_complete, n_overdue = flags["complete"], flags["overdue"]
    warnings: list[str] = []
    if not n:
        warnings.append(f"no onboarding stage entered on or before {day.isoformat()}")
    summary: dict[str, object] = {
        "as_of": day.isoformat(),
        "accounts": n,
        "complete": n_complete,
        "in_progress": n - n_complete,
        "overdue": n_overdue,
        "headline": f"{n - n_complete} accounts onboarding, {n_overdue} overdue; "
        f"{n_complete} complete",
    }
    parameters: dict[str, object] = {"as_of": day.isoformat()}
    return AnalysisResult(
        "onboarding", parameters, summary, Rows(data), {"stages": stages}, warnings
    )


def onboarding(tables: Mapping[str, ir.Table], **options: object) -> AnalysisResult:
    """:func:`onboarding_status` over the canonical tables keyed by store table name."""
    return onboarding_status(
        need(tables, "onboarding", "Onboarding", "onboarding"),
        accounts=tables.get("accounts"),
        latest=tables.get("_onboarding_latest"),
        **options,  # type: ignore[arg-type]
    )


ANALYSIS = Analysis(
    name="onboarding",
    title="Onboarding",
    description="Accounts per onboarding stage, days in stage and the overdue ones.",
    parameters=(
        Parameter(
            "as_of",
            "date",
            None,
            "the day to look at (default: today)",
            setting="as_of",
        ),
    ),
    needs=("Onboarding",),
    output_columns=OUTPUT_COLUMNS,
    run=onboarding,
)
