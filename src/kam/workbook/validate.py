"""Validating a :class:`RawBook` into a :class:`~kam.model.Portfolio`.

Every problem of the file is collected (headers, cells, keys, references, cycles,
sheet rules) before :class:`~kam.errors.WorkbookError` is raised, each naming the
sheet, the spreadsheet row (header = 1) or CSV line, the column, the value as typed
and what was expected. Notices that do not block (ignored sheets, summed duplicate
revenue, rounded amounts, unknown settings) become ``Portfolio.warnings``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping

from kam.config import Limits
from kam.errors import WorkbookError
from kam.model import (
    EXTRA,
    INSTRUCTIONS_SHEET,
    SETTINGS_DEFAULTS,
    SHEET_ORDER,
    SHEETS,
    Column,
    Kind,
    Portfolio,
    Sheet,
    Table,
    store_columns,
)
from kam.workbook.checks import (
    SHEET_CHECKS,
    Collector,
    Context,
    SheetData,
    check_cycles,
    check_keys,
    check_references,
)
from kam.workbook.columns import NO_EXTRA
from kam.workbook.convert import (
    Invalid,
    cell_text,
    convert_column,
    converter,
    is_blank,
    shown,
)
from kam.workbook.read import RawBook, RawSheet

__all__ = ["validate"]

_TREES = {
    "Accounts": ("account_id", "parent_account_id"),
    "Stakeholders": ("stakeholder_id", "reports_to"),
    "Units": ("unit_id", "parent_unit_id"),
}


def validate(
    raw: RawBook,
    *,
    currency: str | None = None,
    known: Mapping[tuple[str, str], set[str]] | None = None,
    limits: Limits | None = None,
) -> Portfolio:
    """Validate every sheet of ``raw`` and build the portfolio.

    The template's *Instructions* sheet is skipped silently; other unknown sheets
    are ignored with a notice.

    ``currency`` is the workspace currency (default: the Settings sheet's, else
    USD); ``known`` holds ids already stored, per (sheet, id column), so that
    references may point at them. Raises :class:`WorkbookError` listing every
    error (at most 10,000).
    """
    known = known or {}
    cell_chars = (limits or Limits()).cell_chars
    c = Collector()
    for name in raw.ignored:
        if name.strip().casefold() == INSTRUCTIONS_SHEET.casefold():
            continue  # the template's own explanation sheet
        c.warn(f"sheet {name!r} is not part of the kam workbook; it was ignored")
    if "Accounts" not in raw.sheets and ("Accounts", "account_id") not in known:
        c.error("the Accounts sheet is required", "Accounts")
    data: dict[str, SheetData] = {}
    for name in SHEET_ORDER:
        if name in raw.sheets:
            data[name] = _convert_sheet(raw.sheets[name], SHEETS[name], c, cell_chars)
    settings = data.get("Settings")
    if settings is not None:
        _check_settings(settings, c)
    ctx = Context(_workspace_currency(currency, settings, c), {}, known)
    for d in data.values():
        check_keys(d, c)
    ctx = Context(ctx.workspace_currency, _reference_ids(data, known), known)
    for name, d in data.items():
        check_references(d, ctx.ids, c)
        if name in _TREES:
            check_cycles(d, *_TREES[name], c)
        for check in d.sheet.checks:
            rule = SHEET_CHECKS.get(check)
            if rule is not None:
                rule(d, c, ctx)
    problems = c.problems()
    if problems:
        n = len(c.errors) + c.more
        raise WorkbookError(
            f"{_source_name(raw)} has {n} error{'s' if n != 1 else ''}", problems
        )
    # Each sheet's converted lists are released as soon as its Table holds them.
    tables = {name: _table(data.pop(name)) for name in list(data)}
    return Portfolio(tables=tables, warnings=c.warnings)


def _source_name(raw: RawBook) -> str:
    return raw.source.replace("\\", "/").rsplit("/", 1)[-1] or "the workbook"


def _letter(j: int) -> str:
    out = ""
    j += 1
    while j:
        j, r = divmod(j - 1, 26)
        out = chr(65 + r) + out
    return out


def _convert_sheet(raw: RawSheet, s: Sheet, c: Collector, cell_chars: int) -> SheetData:
    """Map headers to columns, then convert each column; extra columns kept as text."""
    by_name = {col.name.casefold(): col for col in s.columns}
    seen: dict[str, int] = {}
    mapped: dict[str, int] = {}
    extra: list[tuple[str, int]] = []
    width = max(len(raw.headers), len(raw.columns))
    for j in range(width):
        header = cell_text(raw.headers[j]).strip() if j < len(raw.headers) else ""
        cells = raw.columns[j] if j < len(raw.columns) else []
        if not header:
            if any(not is_blank(v) for v in cells):
                c.warn(
                    f"column {_letter(j)} has values but no header; it was ignored",
                    s.name,
                    1,
                )
            continue
        folded = header.casefold()
        if folded in seen:
            c.error(
                f"duplicate header {header!r} (also column {_letter(seen[folded])})",
                s.name,
                1,
                header,
                header,
                "each column once",
            )
            continue
        seen[folded] = j
        col = by_name.get(folded)
        if col is not None:
            mapped[col.name] = j
        else:
            extra.append((header, j))
    for col in s.columns:
        if col.required and col.name not in mapped:
            c.error(
                f"the required column {col.name!r} is missing",
                s.name,
                1,
                col.name,
                None,
                f"a column named {col.name}",
            )
    n = len(raw.row_numbers)
    data = SheetData(s, raw.row_numbers, {}, {}, {}, [], set(mapped))
    for col in s.columns:
        pos = mapped.get(col.name)
        if pos is None:
            data.values[col.name] = [col.default] * n
            data.raw[col.name] = [None] * n
            continue
        cells = raw.columns[pos]
        result = convert_column(col, cells, cell_chars=cell_chars)
        data.values[col.name] = result.values
        data.raw[col.name] = cells
        data.bad[col.name] = {i for i, _ in result.errors}
        for i, message in result.errors:
            c.error(
                message, s.name, data.rows[i], col.name, shown(cells[i]), col.expected
            )
        if result.rounded:
            n_rounded = len(result.rounded)
            c.warn(
                f"{n_rounded} amount{'s' if n_rounded != 1 else ''} had more than 2 "
                f"decimals and {'were' if n_rounded != 1 else 'was'} rounded to cents "
                "(half to even)",
                s.name,
                data.rows[result.rounded[0]],
                col.name,
            )
    if s.wide:
        _widen(data, raw, extra, c, cell_chars)
    else:
        data.extra = _extra(raw, extra, n)
    return data


def _extra(raw: RawSheet, extra: list[tuple[str, int]], n: int) -> list[dict[str, str]]:
    # Rows without extra values share one read-only empty mapping.
    out: list[dict[str, str]] = [NO_EXTRA] * n
    for header, j in extra:
        for i, v in enumerate(raw.columns[j]):
            if not is_blank(v):
                if out[i] is NO_EXTRA:
                    out[i] = {}
                out[i][header] = cell_text(v).strip()
    return out


def _widen(
    data: SheetData,
    raw: RawSheet,
    roles: list[tuple[str, int]],
    c: Collector,
    cell_chars: int,
) -> None:
    """Turn the wide matrix (one column per role) into long rows (role, code)."""
    s = data.sheet
    assert s.wide_value is not None
    code_col = s.wide_value
    conv = converter(code_col, cell_chars=cell_chars)
    fixed = list(data.values)
    long_values: dict[str, list[object]] = {
        k: [] for k in [*fixed, s.wide_name, code_col.name]
    }
    long_rows: list[int] = []
    seen: dict[tuple[object, object], int] = {}
    for i, row in enumerate(data.rows):
        pair = (data.values["account_id"][i], data.values["activity"][i])
        if pair[1] is not None and i not in data.bad.get("activity", set()):
            if pair in seen:
                where = (
                    f"account {pair[0]!r}" if pair[0] is not None else "the programme"
                )
                c.error(
                    f"activity {pair[1]!r} of {where} appears twice "
                    f"(also in row {seen[pair]})",
                    s.name,
                    row,
                    "activity",
                    str(pair[1]),
                )
            else:
                seen[pair] = row
        codes: list[tuple[str, object]] = []
        for role, j in roles:
            v = raw.columns[j][i]
            if is_blank(v):
                continue
            try:
                codes.append((role, conv(v)))
            except Invalid as exc:
                c.error(str(exc), s.name, row, role, shown(v), code_col.expected)
        for role, code in codes or [("", None)]:
            for k in fixed:
                long_values[k].append(data.values[k][i])
            long_values[s.wide_name].append(role)
            long_values[code_col.name].append(code)
            long_rows.append(row)
    data.values = long_values
    data.rows = long_rows
    data.extra = [NO_EXTRA] * len(long_rows)
    data.raw = {k: [None] * len(long_rows) for k in long_values}
    data.bad = {}


def _reference_ids(
    data: Mapping[str, SheetData], known: Mapping[tuple[str, str], set[str]]
) -> dict[tuple[str, str], set[str] | None]:
    targets = {
        (col.ref.sheet, col.ref.column)
        for d in data.values()
        for col in d.sheet.columns
        if col.ref is not None
    }
    ids: dict[tuple[str, str], set[str] | None] = {}
    for sheet_name, column in targets:
        stored = known.get((sheet_name, column))
        if sheet_name in data:
            found = {str(v) for v in data[sheet_name].values[column] if v is not None}
            ids[(sheet_name, column)] = found | set(stored or ())
        else:
            ids[(sheet_name, column)] = set(stored) if stored is not None else None
    return ids


def _table(d: SheetData) -> Table:
    """The Table of ``d``, taking over its lists (``d`` is dropped right after).

    Building it through ``Table(columns, data)`` would copy every list: a second
    set of pointers per cell while both exist (150 MiB for 3.6M MRR rows).
    """
    columns = store_columns(d.sheet)
    values: dict[str, list[object]] = dict(d.values)
    values[EXTRA] = d.extra  # type: ignore[assignment]
    if len({len(values[k]) for k in columns}) > 1:
        raise ValueError(f"{d.name}: converted columns of unequal lengths")
    table = Table(columns)
    taken: set[int] = set()
    for k in columns:
        # A list that stands for two columns is copied, so each column owns its own.
        column = values[k]
        table.data[k] = list(column) if id(column) in taken else column
        taken.add(id(column))
    return table


_CURRENCY_RE = re.compile(r"[A-Z]{3}")
_DATE = converter(Column("as_of", Kind.DATE))
_SETTINGS_EXPECTED = {
    "currency": "a 3-letter ISO 4217 code such as USD",
    "fiscal_year_start": "a month number from 1 to 12",
    "pareto_threshold": "a number between 0 and 1, e.g. 0.80",
    "abc_cutoffs": "two increasing numbers between 0 and 1, e.g. 0.80,0.95",
    "renewal_window_days": "a whole number of days ≥ 0",
    "as_of": "a date (YYYY-MM-DD)",
}


def _setting_value(key: str, raw: object) -> str:
    """The canonical text of a known setting; raises ``Invalid`` when out of range."""
    text = cell_text(raw).strip()
    if key == "currency":
        code = text.upper()
        if not _CURRENCY_RE.fullmatch(code):
            raise Invalid(f"{text!r} is not a currency code")
        return code
    if key == "fiscal_year_start":
        month = _number(raw, text)
        if not (month.is_integer() and 1 <= month <= 12):
            raise Invalid(f"{text!r} is not a month number 1–12")
        return str(int(month))
    if key == "pareto_threshold":
        if not 0 < _number(raw, text) < 1:
            raise Invalid(f"{text!r} is not between 0 and 1")
        return text
    if key == "abc_cutoffs":
        parts = [p for p in re.split(r"[,;\s]+", text) if p]
        if len(parts) != 2:
            raise Invalid(f"{text!r} is not two numbers")
        a, b = (_number(p, p) for p in parts)
        if not 0 < a < b < 1:
            raise Invalid(f"{text!r} is not two increasing numbers between 0 and 1")
        return f"{parts[0]},{parts[1]}"
    if key == "renewal_window_days":
        days = _number(raw, text)
        if not (days.is_integer() and days >= 0):
            raise Invalid(f"{text!r} is not a whole number of days ≥ 0")
        return str(int(days))
    if key == "as_of":
        day = _DATE(raw if isinstance(raw, dt.date) else text)
        assert isinstance(day, dt.date)
        return day.isoformat()
    return text


def _number(raw: object, text: str) -> float:
    if isinstance(raw, float | int) and not isinstance(raw, bool):
        return float(raw)
    try:
        return float(text)
    except ValueError:
        raise Invalid(f"{text!r} is not a number") from None


def _check_settings(d: SheetData, c: Collector) -> None:
    """Known keys are canonical (lower case) and checked; unknown keys warned about."""
    keys, values = d.values["key"], d.values["value"]
    for i, key in enumerate(keys):
        if key is None:
            continue
        name = str(key).casefold()
        if name not in SETTINGS_DEFAULTS:
            c.warn(
                f"unknown setting {key!r} was kept but is not used",
                d.name,
                d.rows[i],
                "key",
                str(key),
            )
            continue
        keys[i] = name
        if values[i] is None:
            continue
        try:
            values[i] = _setting_value(name, d.raw["value"][i])
        except Invalid as exc:
            c.error(
                f"setting {name}: {exc}",
                d.name,
                d.rows[i],
                "value",
                shown(d.raw["value"][i]),
                _SETTINGS_EXPECTED.get(name),
            )


def _workspace_currency(
    currency: str | None, settings: SheetData | None, c: Collector
) -> str:
    """The currency argument, else the Settings sheet's, else USD."""
    if currency is not None:
        return currency.strip().upper()
    if settings is not None:
        for key, value in zip(
            settings.values["key"], settings.values["value"], strict=True
        ):
            if (
                key == "currency"
                and isinstance(value, str)
                and _CURRENCY_RE.fullmatch(value)
            ):
                return value
    return "USD"
