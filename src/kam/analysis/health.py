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

from kam.analysis.health_scores import (
    LEVEL_RANK,
    SIGNAL_COLUMNS,
    band_columns,
    health_tables,
    latest_signals,
    named,
    per_account,
    prepared_rows,
    signal_scores,
    weighed,
)
from kam.analysis.result import AnalysisResult, ArrowTable, Rows, column_sums
from kam.analysis.spec import Analysis, Parameter
from kam.analysis.upsell import need
from kam.errors import ParameterError

__all__ = [
    "ANALYSIS",
    "BANDS",
    "OUTPUT_COLUMNS",
    "SIGNAL_COLUMNS",
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


def open_risks(risks: ir.Table, day: date) -> ir.Table:
    """The register's risks open on ``day``: flagged on or before it, not resolved
    by then."""
    return risks.filter(
        (risks.flagged_on <= day)
        & (risks.resolved_on.isnull() | (risks.resolved_on > day))
    )


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

    ``latest``: the engine's ``_latest_signals``, read instead of the Signals rows
    when it answers for ``as_of`` (see :func:`signal_scores`; checked here).
    ``prepared``: the tables of :func:`health_tables` built from it, read instead of
    scoring the signals again when ``latest`` answers (always without ``latest``).

    Rows: :data:`OUTPUT_COLUMNS`, worst first (band, then health ascending, blank
    last, then account_id). Tables: ``signals`` (:data:`SIGNAL_COLUMNS`, per account
    and signal; fetched when first read), ``bands`` (band, accounts). Summary:
    accounts, healthy, watch, at_risk, endangered, by_health, by_register,
    mean_health, headline.
    """
    if not 0 <= watch_from < healthy_from <= 100:
        raise ParameterError(
            "watch_from",
            f"bands need 0 ≤ watch_from < healthy_from ≤ 100, got {watch_from} and "
            f"{healthy_from}",
        )
    day = as_of or date.today()
    bands = (healthy_from, watch_from)
    if prepared is not None:
        data = prepared_rows(prepared["_health_accounts"], latest, day, bands)
        if data is not None:
            return _result(data, prepared["_health_signals"], day, bands)
        latest = None  # the pre-aggregate is newer than as_of: score the Signals rows
    elif latest is not None and not _answers(latest, day):
        latest = None
    scored = weighed(signal_scores(signals, model, day, latest=latest))
    per = named(per_account(scored), accounts)
    data = _rows(per, model, risks, accounts, day, bands)
    return _result(data, scored.select(*SIGNAL_COLUMNS), day, bands)


def _answers(latest: ir.Table, day: date) -> bool:
    """Whether the pre-aggregate ``_latest_signals`` answers for ``day``: ``day`` on
    or after its last ``as_of``."""
    last = latest.as_of.max().to_pyarrow().as_py()
    return last is None or last <= day


def _register(risks: ir.Table, day: date) -> ir.Table:
    """``account_id, risk_rank``: each account's worst risk open on ``day`` (0 for
    a level outside :data:`LEVEL_RANK`)."""
    o = open_risks(risks, day)
    level = o.level.cases(*list(LEVEL_RANK.items()), else_=0)
    return o.group_by("account_id").agg(risk_rank=level.max())


def _rows(
    per: ir.Table,
    model: ir.Table,
    risks: ir.Table | None,
    accounts: ir.Table | None,
    day: date,
    bands: tuple[float, float],
) -> Any:
    """The rows (with by_health, by_register, lacking) from the named per-account
    figures (:func:`per_account`, :func:`named`) and the register, as Arrow."""
    if risks is not None:
        reg = named(_register(risks, day), accounts)
        reg = reg.rename(r_id="account_id", r_name="name")
        # Accounts with scored signals, an open risk or both.
        t = per.outer_join(reg, per.account_id == reg.r_id)
        account_id = ibis.coalesce(t.account_id, t.r_id)
        name = ibis.coalesce(t.name, t.r_name)
    else:
        t = per.mutate(risk_rank=ibis.null("int64"))
        account_id, name = t.account_id, t.name
    rank, signals = t.risk_rank, t.signals.fill_null(0)
    risk_band = ibis.cases((rank >= 2, 3), (rank == 1, 2), else_=0)
    missing = model.count().as_scalar() - signals
    t = t.select(
        account_id=account_id,
        name=name,
        health=t.health,
        risk_level=rank.cases(*[(v, k) for k, v in LEVEL_RANK.items()]),
        signals=signals,
        missing_signals=missing,
        weakest_signal=t.weakest_signal,
        weakest_score=t.weakest_score,
        by_register=risk_band == 3,
        lacking=missing != 0,
        **band_columns(t.health, risk_band, bands),
    )
    ordered = t.order_by(
        t.band_rank.desc(), t.health.asc(nulls_first=False), t.account_id
    )
    return ordered.to_pyarrow()


class _Breakdown(Rows):
    """The per-signal breakdown, fetched (by account and signal) when first read:
    five rows or so per account that the dashboard never shows, only the account
    page (one account's) and a full export."""

    __slots__ = ("_query", "_table")

    def __init__(self, query: ir.Table) -> None:
        self._query = query.order_by("account_id", "signal")
        self._table: ArrowTable | None = None
        self._convert = None
        self._cache = None

    @property
    def arrow(self) -> ArrowTable:
        if self._table is None:
            self._table = self._query.to_pyarrow()
        return self._table

    @arrow.setter
    def arrow(self, table: ArrowTable) -> None:
        self._table = table


def _result(
    data: Any, breakdown: ir.Table, day: date, bands: tuple[float, float]
) -> AnalysisResult:
    healthy_from, watch_from = bands
    # Counted by Arrow over the fetched columns, not row by row in Python.
    sizes = data.group_by("band").aggregate([("band", "count")]).to_pylist()
    in_band = {r["band"]: int(r["band_count"]) for r in sizes}
    counts = {b: in_band.get(b, 0) for b in BANDS}
    # Summed in row order, as Python sums a list.
    healths = data.column("health").drop_null().to_numpy().tolist()
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
        {"signals": _Breakdown(breakdown), "bands": per_band},
        warnings,
    )


def health(tables: Mapping[str, ir.Table], **options: object) -> AnalysisResult:
    """:func:`account_health` over the canonical tables keyed by store table name
    (and the pre-aggregates ``_latest_signals`` and :func:`health_tables`, read when
    ``_latest_signals`` answers for ``as_of``)."""
    signals = need(tables, "signals", "Signals", "health")
    model = need(tables, "health_model", "HealthModel", "health")
    day = options.get("as_of") or date.today()
    # A date only (a datetime does not compare with the pre-aggregate's dates).
    latest = tables.get("_latest_signals") if type(day) is date else None
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
