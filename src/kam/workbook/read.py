"""Reading a workbook (``.xlsx`` or CSV) into raw sheets, and loading a portfolio.

An ``.xlsx`` file is checked first (:mod:`kam.workbook.safety`), then parsed by
python-calamine in a child process limited in address space and time, so that a
hostile file can at worst kill the child. The child sends back each wanted sheet
column by column, which pickles several times faster than rows.
"""

from __future__ import annotations

import io
import json
import pickle
import signal
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from kam.config import Limits
from kam.errors import NotFoundError, Problem, UnsafeFileError, WorkbookError
from kam.model import Portfolio, sheet
from kam.workbook.columns import LineNumbers
from kam.workbook.convert import cell_text

__all__ = ["RawBook", "RawSheet", "canonical_sheet", "load_workbook", "read_workbook"]

_XLSX_SUFFIXES = (".xlsx", ".xlsm")


class RawSheet:
    """One sheet as read: headers, raw cell values and their spreadsheet rows.

    ``rows[i]`` is the row at spreadsheet row (or CSV line) ``row_numbers[i]``; fully
    blank rows are skipped. The data is held by column internally (``columns``);
    ``rows`` is built on first use.
    """

    def __init__(
        self,
        name: str,
        headers: Sequence[str],
        rows: Sequence[Sequence[object]] | None = None,
        row_numbers: Sequence[int] | None = None,
        *,
        columns: Sequence[list[object]] | None = None,
    ) -> None:
        self.name = name
        self.headers: list[str] = list(headers)
        if columns is None:
            body = [list(r) for r in rows or ()]
            width = max([len(self.headers), *(len(r) for r in body)])
            columns = [[r[j] if j < len(r) else "" for r in body] for j in range(width)]
            self._rows: list[list[object]] | None = body
        else:
            self._rows = None
        self.columns: list[list[object]] = list(columns)
        n = len(self.columns[0]) if self.columns else 0
        # Consecutive rows (the common case) are kept as a range, not n ints.
        self.row_numbers: Sequence[int]
        if row_numbers is None:
            self.row_numbers = LineNumbers(2, n)
        elif isinstance(row_numbers, LineNumbers):
            self.row_numbers = row_numbers
        else:
            self.row_numbers = list(row_numbers)
        if any(len(c) != len(self.row_numbers) for c in self.columns):
            raise ValueError("every column of a RawSheet needs one cell per row")

    @property
    def rows(self) -> list[list[object]]:
        """The rows, each as wide as the widest row."""
        if self._rows is None:
            self._rows = [list(r) for r in zip(*self.columns, strict=True)]
        return self._rows

    def __len__(self) -> int:
        return len(self.row_numbers)

    def __repr__(self) -> str:
        return f"RawSheet({self.name!r}, {len(self)} rows, headers={self.headers})"


class RawBook:
    """A whole file as read: canonical sheet name -> :class:`RawSheet`."""

    def __init__(
        self,
        source: str,
        sheets: Mapping[str, RawSheet] | None = None,
        ignored: Sequence[str] = (),
    ) -> None:
        self.source = source
        self.sheets: dict[str, RawSheet] = dict(sheets or {})
        self.ignored: list[str] = list(ignored)

    def __repr__(self) -> str:
        return f"RawBook({self.source!r}, sheets={list(self.sheets)})"


def canonical_sheet(name: str) -> str | None:
    """The contract's name for a sheet name (case and surrounding spaces ignored)."""
    try:
        return sheet(name).name
    except KeyError:
        return None


def read_workbook(
    path: Path,
    *,
    encoding: str | None = None,
    limits: Limits | None = None,
    max_rows: int | None = None,
) -> RawBook:
    """Read an ``.xlsx`` workbook, a folder of ``<Sheet>.csv`` files or one CSV.

    ``max_rows`` (data rows per sheet) defaults to ``limits.rows_cli``; ``encoding``
    applies to CSV files without a byte-order mark. Raises
    :class:`~kam.errors.UnsafeFileError` for a refused file and
    :class:`~kam.errors.WorkbookError` for one that cannot be read.
    """
    limits = limits or Limits()
    rows_limit = max_rows if max_rows is not None else limits.rows_cli
    path = Path(path)
    if not path.exists():
        raise NotFoundError(f"no such file or folder: {path}")
    if path.is_dir() or path.suffix.lower() == ".csv":
        from kam.workbook.csv_read import read_csv

        return read_csv(path, encoding=encoding, limits=limits, max_rows=rows_limit)
    return _read_xlsx(path, limits, rows_limit)


def _read_xlsx(path: Path, limits: Limits, max_rows: int) -> RawBook:
    from kam.workbook.safety import check_xlsx

    def wanted(name: str) -> bool:
        return canonical_sheet(name) is not None

    check_xlsx(path, limits=limits, max_rows=max_rows, wanted=wanted)
    from kam.model import SHEETS

    result = _parse_in_child(path, [s.casefold() for s in SHEETS], limits)
    book = RawBook(str(path))
    problems: list[Problem] = []
    for name in result["names"]:
        canon = canonical_sheet(name)
        if canon is None:
            book.ignored.append(name)
            continue
        if canon in book.sheets:
            problems.append(
                Problem(
                    f"two sheets are named {canon} (ignoring case and spaces): "
                    f"{book.sheets[canon].name!r} and {name!r}",
                    sheet=canon,
                )
            )
            continue
        headers, numbers, columns = result["sheets"][name]
        if len(headers) > limits.columns:
            problems.append(
                Problem(
                    f"{len(headers)} columns; at most {limits.columns} are accepted",
                    sheet=canon,
                    row=1,
                )
            )
            continue
        if numbers and len(numbers) > max_rows:
            problems.append(
                Problem(
                    f"{len(numbers)} data rows; at most {max_rows} are accepted",
                    sheet=canon,
                )
            )
            continue
        headers = [cell_text(h) for h in headers]
        book.sheets[canon] = RawSheet(name, headers, None, numbers, columns=columns)
    if problems:
        raise WorkbookError(f"{path.name} cannot be read", problems)
    return book


# The child program. It imports nothing of kam (so that it starts fast and does not
# depend on what kam's packages import), limits its own address space and CPU time
# first, then parses. Output: one pickle on stdout.
_CHILD = r"""
import pickle, resource, sys, json
args = json.loads(sys.argv[1])
mem = args["memory"]
resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
cpu = int(args["seconds"]) + 1
resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
try:
    from python_calamine import CalamineWorkbook
    wanted = set(args["wanted"])
    book = CalamineWorkbook.from_path(args["path"])
    names = list(book.sheet_names)
    sheets = {}
    for name in names:
        if name.strip().casefold() not in wanted:
            continue
        rows = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
        if not rows:
            sheets[name] = ([], [], [])
            continue
        headers = rows[0]
        width = len(headers)
        # count("") is C-fast; whitespace-only rows are rare and checked fully.
        numbers = [
            k
            for k, r in enumerate(rows[1:], 2)
            if r.count("") != width
            and (
                (f := r[0]).__class__ is not str
                or f.strip()
                or any(v.__class__ is not str or v.strip() for v in r)
            )
        ]
        keep = [rows[k - 1] for k in numbers]
        del rows
        columns = [list(c) for c in zip(*keep)] if keep else [[] for _ in range(width)]
        del keep
        # Equal texts become one object: pickle then sends each once, and the
        # parent's columns share them.
        for column in columns:
            cache = {}
            put = cache.setdefault
            column[:] = [put(v, v) if v.__class__ is str else v for v in column]
        sheets[name] = (headers, numbers, columns)
    out = {"names": names, "sheets": sheets}
except MemoryError:
    sys.exit(3)
except Exception as exc:
    out = {"error": f"{type(exc).__name__}: {exc}"}
sys.stdout.buffer.write(pickle.dumps(out, protocol=5))
"""

_ALLOWED_GLOBALS = {
    ("datetime", "date"),
    ("datetime", "datetime"),
    ("datetime", "time"),
    ("datetime", "timedelta"),
}


class _SafeUnpickler(pickle.Unpickler):
    """Only plain values and datetime objects may come back from the child."""

    def find_class(self, module: str, name: str) -> object:
        if (module, name) in _ALLOWED_GLOBALS:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"unexpected {module}.{name} from the parser")


def _limits_text(limits: Limits) -> str:
    gib = limits.parser_memory_bytes / 1024**3
    memory = (
        f"{gib:g} GiB" if gib >= 1 else f"{limits.parser_memory_bytes // 2**20} MiB"
    )
    return f"{memory} and {limits.parser_seconds:g} s"


def _parse_in_child(path: Path, wanted: list[str], limits: Limits) -> dict[str, Any]:
    args = json.dumps(
        {
            "path": str(path),
            "wanted": wanted,
            "memory": limits.parser_memory_bytes,
            "seconds": limits.parser_seconds,
        }
    )
    cannot = (
        f"{path.name}: the workbook could not be parsed within {_limits_text(limits)}"
    )
    with subprocess.Popen(
        [sys.executable, "-I", "-c", _CHILD, args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as child:
        # While the child parses, load what validation needs next (it is imported
        # anyway by load_workbook), so that both cores work.
        import kam.workbook.validate  # noqa: F401

        try:
            stdout, stderr = child.communicate(timeout=limits.parser_seconds)
        except subprocess.TimeoutExpired as exc:
            child.kill()
            child.communicate()
            raise UnsafeFileError(f"{cannot} (it took too long)") from exc
    if child.returncode != 0:
        raise UnsafeFileError(f"{cannot} ({_why(child.returncode, stderr)})")
    try:
        result = _SafeUnpickler(io.BytesIO(stdout)).load()
    except (pickle.UnpicklingError, EOFError, ValueError) as exc:
        raise UnsafeFileError(f"{cannot} (the parser returned no result)") from exc
    if "error" in result:
        message = f"{path.name} cannot be read as an Excel workbook: {result['error']}"
        raise WorkbookError(message, [Problem(message)])
    return result  # type: ignore[no-any-return]


def _why(code: int, stderr: bytes) -> str:
    """The child's cause of death in a few words."""
    text = stderr.decode("utf-8", "replace")
    if "memory allocation" in text or "MemoryError" in text or code == 3:
        return "it needed more memory"
    if code == -signal.SIGXCPU or code == -signal.SIGKILL:
        return "it took too long"
    if code < 0:
        return f"the parser was stopped by signal {signal.Signals(-code).name}"
    lines = text.strip().splitlines()
    return lines[-1][:200] if lines else f"the parser exited with code {code}"


def load_workbook(
    path: Path,
    *,
    encoding: str | None = None,
    limits: Limits | None = None,
    max_rows: int | None = None,
    currency: str | None = None,
    known: Mapping[tuple[str, str], set[str]] | None = None,
) -> Portfolio:
    """Read and validate a workbook: :func:`read_workbook` then ``validate``.

    Raises :class:`~kam.errors.WorkbookError` listing every problem.
    """
    from kam.workbook.validate import validate

    raw = read_workbook(path, encoding=encoding, limits=limits, max_rows=max_rows)
    return validate(raw, currency=currency, known=known, limits=limits)
