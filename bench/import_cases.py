"""The import cases: reading, validating and storing a portfolio.

=========================  ================================================  =======
case                       what is measured                                  size
=========================  ================================================  =======
read_validate_sheet        read + validate an xlsx with Accounts and an      MRR rows
                           MRR sheet of ``size`` rows
read_validate_portfolio    read + validate the CSV folder of a portfolio     accounts
import                     read + validate, then write into a new SQLite     accounts
                           store (both phases reported)
reimport                   the same into a store that already holds it (a    accounts
                           no-op for kam; pandas replaces its tables)
=========================  ================================================  =======
"""

from __future__ import annotations

import os
import resource
import shutil
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bench.generate import default_dir, generate, sheet_workbook, sheet_workbook_name
from bench.harness import Case, Clock, Impl, Params, register

__all__ = [
    "kam_import",
    "kam_read_validate",
    "kam_reimport",
    "kam_setup_reimport",
]

GiB = 2**30


def _load(path: Path) -> Any:
    """Read + validate with the limits raised just enough for the bench sizes."""
    from kam.config import Limits
    from kam.workbook.read import load_workbook

    limits = Limits(
        file_bytes=64 * GiB,
        unzipped_bytes=64 * GiB,
        entry_bytes=64 * GiB,
        rows_cli=10**9,
        parser_memory_bytes=16 * GiB,
        parser_seconds=3600.0,
    )
    return load_workbook(path, limits=limits, max_rows=10**9)


def _info(portfolio: Any) -> dict[str, Any]:
    info: dict[str, Any] = {
        "rows": {name: len(table) for name, table in portfolio.tables.items()}
    }
    if portfolio.warnings:
        info["note"] = (
            f"{len(portfolio.warnings)} warnings, first: {portfolio.warnings[0]}"
        )
    return info


def _cpu_seconds() -> float:
    """CPU time of this process and its waited-for children (the xlsx parser)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def kam_read_validate(params: Mapping[str, str], clock: Clock) -> dict[str, Any]:
    """``load_workbook(path)`` on an xlsx file or a CSV folder.

    Records the CPU time (this process and the parser child) and the load averages
    besides the wall time, since the machine may be shared.
    """
    load_before = _loadavg()
    started = _cpu_seconds()
    with clock("read_validate"):
        portfolio = _load(Path(params["path"]))
    return {
        **_info(portfolio),
        "cpu_seconds": {"read_validate": round(_cpu_seconds() - started, 2)},
        "loadavg": {"before": load_before, "after": _loadavg()},
    }


def _summary(summary: Any) -> dict[str, Any]:
    return {
        "sheets": {
            name: {
                "created": c.created,
                "updated": c.updated,
                "unchanged": c.unchanged,
                "removed": c.removed,
            }
            for name, c in summary.sheets.items()
        },
        "changed": summary.changed,
        "data_version": summary.data_version,
    }


def _loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def kam_import(params: Mapping[str, str], clock: Clock) -> dict[str, Any]:
    """Read + validate, then ``import_portfolio`` into a new SQLite store.

    Besides the wall time of each phase, the result records its CPU time (this
    process; the machine may be shared) and the load averages before and after.
    """
    from kam.store.repository import Store

    work = Path(tempfile.mkdtemp(dir=params["work"]))
    store = Store(f"sqlite:///{work / 'kam.db'}")
    cpu: dict[str, float] = {}
    load_before = _loadavg()
    try:
        store.upgrade()  # creating the empty store is setup, not import
        started = time.process_time()
        with clock("read_validate"):
            portfolio = _load(Path(params["path"]))
        cpu["read_validate"] = round(time.process_time() - started, 2)
        started = time.process_time()
        with clock("write"):
            summary = store.import_portfolio(portfolio, source=params["path"])
        cpu["write"] = round(time.process_time() - started, 2)
    finally:
        store.dispose()
        shutil.rmtree(work, ignore_errors=True)
    return {
        **_info(portfolio),
        "import": _summary(summary),
        "cpu_seconds": cpu,
        "loadavg": {"before": load_before, "after": _loadavg()},
    }


def _reimport_store(params: Mapping[str, str]) -> Any:
    from kam.store.repository import Store

    return Store(f"sqlite:///{Path(params['work']) / 'kam.db'}")


def kam_setup_reimport(params: Mapping[str, str]) -> None:
    """The store a re-import starts from: the same portfolio, imported once."""
    store = _reimport_store(params)
    try:
        store.upgrade()
        store.import_portfolio(_load(Path(params["path"])), source=params["path"])
    finally:
        store.dispose()


def kam_reimport(params: Mapping[str, str], clock: Clock) -> dict[str, Any]:
    """Import the same folder again: must change nothing."""
    store = _reimport_store(params)
    try:
        with clock("read_validate"):
            portfolio = _load(Path(params["path"]))
        with clock("write"):
            summary = store.import_portfolio(portfolio, source=params["path"])
    finally:
        store.dispose()
    info = {**_info(portfolio), "import": _summary(summary)}
    if summary.changed:
        info["note"] = "re-import CHANGED the store (expected a no-op)"
    return info


def _prepare_sheet(size: int, seed: int, data_dir: Path) -> Params:
    path = sheet_workbook(
        size, seed=seed, out=data_dir / sheet_workbook_name(size, seed)
    )
    return {"path": str(path)}


def _prepare_portfolio(size: int, seed: int, data_dir: Path) -> Params:
    folder = generate(size, seed=seed, out=default_dir(size, seed, data_dir=data_dir))
    return {"path": str(folder)}


_KAM = "bench.import_cases"
_PANDAS = "bench.baselines"

register(
    Case(
        name="read_validate_sheet",
        description="read + validate an xlsx holding Accounts and an MRR sheet of "
        "<size> rows (kam: load_workbook; pandas: read_excel(openpyxl) + validation)",
        unit="MRR rows",
        prepare=_prepare_sheet,
        kam=Impl(f"{_KAM}:kam_read_validate"),
        baseline=Impl(f"{_PANDAS}:run_read_validate"),
    )
)
register(
    Case(
        name="read_validate_portfolio",
        description="read + validate a portfolio's CSV folder (Accounts, Products, "
        "MRR, Revenue; ~36 MRR rows per account) (pandas: read_csv + validation)",
        unit="accounts",
        prepare=_prepare_portfolio,
        kam=Impl(f"{_KAM}:kam_read_validate"),
        baseline=Impl(f"{_PANDAS}:run_read_validate"),
    )
)
register(
    Case(
        name="import",
        description="read + validate the CSV folder, then write it into a new SQLite "
        "store (kam: Store.import_portfolio; pandas: to_sql, chunksize 50k)",
        unit="accounts",
        prepare=_prepare_portfolio,
        kam=Impl(f"{_KAM}:kam_import"),
        baseline=Impl(f"{_PANDAS}:run_import"),
        phases=("read_validate", "write"),
    )
)
register(
    Case(
        name="reimport",
        description="import the same CSV folder into a store that already holds it "
        "(kam: a no-op upsert; pandas: to_sql(if_exists='replace'))",
        unit="accounts",
        prepare=_prepare_portfolio,
        kam=Impl(f"{_KAM}:kam_reimport", setup=f"{_KAM}:kam_setup_reimport"),
        baseline=Impl(f"{_PANDAS}:run_reimport", setup=f"{_PANDAS}:setup_reimport"),
        phases=("read_validate", "write"),
    )
)
