"""Lean column building blocks for big sheets.

A 100k-account portfolio has millions of MRR and Revenue rows whose values repeat
massively (ids, months, plans). These helpers keep such columns small: spreadsheet
row numbers that are simply consecutive are held as a range instead of millions of
ints, rows without extra columns share one read-only empty mapping instead of
one dict each, and keys of millions of rows are compared as int64 codes instead of
tuples.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, NoReturn, overload

__all__ = ["BIG_KEYS", "NO_EXTRA", "LineNumbers", "all_distinct"]


class LineNumbers(Sequence[int]):
    """Consecutive spreadsheet rows (or CSV lines) ``first, first + 1, ...``.

    Behaves like the equivalent list (indexing, iteration, ``==`` with any
    sequence of ints) while taking constant memory.
    """

    __slots__ = ("_range",)

    def __init__(self, first: int, count: int) -> None:
        self._range = range(first, first + count)

    @overload
    def __getitem__(self, index: int) -> int: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[int]: ...

    def __getitem__(self, index: int | slice) -> int | Sequence[int]:
        if isinstance(index, slice):
            return list(self._range[index])
        return self._range[index]

    def __len__(self) -> int:
        return len(self._range)

    def __iter__(self) -> Iterator[int]:
        return iter(self._range)

    def __contains__(self, value: object) -> bool:
        return value in self._range

    def __eq__(self, other: object) -> bool:
        if isinstance(other, LineNumbers):
            return self._range == other._range
        if isinstance(other, Sequence) and not isinstance(other, str | bytes):
            return len(other) == len(self._range) and all(
                a == b for a, b in zip(self._range, other, strict=True)
            )
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"LineNumbers({self._range.start}, {len(self._range)})"


class _NoExtra(dict[str, str]):
    """The extra columns of a row that has none: one shared, read-only ``{}``.

    It is a ``dict`` (the store and the writer accept exactly that), equal to
    ``{}``; any attempt to change it raises, so sharing it cannot leak a value from
    one row into another.
    """

    __slots__ = ()

    def _refuse(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise TypeError("the extra columns of a validated row are read-only")

    __setitem__ = _refuse
    __delitem__ = _refuse
    setdefault = _refuse
    update = _refuse
    pop = _refuse
    popitem = _refuse
    clear = _refuse
    __ior__ = _refuse

    def __reduce__(self) -> tuple[type[dict[str, str]], tuple[()]]:
        # A copy made by pickle or copy is an ordinary empty dict.
        return (dict, ())


#: The extra columns of every row without any.
NO_EXTRA: dict[str, str] = _NoExtra()


#: From this many rows on, keys are compared as int64 codes instead of tuples.
BIG_KEYS = 500_000


def all_distinct(columns: Sequence[Sequence[object]]) -> bool:
    """True when no two rows share a key; False when some may (then checked fully).

    Each key column becomes integer codes of its distinct values, combined into one
    int64 per row, so that millions of rows need no key tuples. A column holding
    one value throughout (often a blank optional key part) adds nothing and is
    skipped. When the combinations are few enough, one flag per combination
    finds a repeat in one pass; otherwise a sort puts repeats side by side.
    """
    import numpy as np  # only big sheets need it; small workbooks load faster

    n = len(columns[0]) if columns else 0
    combined = np.zeros(n, dtype=np.int64)
    span = 1
    for column in columns:
        distinct = set(column)
        if len(distinct) <= 1:
            continue
        codes = {v: k for k, v in enumerate(distinct)}
        span *= len(codes)
        if span >= 2**62:
            return False  # too many combinations for int64: use the tuple path
        combined *= len(codes)
        combined += np.fromiter(map(codes.__getitem__, column), np.int64, n)
    if span <= _FLAGS_PER_ROW * n:
        seen = np.zeros(span, dtype=np.bool_)
        seen[combined] = True
        return int(np.count_nonzero(seen)) == n
    # A sort then a neighbour comparison: far faster than np.unique here.
    combined.sort()
    return not bool((combined[1:] == combined[:-1]).any())


#: Flags allowed per row (one byte each) before all_distinct sorts instead.
_FLAGS_PER_ROW = 8
