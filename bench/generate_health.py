"""Account-health sheets for the dashboard benchmark: Surveys, Onboarding, Signals,
HealthModel, Risks and Settings, and the Accounts sheet with owners and renewals.

:mod:`bench.generate` writes the revenue side of a portfolio (Accounts, Products,
MRR, Revenue). The dashboard also shows onboarding, NPS/CSAT, health and the
at-risk queue, which read these sheets; without them those analyses would not run
and the dashboard case would time only half the page. What is generated, for a
portfolio of *n* accounts whose data ends in 2025-12 (the ``as_of`` of the Settings
sheet is 2025-12-31):

- ``Accounts``: the generated sheet plus ``owner`` (one of ``n / 500`` KAMs, at
  least 5) and ``renewal_date`` (the first anniversary of ``customer_since`` after
  2025-12-31, so ~25 % fall in the 90-day renewal window);
- ``HealthModel``: five signals (weekly logins, active-user share, open tickets,
  last NPS, days since the last login), two of them lower-is-better;
- ``Signals``: each signal measured at the first of each of the last three months of
  the data for every account (15 rows per account);
- ``Surveys``: over the 36 months, an NPS answer per year from ~40 % of accounts
  and two CSAT answers per year from ~30 % (~0.9 rows per account per year);
- ``Onboarding``: for the accounts that became customers inside the window (~20 %),
  one row per stage reached (kickoff … complete), a target go-live 90 days after the
  kickoff, ~15 % of the unfinished ones past it;
- ``Risks``: ~6 % of accounts with one risk (watch 50 %, at_risk 35 %, critical
  15 %) flagged in 2025, about half of them resolved by the end of the data.

Deterministic in ``(n, seed)``; written as Parquet next to a ``manifest.json`` and
reused while the generator version and the Accounts file it extends are unchanged.
"""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

__all__ = ["SHEETS", "generate_health"]

GENERATOR_VERSION = 1
#: The sheets written (file stems).
SHEETS = (
    "Accounts",
    "HealthModel",
    "Signals",
    "Surveys",
    "Onboarding",
    "Risks",
    "Settings",
)
_AS_OF = date(2025, 12, 31)
_DAY0 = np.datetime64("2023-01-01")
_END = np.datetime64("2025-12-31")
_STAGES = ("kickoff", "setup", "first_value", "adoption", "complete")
_REASONS = (
    "usage down",
    "champion left",
    "budget cut",
    "support escalation",
    "competitor evaluation",
    "late payments",
)
#: signal, weight, good, poor; and how each account's values are drawn (mean of
#: the good/poor mix, spread).
_MODEL = (
    ("weekly_logins", 3.0, 20.0, 2.0),
    ("active_user_share", 2.0, 0.8, 0.2),
    ("open_tickets", 1.0, 0.0, 10.0),
    ("last_nps", 2.0, 9.0, 4.0),
    ("days_since_login", 2.0, 3.0, 60.0),
)


def _dates(days: np.ndarray[Any, Any]) -> pa.Array:
    return pa.array((_DAY0 + days.astype("timedelta64[D]")).astype("datetime64[D]"))


def _manifest(out: Path) -> dict[str, Any]:
    try:
        data: dict[str, Any] = json.loads((out / "manifest.json").read_text())
    except (OSError, ValueError):
        return {}
    return data


def generate_health(accounts: Path, out: Path, *, seed: int = 1) -> Path:
    """Write the sheets of the module docstring for the accounts of the Parquet
    file ``accounts`` into the folder ``out`` (returned); reuse them when present."""
    stat = accounts.stat()
    stamp = {
        "version": GENERATOR_VERSION,
        "seed": seed,
        "accounts": str(accounts.resolve()),
        "accounts_size": stat.st_size,
        "accounts_mtime": stat.st_mtime_ns,
    }
    if _manifest(out) == stamp and all((out / f"{s}.parquet").exists() for s in SHEETS):
        return out
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    rng = np.random.default_rng([seed, 7_042])
    acc = pq.read_table(accounts)
    for name, table in _sheets(acc, rng).items():
        pq.write_table(table, tmp / f"{name}.parquet")
    (tmp / "manifest.json").write_text(json.dumps(stamp))
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
    return out


def _sheets(acc: pa.Table, rng: np.random.Generator) -> dict[str, pa.Table]:
    n = acc.num_rows
    ids = acc.column("account_id").combine_chunks()
    since = acc.column("customer_since").combine_chunks()
    since_days = (
        since.to_numpy(zero_copy_only=False).astype("datetime64[D]") - _DAY0
    ).astype(np.int64)
    out: dict[str, pa.Table] = {}

    # Accounts: owners and renewals.
    kams = max(5, n // 500)
    owner = pa.array(
        np.char.add("kam-", np.char.zfill(rng.integers(1, kams + 1, n).astype(str), 4))
    )
    s = since.to_numpy(zero_copy_only=False).astype("datetime64[D]")
    # The anniversary in 2026 (the day of the year of customer_since).
    renewal_dates = np.datetime64("2026-01-01") + (s - s.astype("datetime64[Y]"))
    drop = [c for c in ("owner", "renewal_date") if c in acc.column_names]
    acc = acc.drop_columns(drop)
    out["Accounts"] = acc.append_column("owner", owner).append_column(
        "renewal_date", pa.array(renewal_dates)
    )

    # HealthModel and Signals: three monthly measurements per account.
    out["HealthModel"] = pa.table(
        {
            "signal": [m[0] for m in _MODEL],
            "weight": [m[1] for m in _MODEL],
            "good": [m[2] for m in _MODEL],
            "poor": [m[3] for m in _MODEL],
        }
    )
    fit = rng.beta(4.0, 2.0, n)  # each account's underlying health, 0–1
    when = [date(2025, 10, 1), date(2025, 11, 1), date(2025, 12, 1)]
    parts: list[pa.Table] = []
    for k, day in enumerate(when):
        drift = np.clip(fit + rng.normal(0.0, 0.08, n) * (k + 1), 0.0, 1.0)
        for name, _, good, poor in _MODEL:
            value = (
                poor + (good - poor) * drift + rng.normal(0.0, 0.1, n) * (good - poor)
            )
            if name in ("weekly_logins", "open_tickets", "days_since_login"):
                value = np.maximum(np.round(value), 0.0)
            elif name == "last_nps":
                value = np.clip(np.round(value), 0.0, 10.0)
            else:
                value = np.clip(np.round(value, 3), 0.0, 1.0)
            parts.append(
                pa.table(
                    {
                        "account_id": ids,
                        "as_of": pa.array([day] * n, pa.date32()),
                        "signal": pa.array([name] * n),
                        "value": pa.array(value),
                    }
                )
            )
    out["Signals"] = pa.concat_tables(parts)

    # Surveys: NPS yearly from ~40 %, CSAT twice a year from ~30 %.
    survey: list[pa.Table] = []
    for instrument, share, per_year, lo, hi in (
        ("NPS", 0.40, 1, 0, 10),
        ("CSAT", 0.30, 2, 1, 5),
    ):
        who = np.flatnonzero(rng.random(n) < share)
        for year in range(3):
            for _ in range(per_year):
                answered = year * 365 + rng.integers(0, 365, who.size)
                ok = answered >= since_days[who]
                w = who[ok]
                base = fit[w] * (hi - lo) + lo + rng.normal(0.0, 1.2, w.size)
                score = np.clip(np.round(base), lo, hi).astype(np.int64)
                survey.append(
                    pa.table(
                        {
                            "account_id": pc.take(ids, pa.array(w)),
                            "answered_on": _dates(answered[ok]),
                            "instrument": pa.array([instrument] * w.size),
                            "score": pa.array(score),
                        }
                    )
                )
    out["Surveys"] = pa.concat_tables(survey)

    # Onboarding: accounts that started inside the window, one row per stage.
    starters = np.flatnonzero(since_days >= 0)
    reached = rng.integers(1, len(_STAGES) + 1, starters.size)
    age = (_END - _DAY0).astype(int) - since_days[starters]
    reached = np.where(age > 240, len(_STAGES), reached)  # old ones are done
    rows: dict[str, list[Any]] = {
        "account_id": [],
        "stage": [],
        "stage_entered_on": [],
        "target_go_live": [],
        "completed_on": [],
    }
    for j, stage in enumerate(_STAGES):
        has = reached > j
        w = starters[has]
        entered = since_days[w] + j * 21 + rng.integers(0, 14, w.size)
        entered = np.minimum(entered, (_END - _DAY0).astype(int))
        rows["account_id"].append(pc.take(ids, pa.array(w)))
        rows["stage"].append(pa.array([stage] * w.size))
        rows["stage_entered_on"].append(_dates(entered))
        late = rng.random(w.size) < 0.15
        target = since_days[w] + np.where(late, 30, 90)
        rows["target_go_live"].append(_dates(target))
        done = _dates(entered) if stage == "complete" else pa.nulls(w.size, pa.date32())
        rows["completed_on"].append(done)
    out["Onboarding"] = pa.table(
        {k: pa.concat_arrays([a.cast(v[0].type) for a in v]) for k, v in rows.items()}
    )

    # Risks: ~6 % of accounts, flagged in 2025, about half resolved.
    who = np.flatnonzero(rng.random(n) < 0.06)
    flagged = (np.datetime64("2025-01-01") - _DAY0).astype(int) + rng.integers(
        0, 365, who.size
    )
    level = rng.choice(
        np.array(["watch", "at_risk", "critical"]), who.size, p=[0.5, 0.35, 0.15]
    )
    reason = rng.choice(np.array(_REASONS), who.size)
    resolved = flagged + rng.integers(7, 180, who.size)
    open_ = (rng.random(who.size) < 0.5) | (resolved > (_END - _DAY0).astype(int))
    out["Risks"] = pa.table(
        {
            "account_id": pc.take(ids, pa.array(who)),
            "flagged_on": _dates(flagged),
            "level": pa.array(level),
            "reason": pa.array(reason),
            "owner": pc.take(owner, pa.array(who)),
            "resolved_on": pa.array(
                np.where(
                    open_,
                    np.datetime64("NaT"),
                    (_DAY0 + resolved.astype("timedelta64[D]")).astype("datetime64[D]"),
                )
            ),
        }
    )
    out["Settings"] = pa.table({"key": ["as_of"], "value": [_AS_OF.isoformat()]})
    return out
