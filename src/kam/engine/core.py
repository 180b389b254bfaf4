"""The engine: an Ibis backend where the canonical tables exist, kept per data version.

:func:`open_engine` picks the source (:mod:`kam.engine.sources`). The engine loads it
once per data version: canonical tables, then the derived tables every portfolio
analysis starts from (:data:`DERIVED`), materialised once and reused by every analysis
and every request until an import changes the data version.

PostgreSQL store, pushdown or snapshot. Measured on 10k accounts of the benchmark
generator (36 months: 362,763 MRR and 286,469 Revenue rows), PostgreSQL 15 on the same
2-core machine, medians of 3 runs, results cache off::

                                  pushdown (Ibis postgres)   snapshot (Parquet+DuckDB)
    build for a new data version  0.15–2.3 s (temp tables)   5.1 s (export + derive)
    pareto, revenue, last FY      0.38 s                     0.18 s
    abc, revenue, 3 FYs           3.2 s                      1.5 s

The snapshot answers a page (Pareto + ABC) twice as fast and pays its export once per
import, so the store is read through a snapshot on PostgreSQL too. Pushdown remains
one option away (``--source postgresql://…`` names the store's database directly).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date
from functools import wraps
from threading import RLock
from typing import Any

import duckdb
import ibis
import ibis.expr.types as ir
import pyarrow as pa
from ibis.backends import BaseBackend

from kam.analysis.result import AnalysisResult
from kam.analysis.year_ranks import YEAR_RANKS
from kam.config import Settings, get_settings
from kam.engine.cache import ResultCache, result_key
from kam.engine.scope import restrict
from kam.engine.sources import (
    BackendSource,
    Loaded,
    Source,
    parse_source,
    source_from_env,
)
from kam.errors import InputError
from kam.model import SETTINGS_DEFAULTS, SHEETS

__all__ = [
    "DERIVED",
    "EVENTS",
    "Engine",
    "derive",
    "derive_events",
    "one_data_version",
    "open_engine",
]

#: The yearly ranks before they are stored: the revenue values they rank, their
#: expression, the years ranked and those the pooled rows sum.
_Ranks = tuple[ir.Table, ir.Table, tuple[str, ...], tuple[str, ...]]

#: Data versions read inside :func:`one_data_version`, by engine.
_PINNED: ContextVar[dict[int, int] | None] = ContextVar("kam_pinned", default=None)


@contextmanager
def one_data_version() -> Iterator[None]:
    """Within the block, each engine asks its source for the data version once.

    A web page runs several analyses and queries; each would ask the store for its
    data version (a connection and a query each time). Inside this block the first
    answer holds for the rest of it, which also shows the page one version of the
    data throughout. For read-only work (a GET request): a block that changes the
    data and then reads it back would read the version from before its change.
    """
    token = _PINNED.set({})
    try:
        yield
    finally:
        _PINNED.reset(token)


#: Reserved names of the derived tables (never a sheet name: they start with ``_``).
DERIVED = (
    "_revenue_by_period",
    "_revenue_by_year",
    "_mrr_by_month",
    "_scores_by_criterion",
    "_scores_by_account",
    "_abc_year_classes",
    "_latest_signals",
    "_survey_months",
    "_survey_month_totals",
    "_onboarding_latest",
    "_profit_accounts",
)
#: The sheet each derived table sums.
_DERIVED_FOR = {"Revenue": "_revenue_by_period", "MRR": "_mrr_by_month"}
#: The derived tables summed from another one (rollups): name → (the table it sums,
#: the kind of rollup, see :func:`kam.analysis.facts.learn_facts`).
_ROLLUP_OF = {"_revenue_by_year": ("_revenue_by_period", "year")}
#: The derived tables a Pareto or ABC of revenue reads, which the engine builds
#: when it loads a data version. With them, on its own DuckDB, it ranks each
#: calendar year and ABC's default range once (:data:`YEAR_RANKS`, see
#: :mod:`kam.analysis.year_ranks`); on someone else's database it ranks them when
#: the first reader other than a Pareto or ABC of revenue needs the tables.
_AT_LOAD = frozenset({"_revenue_by_period", "_revenue_by_year"})
#: The other derived tables, which the engine builds when the first reader needs them
#: (unless the source keeps them): summing MRR per account and month costs several
#: times what the revenue sums cost (a ledger of 1M accounts: ~7 s of ~10 s), and a
#: Pareto or ABC of revenue reads none of them: not the ABC classes of each calendar
#: year (``_abc_year_classes``, classified from the yearly ranks by
#: :func:`kam.analysis.class_tables.ranked_year_classes`, or from the yearly rollup
#: by :func:`kam.analysis.class_tables.year_classes`), which the scoring matrix's
#: selection table, the premium upsell and the at-risk queue read with their default
#: parameters, nor the sums of scores, signals, surveys, onboarding and profit.
ON_DEMAND = frozenset(DERIVED) - _AT_LOAD
#: Analyses that read no :data:`ON_DEMAND` table unless their ``metric`` is MRR.
REVENUE_READERS = frozenset({"pareto", "abc"})
#: Reserved names of the tables built from the derived ones (:func:`derive_events`).
EVENTS = (
    "_health_signals",
    "_health_accounts",
    "_mrr_movements",
    "_mrr_movement_sums",
    "_mrr_plan_movements",
    "_mrr_plan_months",
    "_mrr_month_totals",
    "_mrr_cohort_cells",
    "_abc_month_classes",
    "_upsell_accounts",
    "_retention_views",
    "_retention_ttm",
)
#: The analyses that read the :data:`EVENTS` tables; the engine builds those tables
#: when the first of them runs on a data version.
EVENT_READERS = frozenset({"mrr", "mrr_bridge", "retention", "cohorts", "slipping"})


def derive(tables: Mapping[str, ibis.Table]) -> dict[str, ibis.Table]:
    """The derived tables of ``tables`` (keyed by sheet name), as expressions.

    - ``_revenue_by_period``: ``account_id, period, value`` — Revenue summed over
      products, each row at its own period
      (:func:`kam.analysis.preagg.revenue_by_period`);
    - ``_revenue_by_year``: ``account_id, period, value`` — that summed per account
      and year (:func:`kam.analysis.facts.by_year`), which a Pareto or ABC over
      whole years reads instead of twelve monthly rows per account; the engine
      sums it from the materialised ``_revenue_by_period``;
    - ``_mrr_by_month``: ``account_id, month, value`` — MRR summed over plans
      (:func:`kam.analysis.preagg.mrr_by_month`);
    - ``_scores_by_criterion``: ``account_id, criterion_id, x, low, high, raters,
      dups, multi, bad`` — the raters' scores of each pair
      (:func:`kam.analysis.scores.scores_by_criterion`), which the scoring matrix
      reads instead of the Scores rows;
    - ``_scores_by_account``: ``account_id, unknown, bad, criteria_scored, dups,
      multi`` and per criterion id of the Criteria sheet ``x__<id>, rows__<id>,
      spread__<id>, dup__<id>`` — the same spread over one row per account
      (:func:`kam.analysis.scores.scores_by_account`; left out when the ids cannot
      name columns), which the mean scoring reads first;
    - ``_latest_signals``: ``account_id, signal, as_of, value`` — each account's
      latest value of each signal (:func:`kam.analysis.health.latest_signals`),
      which health reads instead of the Signals history when ``as_of`` is on or
      after its last date;
    - ``_survey_months``: ``account_id, name, month, …`` — the survey answers
      counted per account and month, and ``_survey_month_totals`` per month (whole
      portfolio only) (:func:`kam.analysis.satisfaction.survey_months`), which
      satisfaction sums instead of the answers;
    - ``_onboarding_latest``: each account's latest onboarding stage with its name
      (:func:`kam.analysis.onboarding.current_stages`), which onboarding reads
      instead of the Onboarding rows when ``as_of`` is on or after the last entry;
    - ``_profit_accounts``: the Profit rows summed per account, with the
      account–product sums of up to eight products
      (:func:`kam.analysis.profit_rows.profit_accounts`), which the profit matrix
      reads instead of the rows when its range takes every period.
    """
    from kam.analysis.preagg import by_year, mrr_by_month, revenue_by_period

    out: dict[str, ibis.Table] = {}
    if "Revenue" in tables:
        out["_revenue_by_period"] = revenue_by_period(tables["Revenue"])
        # In period order: a scan of one year skips the row groups of the others.
        out["_revenue_by_year"] = by_year(out["_revenue_by_period"]).order_by("period")
    if "MRR" in tables:
        out["_mrr_by_month"] = mrr_by_month(tables["MRR"])
    if "Scores" in tables:
        from kam.analysis.scores import scores_by_criterion

        out["_scores_by_criterion"] = scores_by_criterion(tables["Scores"])
    if "Scores" in tables and "Criteria" in tables:
        from kam.analysis.scores import scores_by_account

        wide = scores_by_account(tables["Scores"], tables["Criteria"])
        if wide is not None:
            out["_scores_by_account"] = wide
    if "Signals" in tables:
        from kam.analysis.health import latest_signals

        out["_latest_signals"] = latest_signals(tables["Signals"])
    if "Surveys" in tables:
        from kam.analysis.satisfaction import survey_months

        surveys, accounts = tables["Surveys"], tables.get("Accounts")
        out["_survey_months"] = survey_months(surveys, accounts)
        out["_survey_month_totals"] = survey_months(surveys, by_account=False)
    if "Onboarding" in tables:
        from kam.analysis.onboarding import current_stages

        out["_onboarding_latest"] = current_stages(
            tables["Onboarding"], tables.get("Accounts")
        )
    if "Profit" in tables:
        from kam.analysis.profit_rows import profit_accounts

        out["_profit_accounts"] = profit_accounts(tables["Profit"])
    return out


def derive_events(
    tables: Mapping[str, ibis.Table], derived: Mapping[str, ibis.Table]
) -> dict[str, ibis.Table]:
    """The MRR tables built once per data version from the materialised derived
    tables (``derived``, their facts learnt) and the canonical ``tables``.

    - ``_health_signals`` and ``_health_accounts``: the scored signals of
      ``_latest_signals`` and their per-account figures
      (:func:`kam.analysis.health.health_tables`), which health reads when
      ``_latest_signals`` answers for its ``as_of``;
    - ``_mrr_movements``: ``account_id, pidx, kind, amount, start, end, cohort`` —
      each account's monthly movement events
      (:func:`kam.analysis.movements.mrr_movements`), which the bridge, retention,
      cohorts and slipping sum instead of classifying every month again;
    - ``_mrr_movement_sums``: those events summed per month and kind
      (:func:`kam.analysis.movements.summed_events`; summed from the materialised
      events by :meth:`Engine._reload`, whole portfolio only);
    - ``_mrr_plan_movements``: the same per account and plan (the by-plan views);
    - ``_mrr_plan_months`` (``month, plan, mrr, accounts``) and
      ``_mrr_month_totals`` (``month, mrr, accounts``): the monthly sums of
      :mod:`kam.analysis.mrr`. Without ``account_id``, the sums hold only for the
      whole portfolio: :meth:`Engine.tables` leaves them out for a restricted reader.
    - ``_mrr_cohort_cells`` (``cohort, pidx, accounts, value``): the monthly cohort
      cells (:func:`kam.analysis.movements.cohort_cells`; summed from the
      materialised events like the movement sums, whole portfolio only).
    - ``_abc_month_classes``: the ABC classes (default cut-offs) of the MRR in the
      last two months (:mod:`kam.analysis.class_tables`), which retention, slipping,
      upsell and the at-risk queue read instead of classifying again; whole
      portfolio only.
    - ``_upsell_accounts`` (``account, name, mrr, premium_mrr``): the accounts with
      MRR in the last month (:func:`kam.analysis.upsell.upsell_tables`), which the
      premium upsell and the at-risk queue read instead of summing that month;
      whole portfolio only.

    :meth:`Engine._build_events` sums ``_retention_views`` and ``_retention_ttm``
    (:func:`kam.analysis.retention_views.retention_tables`: the default retention's
    last month by class, owner and plan, and its trailing twelve months) from the
    materialised events, whole portfolio only.
    """
    from kam.analysis.class_tables import class_tables
    from kam.analysis.health import health_tables
    from kam.analysis.movements import mrr_month_range, mrr_movements, plan_movements
    from kam.analysis.mrr import month_totals, plan_month_sums
    from kam.analysis.upsell import upsell_tables
    from kam.errors import MissingDataError

    am = derived.get("_mrr_by_month")
    if am is None or "MRR" not in tables:
        return health_tables(tables, derived)
    try:
        last = mrr_month_range({"_mrr_by_month": am})[1]
    except MissingDataError:
        return health_tables(tables, derived)
    raw = tables["MRR"]
    return {
        **health_tables(tables, derived),
        "_mrr_movements": mrr_movements(am, last),
        "_mrr_plan_movements": plan_movements(raw, last),
        "_mrr_plan_months": plan_month_sums(raw),
        "_mrr_month_totals": month_totals(am),
        **class_tables(am, last),
        **upsell_tables(tables, last),
    }


class Engine:
    """Canonical and derived tables of one source, refreshed per data version.

    Thread-safe: one engine may serve several requests of a web worker. A DuckDB
    connection runs one query at a time, so the engine holds one lock (re-entrant)
    around everything that uses its backend: loading a data version, the settings,
    :meth:`run`, and :meth:`execute` / :meth:`to_pyarrow` / :meth:`scalar` for any
    other query over the tables it hands out. The backend the engine owns also takes
    that lock in its own ``execute`` and ``to_pyarrow``, so a table from
    :meth:`tables` run directly (``t.to_pyarrow()``) is serialised too; code outside
    the engine should still prefer :meth:`execute` and friends, which say so.
    """

    def __init__(self, source: Source, *, settings: Settings | None = None) -> None:
        self.source = source
        self.settings = settings or get_settings()
        #: How many times this engine (re)loaded its source; a test can observe that
        #: an unchanged data version reuses what was built.
        self.loads = 0
        self._loaded: Loaded | None = None
        self._derived: dict[str, ibis.Table] = {}
        #: The :data:`ON_DEMAND` tables of the loaded version not built yet.
        self._pending: dict[str, ibis.Table] = {}
        self._events_built = False
        #: The yearly ranks to build on first need (a source not our own).
        self._ranked: _Ranks | None = None
        self._defaults: dict[str, Any] | None = None
        self._lock = RLock()
        #: Results of :meth:`run` by data version, analysis, parameters and accounts.
        self.results: ResultCache[AnalysisResult] = ResultCache(
            self.settings.result_cache_size
        )

    # ------------------------------------------------------------------ loading

    def _current(self) -> Loaded:
        """The loaded source, reloaded first when the data version moved on.

        The version is read without the lock (it asks the store, not the backend),
        so that a request answered from the results cache never waits for another
        request's query.
        """
        pinned = _PINNED.get()
        loaded = self._loaded
        if (
            pinned is not None
            and loaded is not None
            and pinned.get(id(self)) == loaded.version
        ):
            return loaded
        # No version read in this block yet, or another thread has loaded a newer
        # one since: ask the source.
        version = self.source.current_version()
        if loaded is None or loaded.version != version:
            with self._lock:
                if self._loaded is None or self._loaded.version != version:
                    self._reload()
                loaded = self._loaded
                assert loaded is not None
        if pinned is not None:
            pinned[id(self)] = loaded.version
        return loaded

    def _reload(self) -> None:
        from kam.analysis.class_tables import (
            YEAR_CLASSES,
            ranked_year_classes,
            year_classes,
        )

        old = self._loaded
        self._release()
        loaded = self.source.load(derive)
        if self.source.scratch or self.source.owns:
            _guard(loaded.backend, self._lock)
        derived = dict(loaded.derived)
        pending: dict[str, ibis.Table] = {}
        for name, expr in derive(loaded.tables).items():
            if name in derived or name in _ROLLUP_OF:
                continue
            if name in ON_DEMAND:
                pending[name] = expr
            else:
                derived[name] = self._materialise(loaded.backend, name, expr)
        self._rollups(loaded, derived)
        self._learn(derived)
        self._ranked = None
        ranks = self._year_ranks(derived)
        if ranks is not None and self.source.scratch:
            # Our own DuckDB: ranked at load, and an ABC of revenue reads the ranks.
            self._store_ranks(loaded, derived, ranks)
        elif ranks is not None:
            # Someone else's database: ranked when the first other reader comes.
            pending[YEAR_RANKS] = ranks[1]
            self._ranked = ranks
        if YEAR_CLASSES not in derived:
            if YEAR_RANKS in derived:
                pending[YEAR_CLASSES] = ranked_year_classes(derived[YEAR_RANKS])
            elif "_revenue_by_year" in derived:
                pending[YEAR_CLASSES] = year_classes(derived["_revenue_by_year"])
        self._loaded, self._derived, self._defaults = loaded, derived, None
        self._pending = pending
        self._events_built = False
        self.loads += 1
        if (
            old is not None
            and old.backend is not loaded.backend
            and self.source.scratch
        ):
            old.backend.disconnect()

    def _build_events(self) -> None:
        """Materialise the MRR event tables (:data:`EVENTS`) of the loaded data
        version, once, when the first analysis that reads them runs: building them
        costs far more than the other derived tables, and most engines (a Pareto
        from the CLI, a deck of the planning tools) never need them."""
        loaded = self._current()
        if self._events_built:
            return
        from kam.analysis.movements import cohort_cells, summed_events

        # The events are built from the derived tables (MRR sums, latest signals).
        self._build_pending()
        derived = self._derived
        for name, expr in derive_events(loaded.tables, derived).items():
            if name not in derived:
                if self.source.scratch and "pidx" in expr.columns:
                    # Stored in month order, a month's events sit in a few row
                    # groups that DuckDB's zone maps find without a full scan.
                    expr = expr.order_by("pidx")
                derived[name] = self._materialise(loaded.backend, name, expr)
        if "_mrr_movements" in derived and "_mrr_movement_sums" not in derived:
            derived["_mrr_movement_sums"] = self._materialise(
                loaded.backend,
                "_mrr_movement_sums",
                summed_events(derived["_mrr_movements"]),
            )
        if "_mrr_movements" in derived and "_mrr_cohort_cells" not in derived:
            derived["_mrr_cohort_cells"] = self._materialise(
                loaded.backend,
                "_mrr_cohort_cells",
                cohort_cells(derived["_mrr_movements"]),
            )
        from kam.analysis.retention_views import retention_tables

        canonical = {
            SHEETS[n].table: t for n, t in loaded.tables.items() if n in SHEETS
        }
        for name, expr in retention_tables({**canonical, **derived}).items():
            if name not in derived:
                derived[name] = self._materialise(loaded.backend, name, expr)
        self._events_built = True

    def _build_pending(self) -> None:
        """Materialise the :data:`ON_DEMAND` tables of the loaded data version that
        are not built yet and learn their facts. Call with the lock held."""
        loaded = self._loaded
        if loaded is None or not self._pending:
            return
        for name, expr in list(self._pending.items()):
            if name == YEAR_RANKS and self._ranked is not None:
                self._store_ranks(loaded, self._derived, self._ranked)
                del self._pending[name]
                continue
            table = self._materialise(loaded.backend, name, expr)
            self._derived[name] = table
            del self._pending[name]
            self._learn({name: table})

    def _year_ranks(self, derived: Mapping[str, ibis.Table]) -> _Ranks | None:
        """The ranking of each calendar year of revenue
        (:func:`kam.analysis.year_ranks.year_ranks`) with the years it ranks and those
        its pooled rows sum, when the yearly rollup is there."""
        from kam.analysis.preagg import metric_values
        from kam.analysis.year_ranks import year_ranks

        if "_revenue_by_year" not in derived or YEAR_RANKS in derived:
            return None
        values = metric_values({"revenue": derived["_revenue_by_period"]}, "revenue")
        return (values, *year_ranks(values))

    def _store_ranks(
        self, loaded: Loaded, derived: dict[str, ibis.Table], ranks: _Ranks
    ) -> None:
        """Materialise the yearly ranks and register them with the facts of the
        revenue values (:func:`kam.analysis.year_ranks.learn_ranks`)."""
        from kam.analysis.year_ranks import learn_ranks

        values, expr, years, pooled = ranks
        table = self._materialise(loaded.backend, YEAR_RANKS, expr)
        derived[YEAR_RANKS] = table
        learn_ranks(values, table, years, pooled)

    def _rollups(self, loaded: Loaded, derived: dict[str, ibis.Table]) -> None:
        """Sum the rollups (:data:`_ROLLUP_OF`) from the materialised tables they
        sum, unless the source kept one beside the very table it sums."""
        from kam.analysis.preagg import by_year

        for name, (base, _) in _ROLLUP_OF.items():
            if base not in derived:
                derived.pop(name, None)
            elif name not in loaded.derived or base not in loaded.derived:
                derived[name] = self._materialise(
                    loaded.backend, name, by_year(derived[base]).order_by("period")
                )

    def _metric_tables(self, derived: Mapping[str, ibis.Table]) -> list[ibis.Table]:
        """The values tables Pareto and ABC read from the derived tables."""
        from kam.analysis.preagg import metric_values

        by_table = {
            SHEETS[sheet].table: derived[name]
            for sheet, name in _DERIVED_FOR.items()
            if name in derived
        }
        return [metric_values({m: t}, m) for m, t in by_table.items()]

    def _learn(self, derived: Mapping[str, ibis.Table]) -> None:
        # Periods and negative values of the derived tables, queried once per data
        # version, so that each analysis skips those two scans.
        from kam.analysis.preagg import learn_facts, metric_values

        for sheet, name in _DERIVED_FOR.items():
            if name not in derived:
                continue
            metric = SHEETS[sheet].table
            rollups = {
                kind: derived[rollup]
                for rollup, (base, kind) in _ROLLUP_OF.items()
                if base == name and rollup in derived
            }
            learn_facts(metric_values({metric: derived[name]}, metric), rollups=rollups)

    def _release(self) -> None:
        """Drop the cached derived tables while their connection is still open.

        Ibis drops a cached table when the expression is garbage collected, which
        fails (noisily) once the connection is closed.
        """
        from kam.analysis.preagg import forget_facts

        for values in self._metric_tables(self._derived):
            forget_facts(values)
        for table in self._derived.values():
            release = getattr(table, "release", None)
            if release is not None:
                release()
        self._derived = {}
        self._pending = {}

    def _materialise(
        self, backend: BaseBackend, name: str, expr: ibis.Table
    ) -> ibis.Table:
        if self.source.scratch:
            # Our own in-memory DuckDB: a plain table, replaced on the next version.
            try:
                return backend.create_table(name, expr, overwrite=True)
            except duckdb.OutOfMemoryException:
                # Each thread keeps its own share of a big sort or aggregate in
                # memory; one thread spills the rest within the memory limit (at 1M
                # accounts the MRR events by plan: 2 threads fail, 1 succeeds).
                with _one_thread(backend):
                    return backend.create_table(name, expr, overwrite=True)
        # Someone else's database: a temporary table (or Spark cache) of the session.
        return expr.cache()

    # ------------------------------------------------------------------ public

    @property
    def lock(self) -> RLock:
        """The engine's re-entrant lock, for a caller that must run several queries
        over the engine's tables as one step (the engine's methods take it)."""
        return self._lock

    @property
    def data_version(self) -> int:
        """The data version of the tables handed out (the store's, or a file stamp)."""
        return self._current().version

    @property
    def backend(self) -> BaseBackend:
        """The Ibis backend the tables live in."""
        return self._current().backend

    def tables(
        self, *, accounts: Collection[str] | None = None, built_only: bool = False
    ) -> dict[str, ibis.Table]:
        """Canonical tables by sheet name, plus the derived tables (:data:`DERIVED`).

        With ``accounts``, every table is restricted to those accounts (see
        :mod:`kam.engine.scope`); derived tables are filtered, not rebuilt, since
        each of their rows belongs to one account, and derived tables without an
        ``account_id`` (portfolio sums) are left out. The :data:`ON_DEMAND` tables
        are built first unless ``built_only``, which leaves out those not built yet
        (an analysis then sums the sheet rows itself).
        """
        with self._lock:
            self._current()
            if not built_only:
                self._build_pending()
            out = dict(self._loaded.tables if self._loaded is not None else {})
            out.update(self._derived)
        if accounts is not None:
            out = {
                name: t
                for name, t in out.items()
                if name in SHEETS or "account_id" in t.columns
            }
            out = restrict(out, accounts)
        return out

    def execute(self, expr: ir.Expr) -> Any:
        """``expr.execute()`` under the engine's lock (for any expression over the
        tables of :meth:`tables`)."""
        with self._lock:
            return expr.execute()

    def to_pyarrow(self, expr: ir.Table) -> pa.Table:
        """``expr.to_pyarrow()`` under the engine's lock: the rows as Arrow."""
        with self._lock:
            table: pa.Table = expr.to_pyarrow()
            return table

    def scalar(self, expr: ir.Scalar) -> Any:
        """The Python value of a scalar expression, queried under the engine's lock."""
        with self._lock:
            return expr.to_pyarrow().as_py()

    def defaults(self) -> dict[str, Any]:
        """Analysis defaults from the Settings sheet (else the workspace settings).

        Keys: ``pareto_threshold`` (float), ``abc_cutoffs`` (tuple of floats),
        ``fiscal_year_start`` (int 1–12), ``as_of`` (date or ``None``),
        ``renewal_window_days`` (int), ``currency``.
        """
        with self._lock:
            loaded = self._current()
            if self._defaults is None:
                self._defaults = _defaults(loaded.tables, self.settings)
            return dict(self._defaults)

    def analysis_tables(
        self,
        analysis: str,
        *,
        accounts: Collection[str] | None = None,
        params: Mapping[str, object] | None = None,
    ) -> dict[str, ibis.Table]:
        """The tables ``analysis`` takes: the canonical ones keyed by store table
        name (``revenue``), and the derived ones under their own names
        (:data:`DERIVED`, :data:`EVENTS`), which an analysis reads in preference to
        summing the canonical ones again (see :mod:`kam.analysis.preagg`).

        The :data:`ON_DEMAND` tables are built first, except for the
        :data:`REVENUE_READERS` when ``params`` name no ``metric`` or another one
        than ``mrr``.
        """
        if analysis in EVENT_READERS:
            with self._lock:
                self._build_events()
        metric = str((params or {}).get("metric") or "revenue").strip().lower()
        revenue_only = analysis in REVENUE_READERS and metric != "mrr"
        tables = self.tables(accounts=accounts, built_only=revenue_only)
        out = {SHEETS[name].table: t for name, t in tables.items() if name in SHEETS}
        out.update({n: t for n, t in tables.items() if n.startswith("_")})
        return out

    def run(
        self,
        analysis: str,
        params: Mapping[str, object] | None = None,
        *,
        accounts: Collection[str] | None = None,
    ) -> AnalysisResult:
        """Run a registry analysis with the workbook's settings as defaults.

        Results are cached per data version, parameters and accounts: the same
        request against unchanged data is answered without a query.
        """
        from kam.analysis.registry import run

        params = dict(params or {})
        key = result_key(self.data_version, analysis, params, accounts)

        def compute() -> AnalysisResult:
            with self._lock:
                return run(
                    analysis,
                    self.analysis_tables(analysis, accounts=accounts, params=params),
                    params,
                    defaults=self.defaults(),
                )

        return self.results.get_or_compute(key, compute)

    def close(self) -> None:
        """Release the backend if the engine created it."""
        with self._lock:
            self._release()
            owned = self.source.scratch or self.source.owns
            if self._loaded is not None and owned:
                self._loaded.backend.disconnect()
            elif owned and isinstance(self.source, BackendSource):
                self.source.backend.disconnect()
            self._loaded = None
            self._derived = {}


@contextmanager
def _one_thread(backend: BaseBackend) -> Iterator[None]:
    """Within the block, the engine's DuckDB runs each query on one thread."""
    threads = backend.raw_sql("SELECT current_setting('threads')").fetchone()[0]
    backend.raw_sql("SET threads = 1")
    try:
        yield
    finally:
        backend.raw_sql(f"SET threads = {int(threads)}")


def _guard(backend: BaseBackend, lock: RLock) -> None:
    """Make ``backend`` (one the engine owns) run its queries under ``lock``.

    Ibis runs every expression of a backend through its ``execute`` or
    ``to_pyarrow`` (``to_pandas`` and ``to_polars`` go through them): wrapping the
    two on this instance serialises queries that callers run on the handed-out
    tables themselves.
    """
    for name in ("execute", "to_pyarrow"):
        method = getattr(backend, name)
        if getattr(method, "_kam_guarded", False):
            continue
        setattr(backend, name, _locked(method, lock))


def _locked(method: Callable[..., Any], lock: RLock) -> Callable[..., Any]:
    @wraps(method)
    def call(*args: Any, **kwargs: Any) -> Any:
        with lock:
            return method(*args, **kwargs)

    call._kam_guarded = True  # type: ignore[attr-defined]
    return call


def _setting_rows(tables: Mapping[str, ibis.Table]) -> dict[str, str]:
    if "Settings" not in tables:
        return {}
    data = tables["Settings"].to_pyarrow()
    keys = data.column("key").to_pylist()
    values = data.column("value").to_pylist()
    return {
        str(k).strip().casefold(): str(v).strip()
        for k, v in zip(keys, values, strict=True)
        if k
    }


def _defaults(tables: Mapping[str, ibis.Table], settings: Settings) -> dict[str, Any]:
    given = _setting_rows(tables)

    def text(key: str, fallback: str) -> str:
        value = given.get(key, "")
        return value if value else fallback

    def fail(key: str, expected: str) -> InputError:
        return InputError(
            f"Settings sheet, key {key}: {given.get(key)!r} is not {expected}"
        )

    try:
        threshold = float(
            text("pareto_threshold", SETTINGS_DEFAULTS["pareto_threshold"])
        )
    except ValueError as exc:
        raise fail("pareto_threshold", "a number such as 0.80") from exc
    try:
        cutoffs = tuple(
            float(p)
            for p in text("abc_cutoffs", SETTINGS_DEFAULTS["abc_cutoffs"]).split(",")
        )
    except ValueError as exc:
        raise fail("abc_cutoffs", "two numbers such as 0.80,0.95") from exc
    fy = text("fiscal_year_start", str(settings.fiscal_year_start))
    if not fy.isdigit() or not 1 <= int(fy) <= 12:
        raise fail("fiscal_year_start", "a month number from 1 to 12")
    as_of_text = text("as_of", SETTINGS_DEFAULTS["as_of"])
    try:
        as_of = date.fromisoformat(as_of_text[:10]) if as_of_text else None
    except ValueError as exc:
        raise fail("as_of", "a date (YYYY-MM-DD)") from exc
    window = text("renewal_window_days", SETTINGS_DEFAULTS["renewal_window_days"])
    try:
        days = float(window)
    except ValueError as exc:
        raise fail("renewal_window_days", "a whole number of days ≥ 0") from exc
    if days < 0 or not days.is_integer():
        raise fail("renewal_window_days", "a whole number of days ≥ 0")
    return {
        "pareto_threshold": threshold,
        "abc_cutoffs": cutoffs,
        "renewal_window_days": int(days),
        "fiscal_year_start": int(fy),
        "as_of": as_of,
        "currency": text("currency", settings.currency),
    }


def open_engine(
    source: str | BaseBackend | None = None, *, settings: Settings | None = None
) -> Engine:
    """The engine over ``source`` (see :mod:`kam.engine.sources`).

    ``None``: ``KAM_SOURCE`` when set, else the store of ``settings.database_url``. A
    live Ibis backend (for instance ``ibis.pyspark.connect(session)``) is used as it
    is, its tables named after the sheets.
    """
    settings = settings or get_settings()
    if isinstance(source, BaseBackend):
        return Engine(
            BackendSource(source, label=f"{source.name} backend"), settings=settings
        )
    text = source if source is not None else source_from_env() or "store"
    return Engine(
        parse_source(text, database_url=settings.database_url), settings=settings
    )
