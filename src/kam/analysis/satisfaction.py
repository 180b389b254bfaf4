"""Satisfaction: NPS and CSAT per account, for the portfolio and over time
(analyses.md §4).

- NPS (answers 0–10) = % promoters (9–10) − % detractors (0–6), in points from −100
  to +100, with n (the number of answers).
- CSAT (answers 1–5) = share of answers of 4 or 5, with n and the mean answer.
- Per account and for the portfolio: the answers of the ``months`` months up to
  ``as_of`` (0 = every answer up to ``as_of``). Trend: every answer up to ``as_of``
  by month or quarter (``grain``).
- A figure on fewer than ``min_n`` (10) answers is flagged ``low_n`` and warned about.

One query counts the answers per account, one per trend period; the portfolio
figures add up the accounts' counts. The engine keeps the answers counted per account
and month (:func:`survey_months`, ``_survey_months``) and per month
(``_survey_month_totals``), built once per data version: the figures sum those
counts instead of the answers, unless a month counted holds answers after ``as_of``
(then the answers are read, see :func:`satisfaction_scores`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import ibis
import ibis.expr.types as ir

from kam.analysis.result import AnalysisResult, Rows, column_sums
from kam.analysis.score_values import ones
from kam.analysis.spec import Analysis, Parameter
from kam.analysis.upsell import need
from kam.errors import ParameterError

__all__ = [
    "ANALYSIS",
    "OUTPUT_COLUMNS",
    "TREND_GRAINS",
    "csat",
    "nps",
    "satisfaction",
    "satisfaction_scores",
    "survey_months",
]

TREND_GRAINS: tuple[str, ...] = ("month", "quarter")

OUTPUT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("account_id", "the account"),
    ("name", "the account's name (Accounts sheet)"),
    ("nps", "net promoter score in points (−100 to +100); blank without answers"),
    ("nps_n", "number of NPS answers"),
    ("promoters", "NPS answers of 9 or 10"),
    ("passives", "NPS answers of 7 or 8"),
    ("detractors", "NPS answers of 0 to 6"),
    ("csat", "share of CSAT answers of 4 or 5 (0–1); blank without answers"),
    ("csat_n", "number of CSAT answers"),
    ("csat_mean", "mean CSAT answer (1–5)"),
    ("low_n", "true when NPS or CSAT rests on fewer than min_n answers"),
)


def nps(promoters: int, detractors: int, n: int) -> float | None:
    """NPS in points: 100 × (promoters − detractors) / n; None when n is 0."""
    return 100.0 * (promoters - detractors) / n if n else None


def csat(satisfied: int, n: int) -> float | None:
    """CSAT share: satisfied (4–5) / n; None when n is 0."""
    return satisfied / n if n else None


#: The counts summed per account (and per month in the pre-aggregates).
COUNTS = ("nps_n", "promoters", "detractors", "csat_n", "satisfied", "csat_total")


def _counts(t: ir.Table, keys: list[str], **more: ir.Scalar) -> ir.Table:
    is_nps = t.instrument == "NPS"
    is_csat = t.instrument == "CSAT"
    return t.group_by(keys).agg(
        nps_n=ones(is_nps).sum(),
        promoters=ones(is_nps & (t.score >= 9)).sum(),
        detractors=ones(is_nps & (t.score <= 6)).sum(),
        csat_n=ones(is_csat).sum(),
        satisfied=ones(is_csat & (t.score >= 4)).sum(),
        csat_total=ibis.cases((is_csat, t.score), else_=0).sum(),
        **more,
    )


def _month_index(day: ir.DateValue) -> ir.IntegerValue:
    """year × 12 + month − 1 of ``day``."""
    return day.year().cast("int64") * 12 + day.month().cast("int64") - 1


def survey_months(
    surveys: ir.Table, accounts: ir.Table | None = None, *, by_account: bool = True
) -> ir.Table:
    """The answers (those with a date) counted per account and month: the engine's
    pre-aggregate ``_survey_months``, built once per data version.

    Columns: ``account_id``, ``name`` (of the Accounts sheet, blank without it),
    ``month`` (year × 12 + month − 1), the counts of :data:`COUNTS` and ``last_on``
    (the month's last answer date). With ``by_account=False``, the counts of every
    account per month (``month``, counts, ``last_on``: ``_survey_month_totals``).
    """
    t = surveys.filter(surveys.answered_on.notnull())
    t = t.mutate(month=_month_index(t.answered_on))
    keys = ["account_id", "month"] if by_account else ["month"]
    per = _counts(t, keys, last_on=t.answered_on.max())
    # Stored as whole numbers: a DuckDB sum (HUGEINT) would go to Parquet as a
    # float. A month's counts (and sum of CSAT answers) fit 32 bits.
    per = per.mutate(**{k: per[k].cast("int32") for k in COUNTS})
    if not by_account:
        return per
    if accounts is None:
        return per.mutate(name=ibis.null("string"))
    names = accounts.select(acc_n=accounts.account_id, name=accounts.name)
    return per.left_join(names, per.account_id == names.acc_n).drop("acc_n")


def _figures(r: dict[str, object], min_n: int) -> dict[str, object]:
    n, c = int(str(r["nps_n"])), int(str(r["csat_n"]))
    pro, det = int(str(r["promoters"])), int(str(r["detractors"]))
    sat, total = int(str(r["satisfied"])), int(str(r["csat_total"]))
    return {
        "nps": nps(pro, det, n),
        "nps_n": n,
        "promoters": pro,
        "passives": n - pro - det,
        "detractors": det,
        "csat": csat(sat, c),
        "csat_n": c,
        "csat_mean": total / c if c else None,
        "low_n": (0 < n < min_n) or (0 < c < min_n),
    }


def _shifted_month(day: date, months: int) -> date:
    """The first day of the month ``months − 1`` months before ``day``'s month."""
    index = day.year * 12 + day.month - 1 - (months - 1)
    return date(index // 12, index % 12 + 1, 1)


def _with_figures(per: ir.Table, min_n: int) -> ir.Table:
    """``per`` (counts per account) with each account's figures, worked out by the
    backend (the same float operations as :func:`nps` and :func:`csat`)."""
    n, c = per.nps_n, per.csat_n
    return per.mutate(
        nps=ibis.cases(
            (n > 0, (per.promoters - per.detractors).cast("float64") * 100.0 / n),
            else_=ibis.null("float64"),
        ),
        passives=n - per.promoters - per.detractors,
        csat=ibis.cases(
            (c > 0, per.satisfied.cast("float64") / c.cast("float64")),
            else_=ibis.null("float64"),
        ),
        csat_mean=ibis.cases(
            (c > 0, per.csat_total.cast("float64") / c.cast("float64")),
            else_=ibis.null("float64"),
        ),
        low_n=((n > 0) & (n < min_n)) | ((c > 0) & (c < min_n)),
    ).order_by("account_id")


def _from_months(
    by_month: ir.Table,
    totals: ir.Table | None,
    named: bool,
    day: date,
    since: date | None,
    min_n: int,
) -> tuple[Any, list[dict[str, object]]] | None:
    """The accounts' counts and figures (Arrow) and the monthly counts up to
    ``day`` summed from the pre-aggregates (:func:`survey_months`); None when the
    month of ``day`` holds answers after it (its counts cannot be split)."""
    last = day.year * 12 + day.month - 1
    monthly = None
    if totals is not None:
        # One row per month: read whole, the months after as_of left out here.
        every = totals.to_pyarrow().to_pylist()
        if any(r["month"] == last and r["last_on"] > day for r in every):
            return None
        monthly = [r for r in every if int(str(r["month"])) <= last]
    s = by_month.filter(by_month.month <= last)
    if since is not None:
        s = s.filter(s.month >= since.year * 12 + since.month - 1)
    # Summed as floats, which hold these whole numbers exactly: a whole-number sum
    # (DuckDB: HUGEINT) costs more, and more again to convert.
    sums = {k: s[k].cast("float64").sum().cast("int64") for k in COUNTS}
    if monthly is None:
        sums["late"] = ones(s.last_on > day).sum()
    per = s.group_by(["account_id", "name"]).agg(**sums)
    if not named:
        per = per.mutate(name=ibis.null("string"))
    fetched = _with_figures(per, min_n).to_pyarrow()
    if monthly is None:
        if column_sums(fetched, ("late",))["late"]:
            return None
        m = by_month.filter(by_month.month <= last)
        per_month = m.group_by("month").agg(**{k: m[k].sum() for k in COUNTS})
        monthly = per_month.to_pyarrow().to_pylist()
    return fetched, monthly


def _periods(monthly: list[dict[str, object]], grain: str) -> list[dict[str, object]]:
    """The monthly counts added up per trend period (``y``, ``p``), in order."""
    out: dict[tuple[int, int], dict[str, object]] = {}
    for r in monthly:
        y, m = divmod(int(str(r["month"])), 12)
        key = (y, m + 1 if grain == "month" else m // 3 + 1)
        into = out.setdefault(
            key, {"y": key[0], "p": key[1], **dict.fromkeys(COUNTS, 0)}
        )
        for k in COUNTS:
            into[k] = int(str(into[k])) + int(str(r[k] or 0))
    return [out[k] for k in sorted(out)]


def satisfaction_scores(
    surveys: ir.Table,
    *,
    accounts: ir.Table | None = None,
    as_of: date | None = None,
    months: int = 12,
    grain: str = "quarter",
    min_n: int = 10,
    by_month: ir.Table | None = None,
    month_totals: ir.Table | None = None,
) -> AnalysisResult:
    """NPS and CSAT with their n, per account, for the portfolio and by period.

    ``by_month`` and ``month_totals``: the pre-aggregates of ``surveys`` (and of
    ``accounts``' names) of :func:`survey_months`, read instead of the answers when
    no month up to ``as_of`` holds an answer after it (``as_of`` the last day of its
    month, or on or after the last answer); ``month_totals`` must count the answers
    ``by_month`` counts.

    Rows: :data:`OUTPUT_COLUMNS`, by account_id. Tables: ``trend`` (period, nps,
    nps_n, csat, csat_n, csat_mean, low_n). Summary: nps, nps_n, csat, csat_n,
    csat_mean, promoters, passives, detractors, since, as_of, headline.
    """
    if grain not in TREND_GRAINS:
        raise ParameterError("grain", f"{grain!r} is not one of month, quarter")
    if months < 0:
        raise ParameterError("months", f"{months!r} is not a whole number ≥ 0")
    if min_n < 1:
        raise ParameterError("min_n", f"{min_n!r} is not a whole number ≥ 1")
    day = as_of or date.today()
    since = _shifted_month(day, months) if months else None
    pre = None
    if by_month is not None:
        named = accounts is not None
        pre = _from_months(by_month, month_totals, named, day, since, min_n)
    if pre is not None:
        fetched: Any = pre[0]
        periods = _periods(pre[1], grain)
    else:
        fetched, periods = _from_answers(surveys, accounts, day, since, grain, min_n)
    rows = Rows(fetched.select([name for name, _ in OUTPUT_COLUMNS]))
    trend = [
        {
            "period": f"{r['y']:04d}-{r['p']:02d}"
            if grain == "month"
            else f"{r['y']:04d}-Q{r['p']}",
            **{
                k: v
                for k, v in _figures(r, min_n).items()
                if k in ("nps", "nps_n", "csat", "csat_n", "csat_mean", "low_n")
            },
        }
        for r in periods
    ]
    whole = column_sums(fetched, (*COUNTS, "low_n"))
    portfolio = _figures(dict(whole), min_n)
    warnings: list[str] = []
    for label, n in (("NPS", portfolio["nps_n"]), ("CSAT", portfolio["csat_n"])):
        if isinstance(n, int) and n < min_n:
            warnings.append(
                f"portfolio {label} rests on {n} answers (fewer than {min_n})"
            )
    low = whole["low_n"]
    if low:
        warnings.append(
            f"{low} accounts have a score on fewer than {min_n} answers (low_n)"
        )
    summary: dict[str, object] = {
        **{k: portfolio[k] for k in ("nps", "nps_n", "csat", "csat_n", "csat_mean")},
        **{k: portfolio[k] for k in ("promoters", "passives", "detractors")},
        "accounts": len(rows),
        "since": since.isoformat() if since else None,
        "as_of": day.isoformat(),
        "headline": _headline(portfolio),
    }
    parameters: dict[str, object] = {
        "as_of": day.isoformat(),
        "months": months,
        "grain": grain,
        "min_n": min_n,
    }
    return AnalysisResult(
        "satisfaction", parameters, summary, rows, {"trend": trend}, warnings
    )


def _from_answers(
    surveys: ir.Table,
    accounts: ir.Table | None,
    day: date,
    since: date | None,
    grain: str,
    min_n: int,
) -> tuple[Any, list[dict[str, object]]]:
    """The accounts' counts and figures (Arrow) and the counts per trend period
    (``y``, ``p``, in order), counted from the answers."""
    upto = surveys.filter(surveys.answered_on <= day)
    recent = upto if since is None else upto.filter(upto.answered_on >= since)
    per = _counts(recent, ["account_id"])
    if accounts is not None:
        names = accounts.select(acc_n=accounts.account_id, name=accounts.name)
        per = per.left_join(names, per.account_id == names.acc_n).drop("acc_n")
    else:
        per = per.mutate(name=ibis.null("string"))
    fetched = _with_figures(per, min_n).to_pyarrow()
    year, month = upto.answered_on.year(), upto.answered_on.month()
    step = month if grain == "month" else (month - 1) // 3 + 1
    by_period = _counts(upto.mutate(y=year, p=step), ["y", "p"])
    return fetched, by_period.order_by("y", "p").to_pyarrow().to_pylist()


def _headline(p: Mapping[str, object]) -> str:
    parts: list[str] = []
    score, n = p["nps"], p["nps_n"]
    if isinstance(score, float):
        parts.append(f"NPS {score:+.0f} (n = {n})")
    share, c, mean = p["csat"], p["csat_n"], p["csat_mean"]
    if isinstance(share, float) and isinstance(mean, float):
        parts.append(f"CSAT {share * 100:.0f} % satisfied, mean {mean:.2f} (n = {c})")
    return "; ".join(parts) if parts else "no survey answers"


def satisfaction(tables: Mapping[str, ir.Table], **options: object) -> AnalysisResult:
    """:func:`satisfaction_scores` over the canonical tables keyed by table name."""
    return satisfaction_scores(
        need(tables, "surveys", "Surveys", "satisfaction"),
        accounts=tables.get("accounts"),
        by_month=tables.get("_survey_months"),
        month_totals=tables.get("_survey_month_totals"),
        **options,  # type: ignore[arg-type]
    )


ANALYSIS = Analysis(
    name="satisfaction",
    title="Satisfaction (NPS, CSAT)",
    description="NPS and CSAT with their sample sizes, per account, for the "
    "portfolio and over time.",
    parameters=(
        Parameter(
            "as_of",
            "date",
            None,
            "last answer date counted (default: today)",
            setting="as_of",
        ),
        Parameter(
            "months",
            "int",
            12,
            "months of answers up to as_of in the account and portfolio figures "
            "(0 = all)",
            minimum=0,
        ),
        Parameter(
            "grain",
            "choice",
            "quarter",
            "period of the trend table",
            choices=TREND_GRAINS,
        ),
        Parameter(
            "min_n",
            "int",
            10,
            "fewer answers than this are flagged low_n and warned about",
            minimum=1,
        ),
    ),
    needs=("Surveys",),
    output_columns=OUTPUT_COLUMNS,
    run=satisfaction,
)
