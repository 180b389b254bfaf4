"""The result every analysis returns."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol, overload

__all__ = ["AnalysisResult", "ArrowTable", "Rows", "column_sums", "jsonable"]


class ArrowTable(Protocol):
    """What :class:`Rows` needs of a ``pyarrow.Table`` (as ``to_pyarrow()`` returns);
    the analysis layer itself does not import pyarrow."""

    @property
    def num_rows(self) -> int: ...

    @property
    def column_names(self) -> list[str]: ...

    def slice(self, offset: int = 0, length: int | None = None) -> Any: ...

    def to_pylist(self) -> list[dict[str, Any]]: ...


def column_sums(data: Any, names: Sequence[str]) -> dict[str, int]:
    """The whole-number sums of the columns ``names`` of the Arrow table ``data``
    (true values counted in a boolean column), summed by Arrow instead of row by
    row in Python; 0 for an empty table."""
    if not data.num_rows:
        return dict.fromkeys(names, 0)
    sums = data.group_by([]).aggregate([(k, "sum") for k in names]).to_pylist()[0]
    # int(str(…)): PostgreSQL sums counts as exact decimals.
    return {k: int(str(sums[f"{k}_sum"] or 0)) for k in names}


def jsonable(value: object) -> object:
    """``value`` with Decimals as exact strings, dates as ISO text, tuples as lists.

    Floats (shares, ratios) stay floats; dicts and lists are converted recursively.
    """
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | Rows):
        return [jsonable(v) for v in value]
    return value


class Rows(Sequence[dict[str, object]]):
    """Rows of a result, kept as one Arrow table and turned into dicts on access.

    A sequence of dicts for row-wise consumers (``len``, indexing, slicing, iteration,
    equality with a list of dicts) and the table itself for columnar ones
    (:attr:`arrow`). Money columns (``decimal128``) come out as exact
    :class:`~decimal.Decimal`. ``convert`` (optional) maps each fetched dict to the
    row handed out, so that per-row work (an explanation text) is done only for the
    rows a consumer reads.
    """

    __slots__ = ("_cache", "_convert", "arrow")

    def __init__(
        self,
        table: ArrowTable,
        convert: Callable[[dict[str, object]], dict[str, object]] | None = None,
    ) -> None:
        #: The rows as an Arrow table (columns as fetched, before ``convert``).
        self.arrow = table
        self._convert = convert
        self._cache: list[dict[str, object]] | None = None

    def _all(self) -> list[dict[str, object]]:
        if self._cache is None:
            raw = self.arrow.to_pylist()
            convert = self._convert
            self._cache = raw if convert is None else [convert(r) for r in raw]
        return self._cache

    def __len__(self) -> int:
        return int(self.arrow.num_rows)

    @overload
    def __getitem__(self, index: int) -> dict[str, object]: ...

    @overload
    def __getitem__(self, index: slice) -> list[dict[str, object]]: ...

    def __getitem__(
        self, index: int | slice
    ) -> dict[str, object] | list[dict[str, object]]:
        if self._cache is not None:
            return self._cache[index]
        n = self.arrow.num_rows
        if isinstance(index, slice):
            start, stop, step = index.indices(n)
            if step != 1:
                return self._all()[index]
            part = self.arrow.slice(start, max(0, stop - start)).to_pylist()
            convert = self._convert
            return part if convert is None else [convert(r) for r in part]
        i = index + n if index < 0 else index
        if not 0 <= i < n:
            raise IndexError(f"row {index} of {n}")
        row = self.arrow.slice(i, 1).to_pylist()[0]
        return row if self._convert is None else self._convert(row)

    def __iter__(self) -> Iterator[dict[str, object]]:
        return iter(self._all())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Rows):
            return self._all() == other._all()
        if isinstance(other, list):
            return self._all() == other
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Rows({len(self)} rows: {', '.join(self.arrow.column_names)})"


#: A table of a result: a list of dicts, or :class:`Rows` that behave as one.
RowList = list[dict[str, object]] | Rows


@dataclass
class AnalysisResult:
    """What an analysis computed and how.

    - ``analysis``: the registry name (``'pareto'``, ``'abc'``).
    - ``parameters``: every parameter value used, after defaults and resolution
      (the period range actually analysed); JSON-able.
    - ``summary``: headline figures; JSON-able, money as exact decimal strings
      (``"1000.00"``), shares and ratios as floats in 0…1.
    - ``rows``: the main table, one dict per row, keyed by the registry's output
      columns; money as :class:`~decimal.Decimal`. A list, or :class:`Rows` (an
      Arrow table read as dicts on access).
    - ``tables``: further tables by name (class summary, migration matrix, ...), rows
      as in ``rows``.
    - ``warnings``: notices in plain words (a shortened range, too few periods, ...).
    - ``top_level``: names of ``tables`` that the JSON also gives as top-level keys
      (the stakeholder map's ``paths``).
    """

    analysis: str
    parameters: dict[str, object]
    summary: dict[str, object]
    rows: RowList
    tables: dict[str, RowList] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    top_level: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, object]:
        """The result as JSON-able data (see :func:`jsonable`)."""
        out: dict[str, object] = {
            "analysis": self.analysis,
            "parameters": jsonable(self.parameters),
            "summary": jsonable(self.summary),
            "rows": jsonable(self.rows),
            "warnings": list(self.warnings),
        }
        if self.tables:
            out["tables"] = jsonable(self.tables)
        for name in self.top_level:
            out.setdefault(name, jsonable(self.tables.get(name, [])))
        return out

    def to_json(self, *, indent: int | None = None) -> str:
        """JSON text: analysis, parameters, summary, rows, warnings (and tables)."""
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)
