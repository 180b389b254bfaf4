"""The fast path for reading a big, plain CSV file: pyarrow parses it into columns.

The stdlib reader costs several seconds per million rows, most of it building one
list per record. pyarrow parses the same file in C into string columns, and
dictionary-encodes each column so that every distinct text becomes one Python
object shared by all its cells (ids, months, plans repeat massively).

It only takes files whose meaning cannot differ from the stdlib reader's: UTF-8,
no quote character at all, no NUL, no lone CR, one record per line (no blank lines, no
multi-line fields), the same number of fields on every line, every field within the
field size limit and at most ``max_rows`` records. Anything else, including every
file with an error to report, returns ``None`` and goes through the stdlib reader,
which is the reference for every error message and line number.
"""

from __future__ import annotations

import codecs
import csv

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from kam.workbook.columns import LineNumbers

__all__ = ["fast_columns"]

# Large enough that a block boundary never splits a record of a sane file; a longer
# record makes pyarrow refuse the file, which then takes the stdlib path.
_BLOCK_BYTES = 16 * 2**20


def fast_columns(
    data: bytes, *, field_chars: int, max_rows: int
) -> tuple[list[str], list[list[object]], list[int] | LineNumbers] | None:
    """Headers, columns and line numbers of a plain UTF-8 CSV, or ``None``.

    ``None`` means "use the stdlib reader": the file is not plain enough to be sure
    both readers agree, or it holds something to report.
    """
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    if not data or b'"' in data or b"\x00" in data:
        return None
    if data.count(b"\r") != data.count(b"\r\n"):
        return None  # a lone CR ends a line for the stdlib reader: lines differ
    end = data.find(b"\n")
    if end < 0:
        return None
    try:
        header_line = data[:end].decode("utf-8")
    except UnicodeDecodeError:
        return None
    separator = _separator(header_line)
    headers = next(csv.reader([header_line.rstrip("\r")], delimiter=separator))
    lines = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
    if not 1 < lines <= max_rows + 1 or not headers:
        return None
    names = [f"c{j}" for j in range(len(headers))]
    try:
        table = pa_csv.read_csv(
            pa.py_buffer(data),
            read_options=pa_csv.ReadOptions(
                skip_rows=1, column_names=names, block_size=_BLOCK_BYTES
            ),
            parse_options=pa_csv.ParseOptions(
                delimiter=separator, quote_char=False, double_quote=False
            ),
            convert_options=pa_csv.ConvertOptions(
                column_types={name: pa.string() for name in names},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowException, ValueError):
        return None
    if table.num_rows != lines - 1:
        return None  # blank lines were skipped or a line split: line numbers differ
    columns: list[list[object]] = []
    blank_masks: list[np.ndarray] = []
    for j in range(table.num_columns):
        built = _column(table.column(j), field_chars)
        if built is None:
            return None
        column, blank = built
        columns.append(column)
        blank_masks.append(blank)
    del table
    # Arrow's allocator keeps freed blocks for reuse; hand them back, since the
    # columns now live in Python objects (~130 MiB less at 100k accounts).
    pa.default_memory_pool().release_unused()
    kept, numbers = _drop_blank_rows(columns, blank_masks)
    return headers, kept, numbers


def _separator(header: str) -> str:
    """``;`` or a tab when the header line has more of them than commas."""
    counts = {sep: header.count(sep) for sep in (",", ";", "\t")}
    best = max(counts, key=lambda s: counts[s])
    return best if counts[best] > counts[","] else ","


def _column(
    chunked: pa.ChunkedArray, field_chars: int
) -> tuple[list[object], np.ndarray] | None:
    """The cells of one column (equal texts shared) and a mask of its blank cells."""
    cache: dict[str, str] = {}
    setdefault = cache.setdefault
    cells: list[object] = []
    blanks: list[np.ndarray] = []
    for chunk in chunked.chunks:
        encoded = chunk.dictionary_encode()
        dictionary = encoded.dictionary
        if len(dictionary) and pc.max(pc.utf8_length(dictionary)).as_py() > field_chars:
            return None  # the stdlib reader reports the over-long field
        distinct = [setdefault(v, v) for v in dictionary.to_pylist()]
        if encoded.indices.null_count:
            return None  # cannot happen with strings_can_be_null=False
        indices = _codes(encoded.indices)
        cells.extend(np.array(distinct, dtype=object)[indices].tolist())
        blank_ids = [k for k, v in enumerate(distinct) if not v.strip()]
        if blank_ids:
            blanks.append(np.isin(indices, blank_ids))
        else:
            blanks.append(np.zeros(len(indices), dtype=bool))
    blank = np.concatenate(blanks) if blanks else np.zeros(0, dtype=bool)
    return cells, blank


def _codes(indices: pa.Array) -> np.ndarray:
    """The dictionary codes of a column without nulls, as a numpy view.

    Read from the Arrow buffer directly: pyarrow's own conversion to numpy imports
    pandas, which costs more than half a second and is not needed here.
    """
    width = indices.type.bit_width // 8
    return np.frombuffer(
        indices.buffers()[1],
        dtype=np.dtype(f"<i{width}"),
        count=len(indices),
        offset=indices.offset * width,
    )


def _drop_blank_rows(
    columns: list[list[object]], blank_masks: list[np.ndarray]
) -> tuple[list[list[object]], list[int] | LineNumbers]:
    """Skip rows whose every field is blank, as the stdlib reader does."""
    n = len(columns[0]) if columns else 0
    blank = np.logical_and.reduce(blank_masks) if blank_masks else np.zeros(0, bool)
    if not blank.any():
        return columns, LineNumbers(2, n)
    keep = np.flatnonzero(~blank)
    kept = [np.array(c, dtype=object)[keep].tolist() for c in columns]
    return kept, (keep + 2).tolist()
