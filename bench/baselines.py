"""The pandas baselines: the same work written the way a pandas user would write it.

Reading is ``pandas.read_csv`` / ``pandas.read_excel(engine="openpyxl")``; the
validation applies the rules of :mod:`kam.model` with vectorised pandas idioms
(``to_numeric``/``to_datetime`` with ``errors="coerce"`` and a null check, range
checks, ``duplicated()`` for keys, ``isin()`` for references) and collects every
problem in a frame; the store write is ``DataFrame.to_sql`` into SQLite in one
transaction, ``chunksize=50_000``.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd  # type: ignore[import-untyped]
import sqlalchemy as sa

from bench.harness import Clock
from kam.model import SHEET_ORDER, SHEETS, Column, Kind, Sheet, sheet

__all__ = [
    "read_csv_folder",
    "read_xlsx",
    "run_import",
    "run_read_validate",
    "run_reimport",
    "setup_reimport",
    "validate_frames",
    "write_sql",
]

_PERIOD = r"\d{4}(?:-Q[1-4]|-(?:0[1-9]|1[0-2]))?"
_TRUE = {"yes", "true", "1", "x", "y"}
_FALSE = {"no", "false", "0", "n", ""}


def read_csv_folder(folder: Path) -> dict[str, Any]:
    """One frame per ``<Sheet>.csv`` of ``folder`` (names matched ignoring case)."""
    frames: dict[str, Any] = {}
    for path in sorted(folder.glob("*.csv")):
        try:
            name = sheet(path.stem).name
        except KeyError:
            continue
        frames[name] = pd.read_csv(path)
    return frames


def read_xlsx(path: Path) -> dict[str, Any]:
    """Every known sheet of the workbook, through openpyxl."""
    books = pd.read_excel(path, sheet_name=None, engine="openpyxl")
    frames: dict[str, Any] = {}
    for title, frame in books.items():
        try:
            frames[sheet(str(title)).name] = frame
        except KeyError:
            continue
    return frames


def _problems(sheet_name: str, frame: Any, column: str, bad: Any, message: str) -> Any:
    rows = frame.index[bad]
    return pd.DataFrame(
        {
            "sheet": sheet_name,
            "row": rows + 2,  # header is row 1; the index counts data rows from 0
            "column": column,
            "value": frame.loc[bad, column].astype(str).to_numpy()
            if column in frame
            else "",
            "message": message,
        }
    )


def _blank(s: Any) -> Any:
    if s.dtype == object or pd.api.types.is_string_dtype(s):
        return s.isna() | s.astype("string").str.strip().eq("")
    return s.isna()


def _convert(col: Column, s: Any, present: Any) -> tuple[Any, Any]:
    """The typed column and the mask of present cells that are not of its kind."""
    kind = col.kind
    if kind in (Kind.INT, Kind.NUMBER, Kind.MONEY):
        num = pd.to_numeric(s, errors="coerce")
        bad = present & num.isna()
        if kind is Kind.INT:
            bad |= present & (num % 1 != 0)
        if kind is Kind.MONEY:
            cents = num * 100
            bad |= present & ((cents - cents.round()).abs() > 1e-6)
        if col.minimum is not None:
            bad |= present & (num < col.minimum)
        if col.maximum is not None:
            bad |= present & (num > col.maximum)
        return num, bad
    if kind is Kind.DATE:
        if pd.api.types.is_datetime64_any_dtype(s):
            return s, present & s.isna()
        when = pd.to_datetime(s, errors="coerce", format="ISO8601")
        return when, present & when.isna()
    if kind is Kind.MONTH:
        when = pd.to_datetime(s, errors="coerce", format="%Y-%m")
        missing = present & when.isna()
        if missing.any():  # a month may also be given as a date
            when = when.fillna(pd.to_datetime(s, errors="coerce", format="ISO8601"))
        return when, present & when.isna()
    if kind is Kind.BOOL:
        if pd.api.types.is_bool_dtype(s):
            return s, present & s.isna()
        text = s.astype("string").str.strip().str.lower()
        value = text.isin(_TRUE)
        return value.where(present), present & ~(value | text.isin(_FALSE))
    text = s.astype("string").str.strip()
    if kind is Kind.PERIOD:
        return text, present & ~text.str.fullmatch(_PERIOD).fillna(False)
    if kind is Kind.ENUM:
        lower = all(c == c.lower() for c in col.choices)
        cased = text.str.lower() if lower else text
        return cased, present & ~cased.isin(col.choices)
    return text, present & False


def _validate_sheet(spec: Sheet, frame: Any) -> tuple[Any, list[Any]]:
    frame = frame.rename(columns=lambda c: str(c).strip().lower())
    problems: list[Any] = []
    missing = [c for c in spec.required_columns if c not in frame.columns]
    for name in missing:
        problems.append(
            pd.DataFrame(
                [
                    {
                        "sheet": spec.name,
                        "row": 1,
                        "column": name,
                        "value": "",
                        "message": "required column is missing",
                    }
                ]
            )
        )
    for col in spec.columns:
        if col.name not in frame.columns:
            continue
        s = frame[col.name]
        blank = _blank(s)
        if col.required and blank.any():
            problems.append(_problems(spec.name, frame, col.name, blank, "required"))
        typed, bad = _convert(col, s, ~blank)
        if bad.any():
            problems.append(
                _problems(spec.name, frame, col.name, bad, f"expected {col.expected}")
            )
        if col.default is not None:
            typed = typed.where(~blank, col.default)
        frame[col.name] = typed
    key = [k for k in (spec.key or ()) if k in frame.columns]
    if spec.key and len(key) == len(spec.key):
        dup = frame.duplicated(subset=key, keep=False)
        if dup.any():
            if spec.sum_duplicates:
                others = {c: "first" for c in frame.columns if c not in key}
                others.update(dict.fromkeys(spec.sum_columns, "sum"))
                frame = frame.groupby(
                    key, as_index=False, dropna=False, sort=False
                ).agg(others)
            else:
                problems.append(
                    _problems(spec.name, frame, key[0], dup, f"duplicate key {key}")
                )
    return frame, problems


def _check_refs(frames: Mapping[str, Any], problems: list[Any]) -> None:
    for name, frame in frames.items():
        for col in SHEETS[name].columns:
            if col.ref is None or col.name not in frame.columns:
                continue
            target = frames.get(col.ref.sheet)
            if target is None and col.ref.when_present:
                continue
            values = frame[col.name]
            present = values.notna()
            known = (
                values.isin(target[col.ref.column])
                if target is not None and col.ref.column in target.columns
                else pd.Series(False, index=frame.index)
            )
            bad = present & ~known
            if bad.any():
                problems.append(
                    _problems(name, frame, col.name, bad, f"unknown {col.ref.sheet} id")
                )


def validate_frames(frames: Mapping[str, Any]) -> tuple[dict[str, Any], Any]:
    """Typed frames and a frame of every problem (sheet, row, column, value, why)."""
    typed: dict[str, Any] = {}
    problems: list[Any] = []
    for name, frame in frames.items():
        typed[name], found = _validate_sheet(SHEETS[name], frame)
        problems += found
    _check_refs(typed, problems)
    columns = ["sheet", "row", "column", "value", "message"]
    report = (
        pd.concat(problems, ignore_index=True)
        if problems
        else pd.DataFrame(columns=columns)
    )
    return typed, report


def write_sql(frames: Mapping[str, Any], url: str, *, replace: bool = False) -> None:
    """``to_sql`` every frame, referenced sheets first, in one transaction."""
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            for name in SHEET_ORDER:
                if name in frames:
                    frames[name].to_sql(
                        SHEETS[name].table,
                        conn,
                        index=False,
                        if_exists="replace" if replace else "fail",
                        chunksize=50_000,
                    )
    finally:
        engine.dispose()


def _read(path: Path) -> dict[str, Any]:
    return read_xlsx(path) if path.suffix.lower() == ".xlsx" else read_csv_folder(path)


def _info(frames: Mapping[str, Any], report: Any) -> dict[str, Any]:
    info: dict[str, Any] = {"rows": {n: len(f) for n, f in frames.items()}}
    info["problems"] = len(report)
    if len(report):
        first = report.iloc[0]
        info["note"] = f"{len(report)} problems, first: {dict(first)}"
    return info


def run_read_validate(params: Mapping[str, str], clock: Clock) -> dict[str, Any]:
    """Read and validate ``params["path"]`` (an xlsx file or a CSV folder)."""
    with clock("read_validate"):
        frames, report = validate_frames(_read(Path(params["path"])))
    return _info(frames, report)


def run_import(params: Mapping[str, str], clock: Clock) -> dict[str, Any]:
    """Read, validate and write into a new SQLite database."""
    work = Path(tempfile.mkdtemp(dir=params["work"]))
    try:
        with clock("read_validate"):
            frames, report = validate_frames(_read(Path(params["path"])))
        with clock("write"):
            write_sql(frames, f"sqlite:///{work / 'pandas.db'}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return _info(frames, report)


def _reimport_url(params: Mapping[str, str]) -> str:
    return f"sqlite:///{Path(params['work']) / 'pandas.db'}"


def setup_reimport(params: Mapping[str, str]) -> None:
    """The database a re-import starts from."""
    frames, _ = validate_frames(_read(Path(params["path"])))
    write_sql(frames, _reimport_url(params))


def run_reimport(params: Mapping[str, str], clock: Clock) -> dict[str, Any]:
    """Refresh the database the pandas way: replace every table."""
    with clock("read_validate"):
        frames, report = validate_frames(_read(Path(params["path"])))
    with clock("write"):
        write_sql(frames, _reimport_url(params), replace=True)
    return _info(frames, report)
