"""The rules behind :mod:`kam.store.edits`: rows and keys, values, references, access.

Internal to the edit service (its names are imported by :mod:`kam.store.edits`,
which documents the rules); other code uses :mod:`kam.store.edits`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from kam.access import Principal, editable_accounts, readable_accounts
from kam.errors import (
    InputError,
    NotFoundError,
    PermissionDenied,
    Problem,
)
from kam.model import EXTRA, SETTINGS_DEFAULTS, SHEETS, Column, Kind, Row, Sheet
from kam.store.repository import Store
from kam.store.tables import (
    KEY_SEPARATOR,
    ROW_KEY,
    column_kinds,
    data_table,
    encode_part,
)
from kam.store.types import load_extra
from kam.workbook.checks import (
    SHEET_CHECKS,
    Collector,
    Context,
    SheetData,
    check_cycles,
    check_references,
)
from kam.workbook.convert import convert_column, shown
from kam.workbook.validate import _TREES

__all__ = ["EditError", "Key", "require_edit", "row_version"]

#: A row's key: ``{column: value}`` over ``Sheet.key``, or the id itself for sheets
#: keyed by one column.
Key = Mapping[str, object] | str

#: Sheet rules that span several rows; a one-row edit cannot satisfy them alone.
_MULTI_ROW_RULES = frozenset({"weights"})


class EditError(InputError):
    """An edit was refused; ``problems`` names sheet, column and value of each."""

    def __init__(self, message: str, problems: Iterable[Problem] = ()) -> None:
        self.problems: list[Problem] = list(problems)
        super().__init__(message)


# -- helpers on rows -------------------------------------------------------------


def _json_value(value: object) -> object:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _json_value(v) for k, v in sorted(value.items())}
    return value


def _json_row(row: Mapping[str, object] | None) -> dict[str, object] | None:
    if row is None:
        return None
    return {k: _json_value(v) for k, v in row.items()}


def row_version(row: Mapping[str, object]) -> str:
    """A short hash of the row's values: changes whenever any stored value does."""
    text = json.dumps(_json_row(row), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _sheet(name: str) -> Sheet:
    s = SHEETS.get(name)
    if s is None:
        raise InputError(f"there is no sheet {name!r}")
    if s.key is None:
        raise InputError(f"{name} rows cannot be edited one by one; import the sheet")
    return s


def _columns(s: Sheet) -> list[str]:
    return [c for c, _ in column_kinds(s)]


def _edit_columns(s: Sheet) -> tuple[Column, ...]:
    """The columns an edit gives: a wide sheet's long form adds its cell columns.

    A RACI cell is (activity, account_id, role, code): the role must be named and
    the code is one of the sheet's codes (an empty activity is imported, not edited).
    """
    if not s.wide or s.wide_value is None:
        return s.columns
    role = Column(s.wide_name, Kind.TEXT, True, f"the {s.wide_name} (matrix column)")
    code = dataclasses.replace(s.wide_value, required=True)
    return (*s.columns, role, code)


def _key_of(s: Sheet, key: Key) -> dict[str, object]:
    assert s.key is not None
    if isinstance(key, str):
        if len(s.key) != 1:
            raise InputError(f"a {s.name} row is identified by {', '.join(s.key)}")
        key = {s.key[0]: key}
    missing = [k for k in s.key if k not in key]
    if missing:
        raise InputError(f"{s.name}: the key lacks {', '.join(missing)}")
    out: dict[str, object] = {}
    for k in s.key:
        v = key[k]
        out[k] = v.strip() if isinstance(v, str) else v
    return out


def _row_key(s: Sheet, key: Mapping[str, object]) -> str:
    assert s.key is not None
    return KEY_SEPARATOR.join(encode_part(key[k]) for k in s.key)


def _key_text(s: Sheet, key: Mapping[str, object]) -> str:
    assert s.key is not None
    parts = [str(key[k]) for k in s.key]
    return parts[0] if len(parts) == 1 else "(" + ", ".join(parts) + ")"


def _load(
    conn: Connection, s: Sheet, row_key: str, *, lock: bool = False
) -> Row | None:
    table = data_table(s.name)
    query = sa.select(*(table.c[c] for c in _columns(s))).where(
        table.c[ROW_KEY] == row_key
    )
    if lock and conn.dialect.name == "postgresql":
        query = query.with_for_update()
    found = conn.execute(query).first()
    if found is None:
        return None
    row = dict(zip(_columns(s), found, strict=True))
    row[EXTRA] = load_extra(row[EXTRA])
    return row


def _column(s: Sheet, name: str) -> Column:
    for c in _edit_columns(s):
        if c.name == name:
            return c
    raise KeyError(f"{s.name} has no column {name}")


# -- validation ----------------------------------------------------------------


def _convert(
    s: Sheet, values: Mapping[str, object], problems: list[Problem]
) -> dict[str, object]:
    """Each given value through the import's converter for its column."""
    out: dict[str, object] = {}
    for name, raw in values.items():
        if name == EXTRA:
            out[EXTRA] = {str(k): str(v) for k, v in dict(raw or {}).items()}  # type: ignore[call-overload]
            continue
        col = _column(s, name)
        cell = format(raw, "f") if isinstance(raw, Decimal) else raw
        result = convert_column(col, [cell])
        if result.errors:
            problems.append(
                Problem(
                    result.errors[0][1],
                    s.name,
                    None,
                    name,
                    shown(raw),
                    col.expected,
                )
            )
            out[name] = None
        else:
            out[name] = result.values[0]
    return out


def _unknown_columns(s: Sheet, values: Mapping[str, object]) -> None:
    known = {c.name for c in _edit_columns(s)} | {EXTRA}
    unknown = sorted(set(values) - known)
    if unknown:
        raise InputError(f"{s.name} has no column {', '.join(unknown)}")


def _sheet_data(
    s: Sheet, row: Mapping[str, object], raw: Mapping[str, object]
) -> SheetData:
    names = [c.name for c in s.columns]
    return SheetData(
        sheet=s,
        rows=[0],
        values={n: [row.get(n)] for n in names},
        raw={n: [raw.get(n, row.get(n))] for n in names},
        bad={},
        extra=[{}],
        present=set(names),
    )


def _without_rows(problems: Iterable[Problem]) -> list[Problem]:
    # The checks speak of spreadsheet rows; an edit has none.
    out = []
    for p in problems:
        message = re.sub(r" \(rows? [\d, ]+\)", "", p.message)
        out.append(dataclasses.replace(p, row=None, message=message))
    return out


def _workspace_currency(conn: Connection) -> str:
    settings = data_table("Settings")
    stored = conn.execute(
        sa.select(settings.c.value).where(settings.c.key == "currency")
    ).scalar_one_or_none()
    return str(stored or SETTINGS_DEFAULTS["currency"]).strip().upper()


def _ref_targets(
    conn: Connection,
    s: Sheet,
    row: Mapping[str, object],
    readable: frozenset[str] | None,
) -> tuple[dict[tuple[str, str], set[str] | None], dict[str, str | None]]:
    """Per referenced (sheet, column): the ids found; per ref column: its account.

    A target on an account the user may not read counts as missing.
    """
    ids: dict[tuple[str, str], set[str] | None] = {}
    accounts: dict[str, str | None] = {}
    for col in s.columns:
        ref, value = col.ref, row.get(col.name)
        if ref is None:
            continue
        target_sheet = SHEETS[ref.sheet]
        target = data_table(ref.sheet)
        found: set[str] = ids.get((ref.sheet, ref.column)) or set()
        if (
            ref.when_present
            and not conn.execute(sa.select(target.c[ROW_KEY]).limit(1)).first()
        ):
            ids[(ref.sheet, ref.column)] = None
            continue
        if value is not None:
            wanted = [target.c["account_id"]] if target_sheet.account_scoped else []
            hit = conn.execute(
                sa.select(target.c[ref.column], *wanted)
                .where(target.c[ref.column] == value)
                .limit(1)
            ).first()
            if hit is not None:
                account = hit[1] if target_sheet.account_scoped else None
                if ref.sheet == "Accounts":
                    account = str(value)
                visible = account is None or readable is None or account in readable
                if visible:
                    found.add(str(value))
                    if target_sheet.account_scoped or ref.sheet == "Accounts":
                        accounts[col.name] = account
        ids[(ref.sheet, ref.column)] = found
    return ids, accounts


def _check(
    conn: Connection,
    s: Sheet,
    row: Row,
    raw: Mapping[str, object],
    problems: list[Problem],
    ids: Mapping[tuple[str, str], set[str] | None],
    ref_accounts: Mapping[str, str | None],
    *,
    tree_changed: bool,
) -> None:
    """References, same-account rule, cycles and one-row sheet rules."""
    c = Collector()
    data = _sheet_data(s, row, raw)
    check_references(data, ids, c)
    home = row.get("account_id") if s.account_scoped else None
    for name, account in ref_accounts.items():
        if name == "account_id" or account is None:
            continue
        if s.account_scoped and home is not None and account != home:
            c.error(
                f"{row[name]!r} belongs to account {account}, not to {home}",
                s.name,
                0,
                name,
                str(row[name]),
                f"an id of account {home}",
            )
    if not s.account_scoped:
        distinct = {a for a in ref_accounts.values() if a is not None}
        if len(distinct) > 1:
            names = ", ".join(f"{n} {row[n]}" for n in ref_accounts)
            c.error(
                f"{names} belong to different accounts ({', '.join(sorted(distinct))})",
                s.name,
                0,
                None,
                None,
                "ids of one account",
            )
    if tree_changed and s.name in _TREES:
        id_col, parent_col = _TREES[s.name]
        table = data_table(s.name)
        stored = conn.execute(sa.select(table.c[id_col], table.c[parent_col])).all()
        parent: dict[object, object] = {i: p for i, p in stored}  # noqa: C416
        parent[row[id_col]] = row[parent_col]
        tree = SheetData(
            sheet=s,
            rows=list(range(len(parent))),
            values={id_col: list(parent), parent_col: list(parent.values())},
            raw={},
            bad={},
            extra=[],
            present={id_col, parent_col},
        )
        before = len(c.errors)
        check_cycles(tree, id_col, parent_col, c)
        # Only the cycles through the edited row are this edit's doing.
        mine = str(row[id_col])
        c.errors[before:] = [
            p
            for p in c.errors[before:]
            if mine in p.message.split(": ", 1)[-1].split(" → ")
        ]
    ctx = Context(_workspace_currency(conn), ids, {})
    if s.name == "Tasks":
        tasks = data_table("Tasks")
        known = {str(t) for t in conn.execute(sa.select(tasks.c.task_id)).scalars()}
        ctx = Context(ctx.workspace_currency, ids, {("Tasks", "task_id"): known})
    for name in s.checks:
        rule = SHEET_CHECKS.get(name)
        if rule is not None and name not in _MULTI_ROW_RULES:
            rule(data, c, ctx)
            row.update({k: v[0] for k, v in data.values.items()})
    problems.extend(_without_rows(c.errors))


# -- access --------------------------------------------------------------------


def require_edit(
    source: Store | Connection, principal: Principal, account_id: str | None
) -> None:
    """Raise unless ``principal`` may edit ``account_id`` (None: portfolio data).

    An account the user may not read raises NotFoundError (as if it did not
    exist); one they read but may not edit raises PermissionDenied.
    """
    _require(source, principal, [account_id])


def _require(
    source: Store | Connection,
    principal: Principal,
    accounts: Iterable[str | None],
) -> None:
    wanted = set(accounts)
    editable = editable_accounts(source, principal)
    if editable is None:
        return
    if not editable:
        raise PermissionDenied("your role may not edit data")
    readable = readable_accounts(source, principal)
    for account in sorted(wanted, key=lambda a: a or ""):
        if account is None:
            raise PermissionDenied("only an admin or analyst may edit portfolio data")
        if readable is not None and account not in readable:
            raise NotFoundError(f"there is no account {account!r}")
        if account not in editable:
            raise PermissionDenied(f"you may read account {account} but not edit it")


def _accounts_of(
    s: Sheet, row: Mapping[str, object], ref_accounts: Mapping[str, str | None]
) -> set[str | None]:
    if s.name == "Accounts":
        return {None}
    if s.account_scoped:
        account = row.get("account_id")
        return {None if account is None else str(account)}
    linked: set[str | None] = {a for a in ref_accounts.values() if a is not None}
    if linked:
        return linked
    scoped_refs = [
        c for c in s.columns if c.ref is not None and SHEETS[c.ref.sheet].account_scoped
    ]
    # Unresolved references to account rows: the problems will say so.
    return set() if scoped_refs else {None}
