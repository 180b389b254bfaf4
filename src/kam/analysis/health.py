"""Account health: signal scores, weighted health, bands and the endangered flag
(analyses.md §4).

- Each signal of the HealthModel takes its latest value per account on or before
  ``as_of`` (Signals sheet). Its score is 100 at or beyond ``good``, 0 at or beyond
  ``poor`` and linear between: ``100 × (value − poor) / (good − poor)`` clipped to
  0–100, which reads the right way whether higher is better (``good > poor``) or
  lower is (``good < poor``). Signals outside the model are ignored.
- Health = the weighted mean of the scores of the signals present (0–100); a signal
  of the model without a value is left out of the mean and counted as missing.
- Bands: ``healthy`` at or above ``healthy_from`` (70), ``watch`` at or above
  ``watch_from`` (40), else ``at_risk``.
- The risk register: an open risk (flagged on or before ``as_of``, resolved_on blank
  or after it) overrides a better score: the band is the worse of the score's band
  and the risk's level (watch → watch; at_risk and critical → at_risk).
- Endangered: at risk by health or by the register (band ``at_risk``).

Rows are the accounts with a scored signal or an open risk. ``tables['signals']``
holds each account's per-signal breakdown (value, score, weight, contribution), which
answers "why is this account red?".
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
from kam.errors import ParameterError

__all__ = [
    "ANALYSIS",
    "BANDS",
    "OUTPUT_COLUMNS",
    "account_health",
    "health",
    "health_tables",
    "latest_signals",
    "open_risks",
    "signal_scores",
]

#: Bands from best to worst.
BANDS: tuple[str, ...] = ("healthy", "watch", "at_risk")
#: The tables of :func:`health_tables`, which the engine builds per data version.
_PREPARED = ("_health_signals", "_health_accounts")
#: The band a risk level of the register imposes at worst.
_LEVEL_RANK = {"watch": 1, "at_risk": 2, "critical": 3}

OUTPUT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("account_id", "the account"),
    ("name", "the account's name (Accounts sheet)"),
    ("health", "weighted mean of the signal scores (0–100); blank without signals"),
    ("score_band", "band of the health score alone: healthy, watch or at_risk"),
    ("risk_level", "worst open risk in the register (watch, at_risk, critical)"),
    ("band", "the worse of score_band and the open risk's band"),
    ("endangered", "true when at risk by health or by the register"),
    ("signals", "number of the model's signals with a value"),
    ("missing_signals", "number of the model's signals without a value"),
    ("weakest_signal", "the signal with the lowest score (ties by name)"),
    ("weakest_score", "its score (0–100)"),
)

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


def open_risks(risks: ir.Table, day: date) -> ir.Table:
    """The register's risks open on ``day``: flagged on or before it, not resolved
    by then."""
    return risks.filter(
        (risks.flagged_on <= day)
        & (risks.resolved_on.isnull() | (risks.resolved_on > day))
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


def _latest_on(tables: Mapping[str, ir.Table], day: date) -> ir.Table | None:
    """The pre-aggregate ``_latest_signals`` when it answers for ``day`` (``day`` on
    or after its last ``as_of``), else None (read the Signals rows)."""
    pre = tables.get("_latest_signals")
    if pre is None:
        return None
    last = pre.as_of.max().to_pyarrow().as_py()
    return pre if last is None or last <= day else None


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


def _band(value: ir.FloatingValue, healthy_from: float, watch_from: float) -> ir.Value:
    return ibis.cases((value >= healthy_from, 1), (value >= watch_from, 2), else_=3)


def account_health(
    signals: ir.Table,
    model: ir.Table,
    *,
    risks: ir.Table | None = None,
    accounts: ir.Table | None = None,
    as_of: date | None = None,
    healthy_from: float = 70.0,
    watch_from: float = 40.0,
    latest: ir.Table | None = None,
    prepared: Mapping[str, ir.Table] | None = None,
) -> AnalysisResult:
    """Health per account at ``as_of`` (default: today), with bands and the flag.

    ``latest``: the engine's ``_latest_signals`` when it answers for ``as_of``
    (see :func:`signal_scores`). ``prepared``: the tables of :func:`health_tables`
    built from it, read instead of scoring the signals again.

    Rows: :data:`OUTPUT_COLUMNS`, worst first (band, then health ascending, blank
    last, then account_id). Tables: ``signals`` (:data:`SIGNAL_COLUMNS`, per account
    and signal), ``bands`` (band, accounts). Summary: accounts, healthy, watch,
    at_risk, endangered, by_health, by_register, mean_health, headline.
    """
    if not 0 <= watch_from < healthy_from <= 100:
        raise ParameterError(
            "watch_from",
            f"bands need 0 ≤ watch_from < healthy_from ≤ 100, got {watch_from} and "
            f"{healthy_from}",
        )
    day = as_of or date.today()
    bands = (healthy_from, watch_from)
    n_model = int(model.count().to_pyarrow().as_py())
    if prepared is not None:
        per, detail = prepared["_health_accounts"], prepared["_health_signals"]
        breakdown = detail.order_by("account_id", "signal")
        data, parts = _fetch(per, breakdown, risks, accounts, day, n_model, bands)
        return _result(data, parts, day, bands)
    # The scored signals feed both the rows and the breakdown: build them once (a
    # temporary table, or a cached Spark frame).
    scored = _weighed(signal_scores(signals, model, day, latest=latest)).cache()
    try:
        breakdown = scored.order_by("account_id", "signal").select(*SIGNAL_COLUMNS)
        per = _named(_per_account(scored), accounts)
        data, parts = _fetch(per, breakdown, risks, accounts, day, n_model, bands)
    finally:
        scored.release()
    return _result(data, parts, day, bands)


def _weighed(scored: ir.Table) -> ir.Table:
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


def _per_account(scored: ir.Table) -> ir.Table:
    """``account_id, health, signals, weakest_signal, weakest_score`` of the
    weighed signals (:func:`_weighed`)."""
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
    ``_latest_signals`` (``derived``) and the HealthModel sheet (``tables``, by sheet
    name); none without them. They hold for any ``as_of`` that
    ``_latest_signals`` answers for (see :func:`signal_scores`).

    - ``_health_signals``: :data:`SIGNAL_COLUMNS` (the breakdown);
    - ``_health_accounts``: ``account_id, health, signals, weakest_signal,
      weakest_score, name`` (the per-account figures before the bands and the
      register).
    """
    latest, model = derived.get("_latest_signals"), tables.get("HealthModel")
    if latest is None or model is None:
        return {}
    scored = _weighed(signal_scores(latest, model, date.max, latest=latest))
    per = _named(_per_account(scored), tables.get("Accounts"))
    return {"_health_signals": scored.select(*SIGNAL_COLUMNS), "_health_accounts": per}


def _named(t: ir.Table, accounts: ir.Table | None) -> ir.Table:
    """``t`` with each account's ``name`` (Accounts sheet; blank without it)."""
    if accounts is None:
        return t.mutate(name=ibis.null("string"))
    names = accounts.select(acc_n=accounts.account_id, name=accounts.name)
    return t.left_join(names, t.account_id == names.acc_n).drop("acc_n")


def _fetch(
    per: ir.Table,
    breakdown: ir.Table,
    risks: ir.Table | None,
    accounts: ir.Table | None,
    day: date,
    n_model: int,
    bands: tuple[float, float],
) -> tuple[Any, Any]:
    """The rows (with by_health, by_register) from the named per-account figures
    (:func:`_per_account`, :func:`_named`) and the register, and the breakdown, as
    Arrow."""
    healthy_from, watch_from = bands
    if risks is not None:
        o = open_risks(risks, day)
        level = o.level.cases(*list(_LEVEL_RANK.items()), else_=0)
        reg = _named(o.group_by("account_id").agg(risk_rank=level.max()), accounts)
        reg = reg.rename(r_id="account_id", r_name="name")
        # Accounts with scored signals, an open risk or both.
        t = per.outer_join(reg, per.account_id == reg.r_id)
    else:
        none = ibis.null("string")
        t = per.mutate(r_id=none, r_name=none, risk_rank=ibis.null("int64"))
    health, signals = t.health, t.signals.fill_null(0)
    score_rank = ibis.cases(
        (health.isnull(), 0),
        else_=_band(health, healthy_from, watch_from),
    )
    risk_band = ibis.cases((t.risk_rank >= 2, 3), (t.risk_rank == 1, 2), else_=0)
    band_rank = ibis.greatest(score_rank, risk_band)
    names_of = {1: "healthy", 2: "watch", 3: "at_risk"}
    t = t.select(
        account_id=ibis.coalesce(t.account_id, t.r_id),
        name=ibis.coalesce(t.name, t.r_name),
        health=health,
        score_band=score_rank.cases(*list(names_of.items()), else_=ibis.null("string")),
        risk_level=t.risk_rank.cases(
            *[(v, k) for k, v in _LEVEL_RANK.items()], else_=ibis.null("string")
        ),
        band=band_rank.cases(*list(names_of.items()), else_=ibis.null("string")),
        endangered=band_rank == 3,
        signals=signals,
        missing_signals=n_model - signals,
        weakest_signal=t.weakest_signal,
        weakest_score=t.weakest_score,
        by_health=score_rank == 3,
        by_register=risk_band == 3,
        lacking=n_model - signals != 0,
        band_rank=band_rank,
    )
    ordered = t.order_by(
        t.band_rank.desc(), t.health.asc(nulls_first=False), t.account_id
    )
    data = ordered.drop("band_rank").to_pyarrow()
    return data, breakdown.to_pyarrow()


def _result(
    data: Any, detail: Any, day: date, bands: tuple[float, float]
) -> AnalysisResult:
    healthy_from, watch_from = bands
    # Counted by Arrow over the fetched columns, not row by row in Python.
    sizes = data.group_by("band").aggregate([("band", "count")]).to_pylist()
    in_band = {r["band"]: int(r["band_count"]) for r in sizes}
    counts = {b: in_band.get(b, 0) for b in BANDS}
    healths = [h for h in data.column("health").to_pylist() if h is not None]
    flags = column_sums(data, ("by_health", "by_register", "lacking"))
    by_health, by_register = flags["by_health"], flags["by_register"]
    endangered = counts["at_risk"]
    n = data.num_rows
    warnings: list[str] = []
    missing = flags["lacking"]
    if missing:
        warnings.append(
            f"{missing} accounts lack some of the model's signals: their health is "
            "the weighted mean of the signals present"
        )
    if not healths:
        warnings.append(f"no signal of the model measured on or before {day}")
    summary: dict[str, object] = {
        "as_of": day.isoformat(),
        "accounts": n,
        **counts,
        "endangered": endangered,
        "by_health": by_health,
        "by_register": by_register,
        "mean_health": sum(healths) / len(healths) if healths else None,
        "headline": f"{endangered} of {n} accounts endangered ({by_health} by "
        f"health, {by_register} by the risk register); {counts['healthy']} healthy",
    }
    parameters: dict[str, object] = {
        "as_of": day.isoformat(),
        "healthy_from": healthy_from,
        "watch_from": watch_from,
    }
    per_band: list[dict[str, object]] = [
        {"band": b, "accounts": counts[b]} for b in BANDS
    ]
    rows = Rows(data.select([c for c, _ in OUTPUT_COLUMNS]))
    return AnalysisResult(
        "health",
        parameters,
        summary,
        rows,
        {"signals": Rows(detail), "bands": per_band},
        warnings,
    )


def health(tables: Mapping[str, ir.Table], **options: object) -> AnalysisResult:
    """:func:`account_health` over the canonical tables keyed by store table name
    (and the pre-aggregate ``_latest_signals`` when it answers for ``as_of``)."""
    signals = need(tables, "signals", "Signals", "health")
    model = need(tables, "health_model", "HealthModel", "health")
    day = options.get("as_of") or date.today()
    # A date only (a datetime does not compare with the pre-aggregate's dates).
    latest = _latest_on(tables, day) if type(day) is date else None
    prepared = {n: tables[n] for n in _PREPARED if n in tables}
    return account_health(
        signals,
        model,
        risks=tables.get("risks"),
        accounts=tables.get("accounts"),
        latest=latest,
        prepared=prepared if latest is not None and len(prepared) == 2 else None,
        **{**options, "as_of": day},  # type: ignore[arg-type]
    )


ANALYSIS = Analysis(
    name="health",
    title="Account health",
    description="Signal scores, weighted health, bands and the endangered accounts "
    "(health or risk register).",
    parameters=(
        Parameter(
            "as_of",
            "date",
            None,
            "the day to look at (default: today)",
            setting="as_of",
        ),
        Parameter(
            "healthy_from",
            "float",
            70.0,
            "health at or above this is healthy",
            minimum=0,
            maximum=100,
        ),
        Parameter(
            "watch_from",
            "float",
            40.0,
            "health at or above this (and below healthy_from) is watch; below, at risk",
            minimum=0,
            maximum=100,
        ),
    ),
    needs=("Signals", "HealthModel"),
    output_columns=OUTPUT_COLUMNS,
    run=health,
)
