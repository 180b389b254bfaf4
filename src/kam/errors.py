"""The exception tree of kam.

Every error kam raises on purpose is a :class:`KamError`. Adapters (workbook, store,
engine, deck) translate third-party exceptions into these with ``raise ... from``;
interfaces (CLI, web) turn them into user messages, each in one place::

    KamError
    ├── InputError (also ValueError)     bad data or bad arguments
    │   ├── WorkbookError                a list of Problems (sheet, row, column, ...)
    │   │   └── UnsafeFileError          refused before parsing (zip bomb, DOCTYPE, ...)
    │   ├── ParameterError               an analysis parameter out of range
    │   └── MissingDataError             a tool's sheet is missing or empty
    ├── NotFoundError (also LookupError) no such account, snapshot, user, ...
    ├── PermissionDenied                 the user may not do that
    ├── ConflictError                    a stale edit (optimistic concurrency)
    ├── StoreError                       the database refused or failed
    └── ExportError                      a workbook, deck or file could not be written
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "ConflictError",
    "ExportError",
    "InputError",
    "KamError",
    "MissingDataError",
    "NotFoundError",
    "ParameterError",
    "PermissionDenied",
    "Problem",
    "StoreError",
    "UnsafeFileError",
    "WorkbookError",
]

Severity = Literal["error", "warning"]


class KamError(Exception):
    """Root of every error kam raises on purpose."""


class InputError(KamError, ValueError):
    """Bad data or bad arguments supplied by the user."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong (or worth a notice) in an input.

    ``row`` is the spreadsheet row (header = 1) or the CSV line number; ``sheet``,
    ``row`` and ``column`` are ``None`` for file-level problems.
    """

    message: str
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    value: str | None = None
    expected: str | None = None
    severity: Severity = "error"

    def location(self) -> str:
        parts: list[str] = []
        if self.sheet:
            parts.append(self.sheet)
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column {self.column}")
        return ", ".join(parts)

    def __str__(self) -> str:
        where = self.location()
        return f"{where}: {self.message}" if where else self.message

    def as_dict(self) -> dict[str, object]:
        return {
            "severity": self.severity,
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "value": self.value,
            "expected": self.expected,
            "message": self.message,
        }


class WorkbookError(InputError):
    """A workbook (or CSV folder) failed validation; ``problems`` lists every error."""

    def __init__(self, message: str, problems: Iterable[Problem] = ()) -> None:
        self.problems: list[Problem] = list(problems)
        super().__init__(message)

    def __str__(self) -> str:
        base = super().__str__()
        n = len(self.problems)
        if n == 0:
            return base
        return f"{base} ({n} problem{'s' if n != 1 else ''})"


class UnsafeFileError(WorkbookError):
    """The file was refused before parsing: too large, not a zip, a bomb, a DOCTYPE."""

    def __init__(self, message: str) -> None:
        super().__init__(message, [Problem(message)])


class ParameterError(InputError):
    """An analysis parameter is invalid; the message names it and the accepted range."""

    def __init__(self, parameter: str, message: str) -> None:
        self.parameter = parameter
        super().__init__(f"parameter {parameter}: {message}")


class MissingDataError(InputError):
    """A tool needs a sheet (or data in it) that the portfolio does not have."""


class NotFoundError(KamError, LookupError):
    """The thing asked for does not exist (or the user may not know that it does)."""


class PermissionDenied(KamError):
    """The signed-in user may not do this."""


class ConflictError(KamError):
    """An edit was based on a stale version; ``current`` holds the stored values."""

    def __init__(self, message: str, current: dict[str, object] | None = None) -> None:
        self.current: dict[str, object] = dict(current or {})
        super().__init__(message)


class StoreError(KamError):
    """The store (database) refused or failed an operation."""


class ExportError(KamError):
    """A workbook, deck or other file could not be written."""
