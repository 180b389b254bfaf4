"""Hypothesis strategies for valid portfolios of the workbook contract.

Every generated :class:`~kam.model.Portfolio` is what validation would produce from
a well-formed workbook: canonical values per kind, unique keys, references that
resolve, trees without cycles, criteria weights that sum to 1 (or 100) per section,
tasks whose predecessors come earlier. Text covers unicode (astral characters, RTL
scripts), text Excel would take for a formula (``=``, ``+``, ``-``, ``@``) and
texts up to Excel's cell limit. Sizes stay small so a round trip takes well under a
second.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from kam.model import (
    EXTRA,
    SHEET_ORDER,
    SHEETS,
    Column,
    Kind,
    Portfolio,
    Row,
    Table,
    store_columns,
)

FIRST_DATE = dt.date(1900, 1, 1)
LAST_DATE = dt.date(2199, 12, 31)
EXCEL_TEXT_UNITS = 32_767
CURRENCY = "USD"

# Characters Excel and CSV both keep: no surrogates or control characters, and not
# the two non-characters XlsxWriter escapes without calamine unescaping them.
_CHARS = st.characters(
    exclude_categories=("Cs", "Cc"), exclude_characters=("\ufffe", "\uffff")
)
_TRICKY = (
    "=1+2",
    '=HYPERLINK("http://example.com","x")',
    "+49 30 1234567",
    "-5",
    "@SUM(A1)",
    "=cmd|'/c calc'!A1",
    "http://example.com/a?b=c",
    "00123",
    "1e5",
    "TRUE",
    "2024-01-31",
    "_x0041_ literal escape",
    "first line\nsecond line",
    "windows\r\nline end",
    "שלום עולם",
    "مرحبا بالعالم",
    "𝄞 music 🎵 and 👩‍💼",
)


def _stripped(strategy: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    # Validation strips text and takes an all-space cell for blank.
    return strategy.map(str.strip).filter(bool)


def utf16_len(text: str) -> int:
    """Length as Excel counts it: an astral character is two UTF-16 units."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def _long(parts: tuple[str, int]) -> str:
    unit, size = parts
    text = (unit * (size // len(unit) + 1))[:size]
    while utf16_len(text) > EXCEL_TEXT_UNITS:
        text = text[: len(text) - (utf16_len(text) - EXCEL_TEXT_UNITS)]
    return text.strip() or "x"


short_texts = _stripped(st.text(_CHARS, min_size=1, max_size=12))
hostile_texts = st.tuples(st.sampled_from("=+-@"), short_texts).map("".join)
long_texts = st.tuples(short_texts, st.integers(1_000, EXCEL_TEXT_UNITS)).map(_long)
texts = st.one_of(short_texts, hostile_texts, st.sampled_from(_TRICKY), long_texts)
ids = st.one_of(
    _stripped(st.text(_CHARS, min_size=1, max_size=8)),
    hostile_texts.filter(lambda s: len(s) <= 9),
)
dates = st.dates(FIRST_DATE, LAST_DATE)
months = st.builds("{:04d}-{:02d}".format, st.integers(1900, 2199), st.integers(1, 12))
periods = st.one_of(
    st.integers(1900, 2199).map(str),
    st.builds("{:04d}-Q{}".format, st.integers(1900, 2199), st.integers(1, 4)),
    months,
)


def money(column: Column) -> st.SearchStrategy[Decimal]:
    """Exact amounts with 2 places up to 10^13 (never below the column minimum)."""
    low = Decimal(0) if column.minimum is not None else Decimal(-(10**13))
    amounts = st.decimals(low, Decimal(10**13), places=2, allow_nan=False)
    # The last two are not exact as binary floats: they travel as text.
    edge = st.sampled_from(
        [
            Decimal("12345678901234.56"),
            Decimal("0.10"),
            Decimal("9999999999999.99"),
            Decimal("99999999999999.99"),
            Decimal("1234567890123456.78"),
        ]
    )
    return st.one_of(amounts, edge).map(lambda d: d.quantize(Decimal("0.01")))


def numbers(column: Column) -> st.SearchStrategy[float]:
    """Finite floats within the column's bounds, awkward ones included."""
    low, high = column.minimum, column.maximum
    return st.floats(low, high, allow_nan=False, allow_infinity=False)


def integers(column: Column) -> st.SearchStrategy[int]:
    """Whole numbers within the column's bounds (up to a million when unbounded)."""
    low = -1_000_000 if column.minimum is None else int(column.minimum)
    high = 1_000_000 if column.maximum is None else int(column.maximum)
    return st.integers(low, high)


def values(column: Column) -> st.SearchStrategy[Any]:
    """Canonical values of ``column`` (``None`` too when it is optional)."""
    by_kind: dict[Kind, Callable[[], st.SearchStrategy[Any]]] = {
        Kind.TEXT: lambda: texts,
        Kind.ID: lambda: ids,
        Kind.INT: lambda: integers(column),
        Kind.NUMBER: lambda: numbers(column),
        Kind.MONEY: lambda: money(column),
        Kind.DATE: lambda: dates,
        Kind.MONTH: lambda: months,
        Kind.PERIOD: lambda: periods,
        Kind.BOOL: st.booleans,
        Kind.ENUM: lambda: st.sampled_from(column.choices),
    }
    base = by_kind[column.kind]()
    if column.required or column.default is not None:
        return base
    return st.none() | base


_EXTRA_NAMES = ("Comment", "CRM id", "=legacy", "Région", "memo 📝", "-sign")


class _Builder:
    """Draws the rows of one portfolio, sheet by sheet, keeping the ids it made."""

    def __init__(self, draw: st.DrawFn, present: set[str], max_rows: int) -> None:
        self.draw = draw
        self.present = present
        self.max_rows = max_rows
        self.tables: dict[str, Table] = {}

    def ids(self, sheet: str, column: str) -> list[Any]:
        table = self.tables.get(sheet)
        return [] if table is None else list(table.column(column))

    def some(self, items: list[Any], optional: bool = True) -> Any:
        if not items:
            return None
        choice = st.sampled_from(items)
        return self.draw(st.none() | choice if optional else choice)

    def new_ids(self, low: int = 0) -> list[str]:
        return self.draw(
            st.lists(ids, min_size=low, max_size=self.max_rows, unique=True)
        )

    def row(self, sheet: str, **fixed: Any) -> Row:
        """One row: the ``fixed`` values, references, and drawn values elsewhere."""
        row: Row = {}
        for column in SHEETS[sheet].columns:
            ref = column.ref
            if column.name in fixed:
                row[column.name] = fixed[column.name]
            elif ref is not None and ref.sheet != sheet:
                targets = self.ids(ref.sheet, ref.column)
                if ref.when_present and ref.sheet not in self.present:
                    row[column.name] = self.draw(values(column))
                else:
                    assert targets or not column.required, (sheet, column.name)
                    row[column.name] = self.some(targets, not column.required)
            else:
                row[column.name] = self.draw(values(column))
        return row

    def table(self, sheet: str, rows: list[Row]) -> None:
        """Keep rows with a new key, add the same extra columns to each, store."""
        key = SHEETS[sheet].key
        seen: set[tuple[object, ...]] = set()
        kept: list[Row] = []
        for row in rows:
            identity = tuple(row[k] for k in key) if key else (len(kept),)
            if identity not in seen:
                seen.add(identity)
                kept.append(row)
        names = [] if SHEETS[sheet].wide else self._extra_names(sheet)
        for row in kept:
            row.setdefault(
                EXTRA, {n: self.draw(short_texts) for n in names} if names else {}
            )
        self.tables[sheet] = Table.from_rows(store_columns(SHEETS[sheet]), kept)

    def _extra_names(self, sheet: str) -> list[str]:
        taken = {c.casefold() for c in SHEETS[sheet].column_names}
        free = [n for n in _EXTRA_NAMES if n.casefold() not in taken]
        return self.draw(st.lists(st.sampled_from(free), max_size=2, unique=True))

    def count(self, sheet: str) -> int:
        """How many rows to draw: none when a required reference has no target."""
        for column in SHEETS[sheet].columns:
            ref = column.ref
            if (
                column.required
                and ref
                and ref.sheet != sheet
                and ref.sheet in self.present
                and not self.ids(ref.sheet, ref.column)
            ):
                return 0
        return self.draw(st.integers(0, self.max_rows))


def _needed(sheets: set[str]) -> set[str]:
    """``sheets`` plus every sheet a required reference of theirs points at."""
    result = set(sheets) | {"Accounts"}
    changed = True
    while changed:
        changed = False
        for name in list(result):
            for column in SHEETS[name].columns:
                ref = column.ref
                needs = ref and column.required and not ref.when_present
                if needs and ref.sheet not in result:  # type: ignore[union-attr]
                    result.add(ref.sheet)  # type: ignore[union-attr]
                    changed = True
    return result


@st.composite
def portfolios(draw: st.DrawFn, *, max_rows: int = 3) -> Portfolio:
    """A valid portfolio: Accounts plus any subset of the other sheets."""
    chosen = draw(st.sets(st.sampled_from([s for s in SHEET_ORDER if s != "Accounts"])))
    b = _Builder(draw, _needed(chosen), max_rows)
    for name in SHEET_ORDER:
        if name in b.present:
            _BUILDERS.get(name, _plain)(b, name)
    return Portfolio(tables=b.tables)


def _plain(b: _Builder, sheet: str) -> None:
    b.table(sheet, [b.row(sheet) for _ in range(b.count(sheet))])


def _settings(b: _Builder, sheet: str) -> None:
    known = {
        "company": b.draw(texts),
        "currency": CURRENCY,
        "fiscal_year_start": str(b.draw(st.integers(1, 12))),
        "pareto_threshold": "0.80",
        "abc_cutoffs": "0.80,0.95",
        "renewal_window_days": "90",
        "as_of": b.draw(dates).isoformat(),
    }
    keys = b.draw(st.lists(st.sampled_from(sorted(known)), unique=True))
    b.table(sheet, [{"key": k, "value": known[k]} for k in keys])


def _accounts(b: _Builder, sheet: str) -> None:
    rows: list[Row] = []
    team = b.ids("Team", "member_id")
    for account_id in b.new_ids(low=1):
        parent = b.some([r["account_id"] for r in rows])
        owner = b.some(team)
        currency = b.draw(st.sampled_from([None, CURRENCY]))
        rows.append(
            b.row(
                sheet,
                account_id=account_id,
                parent_account_id=parent,
                owner=owner,
                currency=currency,
            )
        )
    b.table(sheet, rows)


def _with_account(b: _Builder, sheet: str) -> None:
    accounts = b.ids("Accounts", "account_id")
    fixed: dict[str, Any] = {}
    if "currency" in SHEETS[sheet].column_names:
        fixed["currency"] = b.draw(st.sampled_from([None, CURRENCY]))
    rows = [
        b.row(sheet, account_id=b.some(accounts, optional=False), **fixed)
        for _ in range(b.count(sheet))
    ]
    if sheet == "Profit":
        for row in rows:
            _cost_to_serve(b, row)
    b.table(sheet, rows)


def _cost_to_serve(b: _Builder, row: Row) -> None:
    parts = ("cts_presale", "cts_production", "cts_distribution", "cts_postsale")
    if b.draw(st.booleans()):
        amounts = [b.draw(money(SHEETS["Profit"].column(p))) for p in parts]
        row.update(zip(parts, amounts, strict=True))
        row["cost_to_serve"] = sum(amounts, Decimal(0)).quantize(Decimal("0.01"))
    else:
        row.update(dict.fromkeys(parts))


def _criteria(b: _Builder, sheet: str) -> None:
    rows: list[Row] = []
    criterion_ids = iter(b.draw(st.lists(ids, min_size=9, max_size=9, unique=True)))
    sections = b.draw(st.sets(st.sampled_from(SHEETS[sheet].column("section").choices)))
    for section in sorted(sections):
        # Eighths (or whole percents) sum exactly, so no tolerance is involved.
        parts = b.draw(st.lists(st.integers(1, 4), min_size=1, max_size=3))
        scale = b.draw(st.sampled_from([1.0, 100.0]))
        weights = [p / sum(parts) for p in parts] if scale == 1.0 else None
        if weights is None or sum(weights) != 1.0:
            weights = [float(p) for p in parts[:-1]] + [float(100 - sum(parts[:-1]))]
        for weight in weights:
            rows.append(
                b.row(
                    sheet,
                    criterion_id=next(criterion_ids),
                    section=section,
                    weight=weight,
                )
            )
    b.table(sheet, rows)


def _health_model(b: _Builder, sheet: str) -> None:
    rows = []
    for signal in b.new_ids():
        good, poor = b.draw(
            st.tuples(
                numbers(SHEETS[sheet].column("good")), st.floats(-1e6, 1e6)
            ).filter(lambda gp: gp[0] != gp[1])
        )
        rows.append(b.row(sheet, signal=signal, good=good, poor=poor))
    b.table(sheet, rows)


def _tree(b: _Builder, sheet: str, id_column: str, parent_column: str) -> None:
    """Rows whose parent is an earlier row of the same account (a forest)."""
    rows: list[Row] = []
    accounts = b.ids("Accounts", "account_id")
    units = b.tables.get("Units")
    for new_id in b.new_ids():
        account = b.some(accounts, optional=False)
        same = [r[id_column] for r in rows if r["account_id"] == account]
        fixed: dict[str, Any] = {id_column: new_id, "account_id": account}
        fixed[parent_column] = b.some(same)
        if sheet == "Stakeholders":
            own_units = (
                []
                if units is None
                else [u["unit_id"] for u in units.rows() if u["account_id"] == account]
            )
            fixed["unit_id"] = b.some(own_units)
        rows.append(b.row(sheet, **fixed))
    b.table(sheet, rows)


def _surveys(b: _Builder, sheet: str) -> None:
    rows = []
    for _ in range(b.count(sheet)):
        instrument = b.draw(st.sampled_from(["NPS", "CSAT"]))
        score = b.draw(st.integers(0, 10) if instrument == "NPS" else st.integers(1, 5))
        accounts = b.ids("Accounts", "account_id")
        rows.append(
            b.row(
                sheet,
                account_id=b.some(accounts, optional=False),
                instrument=instrument,
                score=score,
            )
        )
    b.table(sheet, rows)


def _influences(b: _Builder, sheet: str) -> None:
    people = b.ids("Stakeholders", "stakeholder_id")
    rows = []
    if len(people) >= 2:
        pairs = st.tuples(st.sampled_from(people), st.sampled_from(people))
        for from_id, to_id in b.draw(st.lists(pairs, max_size=b.max_rows)):
            if from_id != to_id:
                rows.append(b.row(sheet, from_id=from_id, to_id=to_id))
    b.table(sheet, rows)


def _account_team(b: _Builder, sheet: str) -> None:
    # An account's owner is on its team with edit access, as validation expects.
    rows = [
        b.row(sheet, account_id=a["account_id"], member_id=a["owner"], access="edit")
        for a in b.tables["Accounts"].rows()
        if a["owner"] is not None
    ]
    rows += [b.row(sheet) for _ in range(b.count(sheet))]
    b.table(sheet, rows)


def _tasks(b: _Builder, sheet: str) -> None:
    rows: list[Row] = []
    links = st.sampled_from(["", " FS", " SS-1", " FF+2", " SF", " FS+0"])
    for n in range(1, b.count(sheet) + 1):
        earlier = [r["task_id"] for r in rows]
        chosen = (
            b.draw(st.lists(st.sampled_from(earlier), unique=True)) if earlier else []
        )
        text = "; ".join(t + b.draw(links) for t in chosen) or None
        rows.append(b.row(sheet, task_id=f"T{n}", predecessors=text))
    b.table(sheet, rows)


def _responsibilities(b: _Builder, sheet: str) -> None:
    accounts = [None, *b.ids("Accounts", "account_id")]
    roles = b.draw(
        st.lists(
            st.sampled_from(["KAM", "Sales director", "=Sponsor", "CFO", "Ops 👩‍💼"]),
            unique=True,
        )
    )
    codes = SHEETS[sheet].wide_value.choices  # type: ignore[union-attr]
    pairs = b.draw(
        st.lists(
            st.tuples(st.sampled_from(accounts), texts),
            max_size=b.max_rows,
            unique=True,
        )
    )
    rows: list[Row] = []
    for account, activity in pairs:
        mine = [r for r in roles if b.draw(st.booleans())]
        if not mine:
            rows.append({"activity": activity, "account_id": account, "role": ""})
        for role in mine:
            code = b.draw(st.sampled_from(codes))
            rows.append(
                {
                    "activity": activity,
                    "account_id": account,
                    "role": role,
                    "code": code,
                }
            )
    # The sheet shows one column per role in first-seen order and reads back each
    # row's roles in column order: order every activity's roles the same way.
    order = {role: i for i, role in enumerate(dict.fromkeys(r["role"] for r in rows))}
    rows.sort(
        key=lambda r: (pairs.index((r["account_id"], r["activity"])), order[r["role"]])
    )
    b.table(sheet, rows)


_BUILDERS: dict[str, Callable[[_Builder, str], None]] = {
    "Settings": _settings,
    "Accounts": _accounts,
    "Revenue": _with_account,
    "MRR": _with_account,
    "Profit": _with_account,
    "Scores": _with_account,
    "Onboarding": _with_account,
    "Signals": _with_account,
    "Risks": _with_account,
    "Criteria": _criteria,
    "HealthModel": _health_model,
    "Units": lambda b, s: _tree(b, s, "unit_id", "parent_unit_id"),
    "Stakeholders": lambda b, s: _tree(b, s, "stakeholder_id", "reports_to"),
    "Surveys": _surveys,
    "Influences": _influences,
    "AccountTeam": _account_team,
    "Tasks": _tasks,
    "Responsibilities": _responsibilities,
}
