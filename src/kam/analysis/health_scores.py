"""Health's building blocks: each account's latest signal values, scored and
weighed (:mod:`kam.analysis.health`), and the tables the engine builds from them
once per data version (:func:`health_tables`), which a run of health reads
instead of scoring every signal again (:func:`prepared_rows`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import ibis
import ibis.expr.types as ir

__all__ = [
    "LEVEL_RANK",
    "SIGNAL_COLUMNS",
    "band_columns",
    "health_tables",
    "latest_signals",
    "named",
    "per_account",
    "prepared_rows",
    "signal_scores",
    "weighed",
]

#: The band a risk level of the register imposes at worst.
LEVEL_RANK = {"watch": 1, "at_risk": 2, "critical": 3}

SIGNAL_COLUMNS = (
    "account_id",
    "signal",
    "measured_on",
    "value",
    "good",
    "poor",
    "weight",
    "score",
    "contribution",
)
#: The columns of a row of health, in order, that ``_health_accounts`` holds.
_KEPT = (
    "account_id",
    "name",
    "health",
    "risk_level",
    "signals",
    "missing_signals",
    "weakest_signal",
    "weakest_score",
)


def latest_signals(signals: ir.Table, day: date | None = None) -> ir.Table:
    """``account_id, signal, as_of, value``: each account's latest value of each
    signal (on or before ``day`` when given; rows without a date never count).

    Without ``day`` this is the engine's pre-aggregate ``_latest_signals``, built once
    per data version: it holds the latest values on or before any day on or after
    its last ``as_of``, so that health reads one row per account and signal instead
    of the whole Signals history (see :func:`signal_scores`).
    """
    s = signals.filter(signals.as_of.notnull() if day is None else signals.as_of <= day)
    latest = ibis.window(group_by=[s.account_id, s.signal], order_by=s.as_of.desc())
    s = s.mutate(pos=ibis.row_number().over(latest))
    s = s.filter(s.pos == 0)
    return s.select("account_id", "signal", "as_of", "value")


def signal_scores(
    signals: ir.Table, model: ir.Table, day: date, *, latest: ir.Table | None = None
) -> ir.Table:
    """Each account's latest value of each model signal on or before ``day``, scored.

    ``latest``: those latest values already taken (:func:`latest_signals`), which
    the Signals rows are then not read for.

    Columns: :data:`SIGNAL_COLUMNS` except ``contribution``.
    """
    s = latest_signals(signals, day) if latest is None else latest
    m = model.select(
        m_signal=model.signal,
        weight=model.weight.cast("float64"),
        good=model.good.cast("float64"),
        poor=model.poor.cast("float64"),
    )
    j = s.join(m, s.signal == m.m_signal)
    span = j.good - j.poor
    raw = (j.value.cast("float64") - j.poor) / span * 100.0
    score = ibis.cases(
        (span == 0, ibis.cases((j.value == j.good, 100.0), else_=0.0)),
        (raw >= 100.0, 100.0),
        (raw <= 0.0, 0.0),
        else_=raw,
    )
    return j.select(
        "account_id",
        "signal",
        measured_on=j.as_of,
        value=j.value.cast("float64"),
        good=j.good,
        poor=j.poor,
        weight=j.weight,
        score=score,
    )


def weighed(scored: ir.Table) -> ir.Table:
    """The scored signals with each one's ``contribution`` to its account's health
    and ``weak`` (0 for the account's weakest signal: lowest score, ties by name)."""
    total_w = ibis.window(group_by=scored.account_id)
    return scored.mutate(
        contribution=ibis.cases(
            (
                scored.weight.sum().over(total_w) > 0,
                scored.weight * scored.score / scored.weight.sum().over(total_w),
            ),
            else_=ibis.null("float64"),
        ),
        weak=ibis.row_number().over(
            group_by=scored.account_id, order_by=[scored.score, scored.signal]
        ),
    )


def per_account(scored: ir.Table) -> ir.Table:
    """``account_id, health, signals, weakest_signal, weakest_score`` of the
    weighed signals (:func:`weighed`)."""
    per = scored.group_by("account_id").agg(
        health=scored.contribution.sum(),
        signals=scored.signal.count(),
        weakest_signal=scored.signal.min(where=scored.weak == 0),
        weakest_score=scored.score.min(),
    )
    # A sum of float contributions can pass 100 (or 0) by a rounding unit.
    return per.mutate(
        health=ibis.cases(
            (per.health > 100.0, 100.0), (per.health < 0.0, 0.0), else_=per.health
        )
    )


def health_tables(
    tables: Mapping[str, ir.Table], derived: Mapping[str, ir.Table]
) -> dict[str, ir.Table]:
    """The health tables built once per data version from the materialised
    ``_latest_signals`` (``derived``) and the HealthModel, Accounts and Risks sheets
    (``tables``, by sheet name); none without ``_latest_signals`` or HealthModel.
    They hold for any ``as_of`` that ``_latest_signals`` answers for (see
    :func:`signal_scores`).

    - ``_health_signals``: :data:`SIGNAL_COLUMNS` (the breakdown);
    - ``_health_accounts``: per account with a scored signal or a risk, its figures
      before the bands (``account_id, name, health, signals, missing_signals,
      lacking, weakest_signal, weakest_score``; health blank and signals 0 without
      signals), ``pos`` its place in the order health ascending (blank last), then
      account_id, from 0; and one row per span of days ``since`` ≤ day <
      ``until`` (blank: unbounded) between the dates of its register, with the
      worst risk open throughout (``risk_level, risk_band, by_register``) and
      ``shown`` (a scored signal or an open risk: a row of health on such a day).
    """
    latest, model = derived.get("_latest_signals"), tables.get("HealthModel")
    if latest is None or model is None:
        return {}
    scored = weighed(signal_scores(latest, model, date.max, latest=latest))
    per = per_account(scored)
    ids = per.select("account_id")
    risks = tables.get("Risks")
    if risks is not None:
        ids = ids.union(risks.select("account_id"), distinct=True)
    acc = named(ids.left_join(per, "account_id"), tables.get("Accounts"))
    signals = acc.signals.fill_null(0)
    missing = model.count().as_scalar() - signals
    acc = acc.mutate(
        signals=signals,
        missing_signals=missing,
        lacking=missing != 0,
        scored=acc.signals.notnull(),
        pos=ibis.row_number().over(
            order_by=[acc.health.asc(nulls_first=False), acc.account_id]
        ),
    )
    if risks is None:
        null = ibis.null
        acc = acc.mutate(since=null("date"), until=null("date"), risk_rank=null("int8"))
    else:
        spans = _risk_spans(risks)
        acc = acc.left_join(spans, acc.account_id == spans.s_id).drop("s_id")
    rank = acc.risk_rank
    risk_band = ibis.cases((rank >= 2, 3), (rank == 1, 2), else_=0)
    acc = acc.select(
        "account_id",
        "name",
        "health",
        "signals",
        "missing_signals",
        "lacking",
        "weakest_signal",
        "weakest_score",
        "pos",
        "since",
        "until",
        risk_level=rank.cases(*[(v, k) for k, v in LEVEL_RANK.items()]),
        risk_band=risk_band,
        by_register=risk_band == 3,
        shown=acc.scored | rank.notnull(),
    )
    return {"_health_signals": scored.select(*SIGNAL_COLUMNS), "_health_accounts": acc}


def _risk_spans(risks: ir.Table) -> ir.Table:
    """``s_id, since, until, risk_rank``: each account's days cut at the dates of
    its register (flagged_on, resolved_on) into spans ``since`` ≤ day < ``until``
    (blank: unbounded), with the worst risk open throughout (flagged on or before
    the day, not resolved by then; blank without, 0 for a level outside
    :data:`LEVEL_RANK`)."""
    r = risks.filter(risks.flagged_on.notnull())
    r = r.mutate(lr=r.level.cases(*list(LEVEL_RANK.items()), else_=0))
    ends = r.filter(r.resolved_on.notnull())
    cuts = r.select(s_id=r.account_id, since=r.flagged_on).union(
        ends.select(s_id=ends.account_id, since=ends.resolved_on), distinct=True
    )
    w = ibis.window(group_by=cuts.s_id, order_by=cuts.since)
    cuts = cuts.mutate(until=cuts.since.lead().over(w))
    j = cuts.left_join(
        r,
        (cuts.s_id == r.account_id)
        & (r.flagged_on <= cuts.since)
        & (r.resolved_on.isnull() | (r.resolved_on > cuts.since)),
    )
    spans = j.group_by("s_id", "since", "until").agg(risk_rank=j.lr.max())
    first = cuts.group_by("s_id").agg(until=cuts.since.min())
    none = ibis.null(spans.risk_rank.type())
    before = first.select(
        "s_id", since=ibis.null("date"), until="until", risk_rank=none
    )
    return spans.union(before)


def named(t: ir.Table, accounts: ir.Table | None) -> ir.Table:
    """``t`` with each account's ``name`` (Accounts sheet; blank without it)."""
    if accounts is None:
        return t.mutate(name=ibis.null("string"))
    names = accounts.select(acc_n=accounts.account_id, name=accounts.name)
    return t.left_join(names, t.account_id == names.acc_n).drop("acc_n")


def _band(value: ir.FloatingValue, healthy_from: float, watch_from: float) -> ir.Value:
    return ibis.cases((value >= healthy_from, 1), (value >= watch_from, 2), else_=3)


def band_columns(
    health: ir.FloatingColumn,
    risk_band: ir.IntegerValue,
    bands: tuple[float, float],
) -> dict[str, ir.Value]:
    """``score_band, band, endangered, by_health`` and ``band_rank`` (1 healthy …
    3 at risk) of rows with ``health`` and the band their risks impose."""
    healthy_from, watch_from = bands
    score_rank = ibis.cases(
        (health.isnull(), 0), else_=_band(health, healthy_from, watch_from)
    )
    band_rank = ibis.greatest(score_rank, risk_band)
    names_of = list({1: "healthy", 2: "watch", 3: "at_risk"}.items())
    return {
        "score_band": score_rank.cases(*names_of),
        "band": band_rank.cases(*names_of),
        "endangered": band_rank == 3,
        "by_health": score_rank == 3,
        "band_rank": band_rank,
    }


def prepared_rows(
    acc: ir.Table, latest: ir.Table | None, day: date, bands: tuple[float, float]
) -> Any:
    """The rows (with by_health, by_register, lacking) from ``_health_accounts``,
    sorted, as Arrow; None when ``latest`` holds a date after ``day`` (then they
    do not answer for it)."""
    t = acc.filter(
        (acc.since.isnull() | (acc.since <= day))
        & (acc.until.isnull() | (acc.until > day))
        & acc.shown
    )
    cols = band_columns(t.health, t.risk_band, bands)
    band_rank = cols.pop("band_rank")
    # One integer orders the rows: band worst first, then health and account_id.
    key = (3 - band_rank).cast("int64") * (1 << 40) + t.pos
    extra = {} if latest is None else {"last": latest.as_of.max().as_scalar()}
    data = t.select(
        *_KEPT,
        "by_register",
        "lacking",
        **cols,
        key=key,
        **extra,
    ).to_pyarrow()
    last = data.column("last")[0].as_py() if "last" in extra and data.num_rows else None
    return None if last is not None and last > day else data.sort_by("key")
