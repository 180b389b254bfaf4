"""Reading CSV files: one ``<Sheet>.csv`` per sheet, or a folder of them.

Excel writes CSV in several ways: UTF-8 with a byte-order mark, UTF-16 with a BOM,
or with ``;`` separators in locales whose decimal mark is a comma. The BOM is
sniffed, anything else must be strict UTF-8 unless an encoding is given, and the
separator is sniffed from the header line. The field size limit stays at
``Limits.csv_field_bytes``: it is what turns an unmatched quote into an error
instead of one giant field. Every error names the line.
"""

from __future__ import annotations

import codecs
import csv
import io
import threading
from pathlib import Path

from kam.config import Limits
from kam.errors import InputError, Problem, UnsafeFileError, WorkbookError
from kam.workbook.columns import LineNumbers
from kam.workbook.csv_fast import fast_columns
from kam.workbook.read import RawBook, RawSheet, canonical_sheet

__all__ = ["decode_csv", "read_csv", "read_csv_sheet"]

# csv.field_size_limit is process-wide: set and restored under one lock.
_FIELD_LIMIT_LOCK = threading.Lock()


def read_csv(
    path: Path, *, encoding: str | None = None, limits: Limits, max_rows: int
) -> RawBook:
    """Read one ``<Sheet>.csv`` file or a folder of them into a :class:`RawBook`.

    Files whose name is not a sheet of the contract are listed in ``ignored``.
    """
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix.lower() == ".csv")
        if not files:
            raise WorkbookError(
                f"{path} holds no .csv files",
                [Problem(f"the folder {path.name} holds no .csv files")],
            )
    else:
        files = [path]
        if canonical_sheet(path.stem) is None:
            message = (
                f"{path.name} is not named after a sheet of the workbook "
                "(Accounts.csv, Revenue.csv, MRR.csv, ...)"
            )
            raise WorkbookError(message, [Problem(message)])
    book = RawBook(str(path))
    for file in files:
        canon = canonical_sheet(file.stem)
        if canon is None:
            book.ignored.append(file.name)
            continue
        if canon in book.sheets:
            first = book.sheets[canon].name
            message = f"two files are named {canon}: {first}.csv and {file.name}"
            raise WorkbookError(message, [Problem(message, sheet=canon)])
        raw = read_csv_sheet(
            file, canon, encoding=encoding, limits=limits, max_rows=max_rows
        )
        book.sheets[canon] = raw
    return book


def decode_csv(data: bytes, *, sheet: str, encoding: str | None = None) -> str:
    """Decode a CSV file: BOM first, then ``encoding``, else strict UTF-8.

    Raises :class:`WorkbookError` naming the line of the first undecodable byte.
    """
    if data.startswith(codecs.BOM_UTF8):
        data, codec = data[len(codecs.BOM_UTF8) :], "utf-8"
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        codec = "utf-16"
    else:
        codec = encoding or "utf-8"
    try:
        codecs.lookup(codec)
    except LookupError as exc:
        raise InputError(f"unknown encoding {codec!r}") from exc
    try:
        return data.decode(codec)
    except UnicodeDecodeError as exc:
        if codec == "utf-16":
            line = data[: exc.start].decode("utf-16", "replace").count("\n") + 1
        else:
            line = data[: exc.start].count(b"\n") + 1
        bad = data[exc.start : exc.start + 1].hex()
        hint = (
            "save the file as UTF-8 (CSV UTF-8 in Excel) or pass --encoding "
            "(e.g. --encoding cp1252)"
            if encoding is None
            else f"the file is not valid {codec}"
        )
        message = f"line {line}: byte 0x{bad} is not valid {codec}; {hint}"
        raise WorkbookError(
            f"{sheet}.csv cannot be decoded",
            [Problem(message, sheet=sheet, row=line)],
        ) from exc


def _may_be_utf8(data: bytes, encoding: str | None) -> bool:
    """True when the file is read as UTF-8 (the only codec of the fast path)."""
    if data.startswith(codecs.BOM_UTF8):
        return True
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return False
    if encoding is None:
        return True
    try:
        return codecs.lookup(encoding).name == "utf-8"
    except LookupError:
        return False


def _separator(text: str) -> str:
    """``;`` or a tab when the header line has more of them than commas."""
    header = text.split("\n", 1)[0]
    counts = {sep: header.count(sep) for sep in (",", ";", "\t")}
    best = max(counts, key=lambda s: counts[s])
    return best if counts[best] > counts[","] else ","


def read_csv_sheet(
    path: Path,
    sheet: str,
    *,
    encoding: str | None = None,
    limits: Limits,
    max_rows: int,
) -> RawSheet:
    """Read one CSV file as the sheet ``sheet``: header on line 1, cells as text."""
    size = path.stat().st_size
    if size > limits.file_bytes:
        raise UnsafeFileError(
            f"{path.name} is {size // 2**20} MiB; the largest file accepted is "
            f"{limits.file_bytes // 2**20} MiB"
        )
    data = path.read_bytes()
    if _may_be_utf8(data, encoding):
        fast = fast_columns(data, field_chars=limits.csv_field_bytes, max_rows=max_rows)
        if fast is not None and len(fast[0]) <= limits.columns:
            names, columns, lines = fast
            return RawSheet(
                path.stem, [h.strip() for h in names], None, lines, columns=columns
            )
    text = decode_csv(data, sheet=sheet, encoding=encoding)
    del data
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        message = (
            f"line {line} contains a NUL character: the file is binary or in "
            "another encoding (pass --encoding)"
        )
        raise WorkbookError(
            f"{path.name} cannot be read", [Problem(message, sheet=sheet, row=line)]
        )
    reader = csv.reader(
        io.StringIO(text, newline=""), delimiter=_separator(text), strict=True
    )
    headers: list[str] | None = None
    rows: list[list[object]] = []
    numbers: list[int] = []
    start = 1
    with _FIELD_LIMIT_LOCK:
        old = csv.field_size_limit(limits.csv_field_bytes)
        try:
            for record in reader:
                if headers is None:
                    headers = [h.strip() for h in record]
                elif any(record) and "".join(record).strip():
                    if len(rows) >= max_rows:
                        raise WorkbookError(
                            f"{path.name} is too long",
                            [
                                Problem(
                                    f"more than {max_rows} data rows",
                                    sheet=sheet,
                                    row=start,
                                )
                            ],
                        )
                    rows.append(list(record))
                    numbers.append(start)
                start = reader.line_num + 1
        except csv.Error as exc:
            raise WorkbookError(
                f"{path.name} cannot be read",
                [Problem(_csv_message(exc, start, limits), sheet=sheet, row=start)],
            ) from exc
        finally:
            csv.field_size_limit(old)
    if headers and len(headers) > limits.columns:
        raise WorkbookError(
            f"{path.name} cannot be read",
            [
                Problem(
                    f"{len(headers)} columns; at most {limits.columns} are accepted",
                    sheet=sheet,
                    row=1,
                )
            ],
        )
    return _sheet(path.stem, headers or [], rows, numbers)


def _sheet(
    name: str, headers: list[str], rows: list[list[object]], numbers: list[int]
) -> RawSheet:
    """The sheet held by columns, equal texts shared, the records released."""
    width = max([len(headers), *(len(r) for r in rows)])
    columns: list[list[object]] = []
    for j in range(width):
        cache: dict[object, object] = {}
        put = cache.setdefault
        columns.append([put(v, v) for v in (r[j] if j < len(r) else "" for r in rows)])
    rows.clear()
    lines: list[int] | LineNumbers = numbers
    if numbers and numbers[-1] - numbers[0] == len(numbers) - 1:
        lines = LineNumbers(numbers[0], len(numbers))
    return RawSheet(name, headers, None, lines, columns=columns)


def _csv_message(exc: csv.Error, line: int, limits: Limits) -> str:
    text = str(exc)
    if "field larger than field limit" in text:
        return (
            f"a field starting on line {line} is longer than "
            f'{limits.csv_field_bytes // 1024} KiB — most often an unmatched quote (")'
        )
    if "unexpected end of data" in text:
        return f'unmatched quote (") in the record starting on line {line}'
    return f"line {line}: {text} (check the quotes)"
