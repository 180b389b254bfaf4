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
from typing import Any

import ibis
import ibis.expr.types as ir

from kam.analysis.abc_analysis import check_cutoffs, classified
from kam.analysis.class_tables import month_classes_at, pair_classes
from kam.analysis.movements import (
    MONEY,
    dec,
    index_label,
    monthly_events,
    period_values,
)
from kam.analysis.periods import Grain, parse_period
from kam.analysis.preagg import MRR_MOVEMENTS
from kam.analysis.result import AnalysisResult, ArrowTable, Rows
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


#: The fetched columns that :class:`_Shown` turns into the rows.
_FETCHED = (
    "account_id",
    "name",
    "owner",
    "previous",
    "current",
    "change",
    "previous_class",
    "class",
    "value_drop",
    "downgrade",
)


def _listed(
    tables: Mapping[str, ir.Table], per: ir.Table, threshold: float
) -> ir.Table:
    """The listed accounts in one query: those of ``per`` (values and classes of the
    two periods, :func:`~kam.analysis.class_tables.pair_classes`) whose value fell
    by ``threshold`` or more or whose class fell, and those with an open risk (a row
    per open risk: ``r_flagged, r_level, r_reason``, and ``has_risk``), with their
    names and owners and the change (an exact decimal, as the values)."""
    zero = ibis.literal(Decimal("0.00"), type=MONEY)
    reg = tables.get("risks")
    if reg is not None:
        open_ = reg.filter(reg.resolved_on.isnull())
        flagged = open_.select(
            r_id=open_.account_id,
            r_flagged=open_.flagged_on,
            r_level=open_.level,
            r_reason=open_.reason,
        )
        t = per.outer_join(flagged, per.account_id == flagged.r_id)
        account, has_risk = ibis.coalesce(t.account_id, t.r_id), t.r_id.notnull()
        risk = {"r_flagged": t.r_flagged, "r_level": t.r_level, "r_reason": t.r_reason}
    else:
        t, account, has_risk = per, per.account_id, ibis.literal(False)
        risk = {
            "r_flagged": ibis.null("date"),
            "r_level": ibis.null("string"),
            "r_reason": ibis.null("string"),
        }
    previous = ibis.coalesce(t.previous, zero)
    current = ibis.coalesce(t.current, zero)
    # Blank for an account without a value in either period: not a fall.
    dropped = (t.previous > 0) & (t.fall >= t.base * threshold)
    down = (
        t.previous_class.notnull()
        & t.now_class.notnull()
        & (t.now_class > t.previous_class)
    )
    pair = t.select(
        account_id=account,
        previous=previous,
        current=current,
        change=(current - previous).cast(MONEY),
        previous_class=t.previous_class,
        **{"class": t.now_class},
        value_drop=dropped.fill_null(False),
        downgrade=down.fill_null(False),
        has_risk=has_risk,
        **risk,
    )
    kept = pair.filter(pair.value_drop | pair.downgrade | pair.has_risk)
    accounts = tables.get("accounts")
    if accounts is None:
        return kept.mutate(name=ibis.null("string"), owner=ibis.null("string"))
    owner = accounts.owner if "owner" in accounts.columns else ibis.null("string")
    names = accounts.select(a_id=accounts.account_id, name=accounts.name, owner=owner)
    # Joined on the listed account, so that an account without a value in either
    # period (listed for an open risk only) shows its name and owner too.
    j = kept.left_join(names, kept.account_id == names.a_id)
    return j.drop("a_id")


class _Shown:
    """A fetched row of :func:`_listed` as the row handed out: the exact values, the
    change, the open risks in words (all of the account's, read from the fetched
    rows once, when the first row is shown) and the reasons."""

    def __init__(self, fetched: ArrowTable) -> None:
        self._fetched: Any = fetched
        self._risks: dict[str, str] | None = None

    def _texts(self) -> dict[str, str]:
        t = self._fetched.filter(self._fetched.column("has_risk"))
        out: dict[str, list[str]] = {}
        for a, level, reason in zip(
            t.column("account_id").to_pylist(),
            t.column("r_level").to_pylist(),
            t.column("r_reason").to_pylist(),
            strict=True,
        ):
            out.setdefault(str(a), []).append(f"{level}: {reason}")
        return {a: "; ".join(texts) for a, texts in out.items()}

    def __call__(self, r: dict[str, object]) -> dict[str, object]:
        if self._risks is None:
            self._risks = self._texts()
        prev, cur = dec(r["previous"]), dec(r["current"])
        change = cur - prev
        risk = self._risks.get(str(r["account_id"]))
        why: list[str] = []
        if r["value_drop"]:
            why.append(f"down {float(-change / prev) * 100:.0f} %")
        if r["downgrade"]:
            why.append(f"class {r['previous_class']} → {r['class']}")
        if risk:
            why.append(f"open risk ({risk})")
        return {
            "account_id": r["account_id"],
            "name": r["name"],
            "owner": r["owner"],
            "previous": prev,
            "current": cur,
            "change": change,
            "change_pct": float(change / prev) if prev else None,
            "previous_class": r["previous_class"],
            "class": r["class"],
            "value_drop": bool(r["value_drop"]),
            "downgrade": bool(r["downgrade"]),
            "open_risk": risk,
            "why": ", ".join(why),
        }


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
    listed = _listed(tables, per, threshold)
    fetched = listed.to_pyarrow().sort_by(
        [
            ("change", "ascending"),
            ("account_id", "ascending"),
            ("r_flagged", "ascending"),
            ("r_reason", "ascending"),
            ("r_level", "ascending"),
        ]
    )
    # One row per open risk: an account's risks are next to each other (in the
    # order they are told), and its first row stands for it.
    ids = fetched.column("account_id").to_pylist()
    first = [i for i, a in enumerate(ids) if not i or a != ids[i - 1]]
    data = fetched if len(first) == len(ids) else fetched.take(first)
    # The counts and the value lost, read from the columns (no Arrow aggregation:
    # its first use in a process costs more than these few thousand rows).
    n_drop = sum(data.column("value_drop").to_pylist())
    n_down = sum(data.column("downgrade").to_pylist())
    n_risk = sum(data.column("has_risk").to_pylist())
    changes = data.column("change").to_numpy()  # Decimals
    lost = Decimal(0) - changes[changes < 0].sum() if data.num_rows else Decimal(0)
    label = index_label(p, used)
    summary: dict[str, object] = {
        "period": label,
        "previous_period": index_label(p - 1, used),
        "accounts": data.num_rows,
        "value_drops": n_drop,
        "downgrades": n_down,
        "open_risks": n_risk,
        "value_lost": str(lost.quantize(Decimal("0.01"))),
        "headline": f"{data.num_rows} accounts slipping in {label}: {n_drop} down "
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
    rows = Rows(data.select(_FETCHED), _Shown(fetched))
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
