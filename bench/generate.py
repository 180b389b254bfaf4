"""Synthetic portfolios for the benchmark: heavy-tailed, 36 months, deterministic.

A portfolio of ``n`` accounts is generated in fixed-size chunks of accounts, each
drawn from its own random stream ``(seed, chunk index)``. So the first accounts of a
large portfolio are exactly the accounts of a small one with the same seed, and the
output depends only on ``(n, seed, months)``.

What it looks like (per account):

- a monthly level drawn from a lognormal, with a Pareto tail on ~3 % of accounts
  (a few accounts carry a large share of the MRR, as in real portfolios);
- ~80 % of accounts are customers when the window opens, the others start during it;
- expansion (~3.5 %/month) and contraction (~2.5 %/month) move the level;
- churn: a monthly hazard of 0.8 %; once churned the MRR is 0 (no rows) and stays
  so, except for ~12 % of churned accounts that come back a few months later;
- one plan row per active month, the plan (starter, business, enterprise) following
  the level; a premium add-on row on ~30 % of accounts from some month on;
- Revenue: one row per account and active month, the sum of its MRR.

Outputs under ``out``: ``csv/`` (Accounts, Products, MRR, Revenue), optionally
``portfolio.xlsx`` (only when every sheet fits in Excel) and ``parquet/``.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

__all__ = [
    "BENCH_DIR",
    "CHUNK",
    "EXCEL_MAX_ROWS",
    "FORMATS",
    "SHEETS",
    "WINDOW_START",
    "default_dir",
    "generate",
    "sheet_workbook",
    "sheet_workbook_name",
]

#: Bump when the generated data changes, so that cached portfolios are rebuilt.
GENERATOR_VERSION = 1
BENCH_DIR = Path(__file__).resolve().parent
DATA_DIR = BENCH_DIR / "data"
#: Accounts per chunk: fixes the random streams, so never change it lightly.
CHUNK = 20_000
WINDOW_START = "2023-01"
#: Data rows an Excel sheet can hold below its header row.
EXCEL_MAX_ROWS = 1_048_575
FORMATS = ("csv", "xlsx", "parquet")
SHEETS = ("Accounts", "Products", "MRR", "Revenue")

_PREFIXES = np.array(
    [
        "Northwind",
        "Bluepeak",
        "Cedarline",
        "Silverbrook",
        "Redfield",
        "Oakmont",
        "Brightwater",
        "Stonebridge",
        "Greenhill",
        "Clearview",
        "Ironwood",
        "Summit",
        "Harbor",
        "Maple",
        "Pinecrest",
        "Riverside",
        "Westgate",
        "Eastlake",
        "Highland",
        "Lakeshore",
        "Sunridge",
        "Fairhaven",
        "Goldcrest",
        "Willowmere",
    ]
)
_TRADES = np.array(
    [
        "Health",
        "Logistics",
        "Foods",
        "Systems",
        "Energy",
        "Retail",
        "Media",
        "Finance",
        "Labs",
        "Motors",
        "Insurance",
        "Pharma",
        "Telecom",
        "Textiles",
        "Robotics",
        "Travel",
    ]
)
_FORMS = np.array(["Group", "Partners", "Inc", "Ltd", "Holdings", "Co"])
_INDUSTRIES = np.array(
    [
        "healthcare",
        "logistics",
        "retail",
        "manufacturing",
        "financial services",
        "public sector",
        "media",
        "energy",
        "education",
        "telecom",
    ]
)
_REGIONS = np.array(["EMEA", "North America", "APAC", "LATAM"])
_PLANS = np.array(["starter", "business", "enterprise"])
#: Upper bound (in dollars of monthly level) of the starter and business plans.
_PLAN_BOUNDS = np.array([500.0, 3000.0])
_PREMIUM = "premium"

_ACCOUNT_COLUMNS = (
    "account_id",
    "name",
    "industry",
    "segment",
    "region",
    "key_account",
    "customer_since",
    "status",
)


@dataclass(frozen=True)
class _Chunk:
    accounts: pa.Table
    mrr: pa.Table
    revenue: pa.Table


def default_dir(
    n_accounts: int, seed: int = 1, months: int = 36, *, data_dir: Path = DATA_DIR
) -> Path:
    """The cache folder of a portfolio: ``bench/data/<n>-<seed>[-m<months>]``."""
    suffix = "" if months == 36 else f"-m{months}"
    return data_dir / f"{n_accounts}-{seed}{suffix}"


def sheet_workbook_name(n_rows: int, seed: int = 1, months: int = 36) -> str:
    """File name of the cached single-sheet workbook (see :func:`sheet_workbook`)."""
    suffix = "" if months == 36 else f"-m{months}"
    return f"mrr-sheet-{n_rows}-{seed}{suffix}-v{GENERATOR_VERSION}.xlsx"


def generate(
    n_accounts: int,
    *,
    months: int = 36,
    seed: int = 1,
    out: Path | None = None,
    formats: Iterable[str] = ("csv",),
) -> Path:
    """Write (or reuse) a portfolio of ``n_accounts`` and return its CSV folder.

    ``out`` (default :func:`default_dir`) receives ``csv/``, ``portfolio.xlsx`` and
    ``parquet/`` according to ``formats``; a ``manifest.json`` records what was
    written, and formats already present for the same parameters are reused. The xlsx
    file is skipped (with a notice on stderr) when a sheet would not fit in Excel.
    """
    wanted = tuple(dict.fromkeys(("csv", *formats)))
    unknown = [f for f in wanted if f not in FORMATS]
    if unknown:
        raise ValueError(f"unknown format(s) {unknown}; expected some of {FORMATS}")
    if n_accounts < 1 or not 1 <= months <= 240:
        raise ValueError("n_accounts must be ≥ 1 and months between 1 and 240")
    out = default_dir(n_accounts, seed, months) if out is None else out
    params = {
        "n_accounts": n_accounts,
        "months": months,
        "seed": seed,
        "version": GENERATOR_VERSION,
        "window_start": WINDOW_START,
    }
    manifest = _read_manifest(out)
    have = (
        set(manifest.get("formats", [])) if manifest.get("params") == params else set()
    )
    if not have:
        shutil.rmtree(out, ignore_errors=True)
    todo = [f for f in wanted if f not in have]
    counts: dict[str, int] = dict(manifest.get("rows", {})) if have else {}
    if "xlsx" in todo and counts and max(counts.values()) > EXCEL_MAX_ROWS:
        _skip_xlsx(n_accounts)
        todo.remove("xlsx")
    if todo:
        out.mkdir(parents=True, exist_ok=True)
        done, counts = _write(out, n_accounts, months, seed, todo)
        _write_manifest(
            out, {"params": params, "formats": sorted(have | done), "rows": counts}
        )
    return out / "csv"


def sheet_workbook(
    n_rows: int,
    *,
    seed: int = 1,
    months: int = 36,
    out: Path | None = None,
) -> Path:
    """Write (or reuse) an xlsx holding ``Accounts`` and an ``MRR`` sheet of ``n_rows``.

    The MRR rows are the first ``n_rows`` of the generated portfolio (ordered by
    account, month and plan); Accounts holds every account up to the last one they
    mention. Default path: ``bench/data/mrr-sheet-<n>-<seed>.xlsx``.
    """
    if not 1 <= n_rows <= EXCEL_MAX_ROWS:
        raise ValueError(f"an Excel sheet holds 1 to {EXCEL_MAX_ROWS} data rows")
    path = DATA_DIR / sheet_workbook_name(n_rows, seed, months) if out is None else out
    if path.exists():
        return path
    accounts: list[pa.Table] = []
    mrr: list[pa.Table] = []
    rows = 0
    index = 0
    while rows < n_rows:
        chunk = _chunk(seed, index, months, CHUNK)
        accounts.append(chunk.accounts)
        mrr.append(chunk.mrr)
        rows += chunk.mrr.num_rows
        index += 1
    mrr_table = pa.concat_tables(mrr).slice(0, n_rows)
    last = mrr_table.column("account_id")[n_rows - 1].as_py()
    acc_table = pa.concat_tables(accounts)
    n_acc = int(_account_number(last))
    acc_table = acc_table.slice(0, n_acc)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.xlsx")
    _write_xlsx(tmp, {"Accounts": [acc_table], "MRR": [mrr_table]})
    os.replace(tmp, path)
    return path


def _account_number(account_id: str) -> int:
    return int(account_id[1:])


def _skip_xlsx(n_accounts: int) -> None:
    print(
        f"bench: no xlsx for {n_accounts} accounts: a sheet would exceed "
        f"{EXCEL_MAX_ROWS} rows (Excel's limit)",
        file=sys.stderr,
    )


def _read_manifest(out: Path) -> dict[str, Any]:
    try:
        data = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_manifest(out: Path, data: dict[str, Any]) -> None:
    tmp = out / "manifest.json.tmp"
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True), encoding="utf-8")
    os.replace(tmp, out / "manifest.json")


def _chunks(n_accounts: int, months: int, seed: int) -> Iterator[_Chunk]:
    for index, first in enumerate(range(0, n_accounts, CHUNK)):
        yield _chunk(seed, index, months, min(CHUNK, n_accounts - first))


def _write(
    out: Path, n_accounts: int, months: int, seed: int, formats: list[str]
) -> tuple[set[str], dict[str, int]]:
    """Generate the chunks once and stream them into every requested format."""
    counts = dict.fromkeys(SHEETS, 0)
    counts["Products"] = len(_PLANS) + 1
    staged: dict[str, list[pa.Table]] = {s: [] for s in SHEETS}
    products = _products()
    csv_dir = out / "csv.tmp"
    pq_dir = out / "parquet.tmp"
    csv_writers: dict[str, _CsvSheet] = {}
    pq_writers: dict[str, pq.ParquetWriter] = {}
    if "csv" in formats:
        shutil.rmtree(csv_dir, ignore_errors=True)
        csv_dir.mkdir(parents=True)
    if "parquet" in formats:
        shutil.rmtree(pq_dir, ignore_errors=True)
        pq_dir.mkdir(parents=True)
    for chunk in _chunks(n_accounts, months, seed):
        for name, table in (
            ("Accounts", chunk.accounts),
            ("MRR", chunk.mrr),
            ("Revenue", chunk.revenue),
        ):
            counts[name] += table.num_rows
            if "csv" in formats:
                if name not in csv_writers:
                    csv_writers[name] = _CsvSheet(csv_dir / f"{name}.csv", table.schema)
                csv_writers[name].write(table)
            if "parquet" in formats:
                if name not in pq_writers:
                    pq_writers[name] = pq.ParquetWriter(
                        pq_dir / f"{name}.parquet", table.schema
                    )
                pq_writers[name].write_table(table)
            if "xlsx" in formats and counts[name] <= EXCEL_MAX_ROWS:
                staged[name].append(table)
    for w in csv_writers.values():
        w.close()
    for pw in pq_writers.values():
        pw.close()
    done: set[str] = set()
    if "csv" in formats:
        _CsvSheet(csv_dir / "Products.csv", products.schema).write(products).close()
        _swap(csv_dir, out / "csv")
        done.add("csv")
    if "parquet" in formats:
        pq.write_table(products, pq_dir / "Products.parquet")
        _swap(pq_dir, out / "parquet")
        done.add("parquet")
    if "xlsx" in formats:
        if max(counts.values()) > EXCEL_MAX_ROWS:
            _skip_xlsx(n_accounts)
        else:
            staged["Products"] = [products]
            tmp = out / "portfolio.tmp.xlsx"
            _write_xlsx(
                tmp, {s: staged[s] for s in ("Accounts", "Products", "MRR", "Revenue")}
            )
            os.replace(tmp, out / "portfolio.xlsx")
            done.add("xlsx")
    return done, counts


def _swap(tmp: Path, final: Path) -> None:
    shutil.rmtree(final, ignore_errors=True)
    os.replace(tmp, final)


class _CsvSheet:
    """A CSV file with a plain header line (as Excel writes it) and pyarrow rows."""

    def __init__(self, path: Path, schema: pa.Schema) -> None:
        self._file = path.open("wb")
        self._file.write((",".join(schema.names) + "\n").encode())
        # Values never hold separators or quotes (the vocabularies are fixed), so
        # no quoting keeps the files like a spreadsheet's export.
        options = pacsv.WriteOptions(include_header=False, quoting_style="none")
        self._writer = pacsv.CSVWriter(self._file, schema, write_options=options)

    def write(self, table: pa.Table) -> _CsvSheet:
        self._writer.write_table(table)
        return self

    def close(self) -> None:
        self._writer.close()
        self._file.close()


def _money(cents: np.ndarray[Any, np.dtype[np.int64]]) -> pa.Array:
    """Exact decimal(18, 2) values from integer cents (written as ``123.40``)."""
    words = np.empty((len(cents), 2), dtype=np.int64)
    words[:, 0] = cents
    words[:, 1] = cents >> 63  # sign extension of the 128-bit two's complement
    return pa.Array.from_buffers(
        pa.decimal128(18, 2), len(cents), [None, pa.py_buffer(words)]
    )


def _products() -> pa.Table:
    return pa.table(
        {
            "product": [*_PLANS.tolist(), _PREMIUM],
            "family": ["cloud"] * 4,
            "kind": ["plan", "plan", "plan", "addon"],
            "tier": pa.array([1, 2, 3, None], pa.int64()),
            "premium": [False, False, False, True],
        }
    )


def _month_labels(months: int) -> np.ndarray[Any, Any]:
    return np.datetime_as_string(
        np.datetime64(WINDOW_START) + np.arange(months), unit="M"
    )


def _chunk(seed: int, index: int, months: int, size: int) -> _Chunk:
    """Accounts ``index * CHUNK`` onwards: the draws always cover a full chunk."""
    rng = np.random.default_rng([seed, index])
    c, m = CHUNK, np.arange(months)

    late = rng.random(c) < 0.2
    start = np.where(late, rng.integers(1, max(months, 2), c), 0)
    churn = start + rng.geometric(0.008, c)
    back = churn + rng.integers(2, 10, c)
    reactivates = (rng.random(c) < 0.12) & (back < months)
    active = ((m >= start[:, None]) & (m < churn[:, None])) | (
        reactivates[:, None] & (m >= back[:, None])
    )

    base = np.maximum(rng.lognormal(np.log(600.0), 1.0, c), 29.0)
    tail = rng.random(c) < 0.03
    base = np.where(tail, base * np.minimum(1.0 + rng.pareto(1.2, c), 200.0), base)
    u = rng.random((c, months))
    step = np.ones((c, months))
    grow = u < 0.035
    shrink = (u >= 0.035) & (u < 0.06)
    step[grow] = rng.uniform(1.1, 1.6, int(grow.sum()))
    step[shrink] = rng.uniform(0.6, 0.95, int(shrink.sum()))
    level = base[:, None] * np.cumprod(step, axis=1)
    plan_cents = np.rint(level * 100).astype(np.int64)
    plan_idx = np.searchsorted(_PLAN_BOUNDS, level, side="right")

    has_premium = rng.random(c) < 0.30
    premium_from = start + rng.integers(0, 6, c)
    share = rng.uniform(0.12, 0.25, c)
    premium = active & has_premium[:, None] & (m >= premium_from[:, None])
    premium_cents = np.rint(level * share[:, None] * 100).astype(np.int64)

    first_number = index * CHUNK + 1
    numbers = np.arange(first_number, first_number + c)
    ids = np.char.add("A", np.char.zfill(numbers.astype(str), 7))

    industry = rng.integers(0, len(_INDUSTRIES), c)
    region = rng.integers(0, len(_REGIONS), c)
    name_parts = (
        rng.integers(0, len(_PREFIXES), c),
        rng.integers(0, len(_TRADES), c),
        rng.integers(0, len(_FORMS), c),
    )
    tenure_days = rng.integers(0, 5 * 365, c)

    # Everything below is cut to the accounts actually asked for.
    sl = slice(0, size)
    labels = _month_labels(months)
    months_d = (np.datetime64(WINDOW_START) + m).astype("datetime64[D]")
    since = np.where(
        start == 0,
        months_d[0] - tenure_days.astype("timedelta64[D]"),
        months_d[np.minimum(start, months - 1)],
    )[sl]
    peak = level.max(axis=1)[sl]
    segment = np.where(
        peak >= 5000, "enterprise", np.where(peak >= 800, "mid-market", "smb")
    )
    names = np.char.add(
        np.char.add(
            np.char.add(_PREFIXES[name_parts[0][sl]], " "), _TRADES[name_parts[1][sl]]
        ),
        np.char.add(" ", _FORMS[name_parts[2][sl]]),
    )
    accounts = pa.table(
        {
            "account_id": ids[sl],
            "name": names,
            "industry": _INDUSTRIES[industry[sl]],
            "segment": segment,
            "region": _REGIONS[region[sl]],
            "key_account": peak >= 20_000,
            "customer_since": pa.array(since.astype("datetime64[D]")),
            "status": np.where(active[sl, -1], "active", "churned"),
        }
    )
    assert accounts.column_names == list(_ACCOUNT_COLUMNS)

    # One row per (account, month, slot): slot 0 the plan, slot 1 the premium add-on;
    # np.nonzero walks the mask in row-major order, so rows come sorted.
    mask = np.stack([active[sl], premium[sl]], axis=-1)
    acct, month, slot = np.nonzero(mask)
    cents = np.stack([plan_cents[sl], premium_cents[sl]], axis=-1)[acct, month, slot]
    plan_names = np.append(_PLANS, _PREMIUM)
    plan = np.where(slot == 0, plan_idx[sl][acct, month], len(_PLANS))
    id_col = pa.array(ids[sl])
    month_col = pa.array(labels)
    mrr = pa.table(
        {
            "account_id": id_col.take(pa.array(acct)),
            "month": month_col.take(pa.array(month)),
            "plan": pa.array(plan_names).take(pa.array(plan)),
            "mrr": _money(cents),
        }
    )

    r_acct, r_month = np.nonzero(active[sl])
    total = plan_cents[sl] + np.where(premium[sl], premium_cents[sl], 0)
    revenue = pa.table(
        {
            "account_id": id_col.take(pa.array(r_acct)),
            "period": month_col.take(pa.array(r_month)),
            "amount": _money(total[r_acct, r_month]),
        }
    )
    return _Chunk(accounts, mrr, revenue)


def _write_xlsx(path: Path, sheets: dict[str, list[pa.Table]]) -> None:
    """Stream tables into an xlsx with XlsxWriter's constant-memory mode."""
    import xlsxwriter

    book = xlsxwriter.Workbook(
        str(path),
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
        },
    )
    date_format = book.add_format({"num_format": "yyyy-mm-dd"})
    try:
        for name, tables in sheets.items():
            ws = book.add_worksheet(name)
            ws.write_row(0, 0, tables[0].column_names)
            row = 1
            for table in tables:
                columns = [_cells(table.column(i)) for i in range(table.num_columns)]
                dates = [pa.types.is_date(t) for t in table.schema.types]
                for values in zip(*columns, strict=True):
                    for col, value in enumerate(values):
                        if value is None:
                            continue
                        if dates[col]:
                            ws.write_datetime(row, col, value, date_format)
                        else:
                            ws.write(row, col, value)
                    row += 1
    finally:
        book.close()


def _cells(column: pa.ChunkedArray) -> list[Any]:
    # Money goes to Excel as a number, the way users' sheets hold it.
    if pa.types.is_decimal(column.type):
        return [None if v is None else float(v) for v in column.to_pylist()]
    return list(column.to_pylist())
