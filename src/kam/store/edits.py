"""Edit one row of any sheet: add, update, delete — validated, checked, audited.

Every browser editor (the stakeholder map, scores, risks, plans, tasks, ...) goes
through this module, so each edit is handled the same way:

* **Values** are converted by the import's own converters
  (:func:`kam.workbook.convert.convert_column`): a form's text ``"4"`` becomes ``4``,
  blanks take the column's default, a required blank or an out-of-range value is a
  :class:`~kam.errors.Problem` naming the sheet, column and value as typed. Sheet
  rules that look at one row (:data:`kam.workbook.checks.SHEET_CHECKS`, e.g. the
  currency) and the tree rule (no reports-to, parent-account or parent-unit cycle,
  :func:`kam.workbook.checks.check_cycles`) run too. The ``weights`` rule (a
  section's weights sum to 1) spans rows and is left to the import.
* **References** (:attr:`kam.model.Column.ref`) must name a stored row
  (:func:`kam.workbook.checks.check_references` words the problem). A row of an
  account-scoped sheet may only refer to rows of the same account (a stakeholder's
  ``reports_to`` and ``unit_id`` are on its account); a row of a link sheet such as
  Influences or Touchpoints takes the account of the stakeholders it names, and they
  must all be on one account. A referenced row on an account the user may not read
  is reported exactly like a missing one.
* **Deleting** a row that other rows name: rows of a *link sheet* (every key column
  is a reference: Influences, Touchpoints, AccountTeam, Coverage) go with it — a
  dotted line means nothing without its two ends; any other reference (a
  ``reports_to``, a ``unit_id``, an ``owner``, an ``account_id``, a Revenue row's
  product) blocks the delete with a problem naming the rows, so nothing is
  re-parented silently. Move the reports first, then delete.
* **Access** (:func:`require_edit`, the one check the web routes call too): a row
  belongs to the accounts found above; the user must be able to read each of them
  (else :class:`~kam.errors.NotFoundError`, like an account that does not exist) and
  edit each of them (else :class:`~kam.errors.PermissionDenied`), as
  :mod:`kam.access` decides. Rows of no account (Settings, Team, Products, Criteria,
  HealthModel, Accounts, programme tasks) need a role that edits everything.
* **Optimistic concurrency**: :func:`row_version` is a hash of a row's stored
  values. An update or delete passes the version the user saw; if the row has
  changed since, :class:`~kam.errors.ConflictError` is raised with ``current``
  holding the stored values (and ``current["version"]`` their version); a row that
  is gone raises :class:`~kam.errors.NotFoundError`.
* **One transaction per edit**: the data-version row is locked first (imports and
  edits take turns on PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` does the same), the
  row is read, checked and written, ``data_version`` goes up by one (so engine
  snapshots and cached results refresh) and one ``kam_audit`` row is written:
  action ``edit.add|edit.update|edit.delete``, target ``"<Sheet> <key>"``, detail
  ``{"sheet", "key", "before", "after", "cascaded"}`` with JSON values.

Problems are raised together as :class:`EditError` (an InputError: HTTP 400).
Keyless sheets (Surveys) are edited by import. The wide Responsibilities sheet is
edited in its long form, one RACI cell per row: key (account_id, activity, role),
``code`` one of R, A, C, I, A/R (R/A is read as A/R; anything else, "R, C" say, is
a problem: one code per cell). The matrix rules that span an activity (exactly
one A, at least one R) are the responsibilities analysis' to report.

How another page uses it (a risk editor, say)::

    from kam.store import edits

    edits.require_edit(store, user.principal, account_id)   # guard the form page
    row = edits.read_row(store, user.principal, "Risks", key)
    version = edits.row_version(row)                          # hidden form field
    ...
    try:
        edits.update_row(store, user.principal, "Risks", key,
                         {"owner": form["owner"]}, version=form["version"])
    except edits.EditError as e:       # 400: show e.problems next to the fields
        ...
    except ConflictError as e:         # 409: show e.current (someone else's edit)
        ...
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from kam.access import Principal, readable_accounts
from kam.errors import (
    ConflictError,
    InputError,
    NotFoundError,
    Problem,
)
from kam.model import EXTRA, SHEETS, Row, Sheet
from kam.store.db import read_connection, translate_errors, write_connection
from kam.store.edit_rules import (
    EditError,
    Key,
    _accounts_of,
    _check,
    _columns,
    _convert,
    _edit_columns,
    _json_row,
    _key_of,
    _key_text,
    _load,
    _ref_targets,
    _require,
    _row_key,
    _sheet,
    _unknown_columns,
    require_edit,
    row_version,
)
from kam.store.repository import DATA_VERSION, Store, _data_version
from kam.store.tables import (
    ROW_KEY,
    data_table,
    meta,
)
from kam.store.types import dump_extra, load_extra
from kam.users import record
from kam.workbook.convert import shown
from kam.workbook.validate import _TREES

__all__ = [
    "EditError",
    "EditResult",
    "Key",
    "add_row",
    "delete_row",
    "list_rows",
    "read_row",
    "require_edit",
    "row_version",
    "update_row",
]


@dataclass(frozen=True)
class EditResult:
    """What an edit did. ``before``/``after`` are canonical rows (None if absent)."""

    sheet: str
    action: str
    key: dict[str, object]
    before: Row | None
    after: Row | None
    version: str | None
    data_version: int
    cascaded: list[tuple[str, Row]] = field(default_factory=list)


# -- the edits -------------------------------------------------------------------


def read_row(store: Store, principal: Principal, sheet: str, key: Key) -> Row:
    """The stored row, if ``principal`` may read its account; else NotFoundError."""
    s = _sheet(sheet)
    k = _key_of(s, key)
    with translate_errors("cannot read the row"), read_connection(store.engine) as conn:
        row = _load(conn, s, _row_key(s, k))
        if row is not None:
            _, ref_accounts = _ref_targets(conn, s, row, None)
            readable = readable_accounts(conn, principal)
            accounts = _accounts_of(s, row, ref_accounts) - {None}
            if readable is None or accounts <= readable:
                return row
    raise NotFoundError(f"there is no {s.name} row {_key_text(s, k)}")


def list_rows(
    store: Store, principal: Principal, sheet: str, *, account_id: str
) -> list[Row]:
    """The rows of ``sheet`` on one account, in key order.

    Account-scoped sheets: the rows with that ``account_id``; link sheets
    (Influences, Touchpoints, ...): the rows naming a row of that account. Raises
    NotFoundError when the account does not exist or ``principal`` may not read it.
    """
    s = _sheet(sheet)
    table = data_table(s.name)
    with (
        translate_errors("cannot read the rows"),
        read_connection(store.engine) as conn,
    ):
        readable = readable_accounts(conn, principal)
        accounts = data_table("Accounts")
        exists = conn.execute(
            sa.select(accounts.c.account_id).where(accounts.c.account_id == account_id)
        ).first()
        if exists is None or (readable is not None and account_id not in readable):
            raise NotFoundError(f"there is no account {account_id!r}")
        if s.account_scoped:
            where: sa.ColumnElement[bool] = table.c.account_id == account_id
        else:
            parts = []
            for col in s.columns:
                ref = col.ref
                if ref is None or not SHEETS[ref.sheet].account_scoped:
                    continue
                target = data_table(ref.sheet)
                ids = sa.select(target.c[ref.column]).where(
                    target.c.account_id == account_id
                )
                parts.append(table.c[col.name].in_(ids))
            if not parts:
                raise InputError(f"{s.name} rows belong to no account")
            where = sa.or_(*parts)
        names = _columns(s)
        found = conn.execute(
            sa.select(*(table.c[c] for c in names))
            .where(where)
            .order_by(table.c[ROW_KEY])
        ).all()
    rows = [dict(zip(names, values, strict=True)) for values in found]
    for row in rows:
        row[EXTRA] = load_extra(row[EXTRA])
    return rows


def add_row(
    store: Store, principal: Principal, sheet: str, values: Mapping[str, object]
) -> EditResult:
    """Add a row of ``sheet``; ``values`` as typed (text) or canonical values."""
    s = _sheet(sheet)
    _unknown_columns(s, values)
    problems: list[Problem] = []
    full = {c.name: values.get(c.name) for c in _edit_columns(s)}
    row: Row = _convert(s, full, problems)
    row[EXTRA] = {str(k): str(v) for k, v in dict(values.get(EXTRA) or {}).items()}  # type: ignore[call-overload]
    assert s.key is not None
    key = {k: row[k] for k in s.key}
    with (
        translate_errors("the edit was rolled back"),
        write_connection(store.engine) as conn,
    ):
        version = _data_version(conn, lock=True)
        ids, ref_accounts = _ref_targets(
            conn, s, row, readable_accounts(conn, principal)
        )
        _require(conn, principal, _accounts_of(s, row, ref_accounts))
        if _load(conn, s, _row_key(s, key)) is not None:
            problems.append(
                Problem(
                    f"{_key_text(s, key)} already exists",
                    s.name,
                    None,
                    ", ".join(s.key),
                    _key_text(s, key),
                    "a new key",
                )
            )
        _check(conn, s, row, values, problems, ids, ref_accounts, tree_changed=True)
        _raise(s, "add", problems)
        conn.execute(data_table(s.name).insert().values(_stored(s, key, row)))
        return _finish(conn, principal, s, "add", key, None, row, version)


def update_row(
    store: Store,
    principal: Principal,
    sheet: str,
    key: Key,
    changes: Mapping[str, object],
    *,
    version: str,
) -> EditResult:
    """Change some columns of a row the user saw at ``version``.

    Key columns cannot change (delete the row and add another). Raises
    ConflictError (with the stored values) when the row changed since ``version``.
    """
    s = _sheet(sheet)
    _unknown_columns(s, changes)
    k = _key_of(s, key)
    problems: list[Problem] = []
    converted = _convert(s, changes, problems)
    with (
        translate_errors("the edit was rolled back"),
        write_connection(store.engine) as conn,
    ):
        data_version = _data_version(conn, lock=True)
        before = _current(conn, principal, s, k, version)
        row: Row = {**before, **converted}
        readable = readable_accounts(conn, principal)
        ids, ref_accounts = _ref_targets(conn, s, row, readable)
        _, old_accounts = _ref_targets(conn, s, before, None)
        _require(
            conn,
            principal,
            _accounts_of(s, row, ref_accounts) | _accounts_of(s, before, old_accounts),
        )
        assert s.key is not None
        for name in s.key:
            if name in converted and converted[name] != before[name]:
                problems.append(
                    Problem(
                        "a key column cannot change; delete the row and add a new one",
                        s.name,
                        None,
                        name,
                        shown(changes[name]),
                        str(before[name]),
                    )
                )
        tree = s.name in _TREES and _TREES[s.name][1] in converted
        _check(conn, s, row, changes, problems, ids, ref_accounts, tree_changed=tree)
        _raise(s, "update", problems)
        if row == before:
            return EditResult(s.name, "update", k, before, row, version, data_version)
        table = data_table(s.name)
        conn.execute(
            table.update()
            .where(table.c[ROW_KEY] == _row_key(s, k))
            .values(_stored(s, k, row))
        )
        return _finish(conn, principal, s, "update", k, before, row, data_version)


def delete_row(
    store: Store, principal: Principal, sheet: str, key: Key, *, version: str
) -> EditResult:
    """Delete a row the user saw at ``version``, with the link rows that name it.

    Refused (EditError) while a non-link row refers to it.
    """
    s = _sheet(sheet)
    k = _key_of(s, key)
    with (
        translate_errors("the edit was rolled back"),
        write_connection(store.engine) as conn,
    ):
        data_version = _data_version(conn, lock=True)
        before = _current(conn, principal, s, k, version)
        _, ref_accounts = _ref_targets(conn, s, before, None)
        _require(conn, principal, _accounts_of(s, before, ref_accounts))
        problems: list[Problem] = []
        cascaded = _dependants(conn, s, k, problems)
        _raise(s, "delete", problems)
        for name, row_key, _row in cascaded:
            table = data_table(name)
            conn.execute(table.delete().where(table.c[ROW_KEY] == row_key))
        table = data_table(s.name)
        conn.execute(table.delete().where(table.c[ROW_KEY] == _row_key(s, k)))
        gone = [(name, row) for name, _, row in cascaded]
        return _finish(
            conn, principal, s, "delete", k, before, None, data_version, gone
        )


def _is_link_sheet(s: Sheet) -> bool:
    return s.key is not None and all(s.column(k).ref is not None for k in s.key)


def _dependants(
    conn: Connection, s: Sheet, key: Mapping[str, object], problems: list[Problem]
) -> list[tuple[str, str, Row]]:
    """Link rows to delete with the row; a problem per other referring row."""
    cascade: list[tuple[str, str, Row]] = []
    assert s.key is not None
    if len(s.key) != 1:
        return cascade
    id_col, value = s.key[0], key[s.key[0]]
    for other in SHEETS.values():
        if other.key is None:
            continue
        for col in other.columns:
            ref = col.ref
            if ref is None or ref.sheet != s.name or ref.column != id_col:
                continue
            table = data_table(other.name)
            found = (
                conn.execute(
                    sa.select(table.c[ROW_KEY]).where(table.c[col.name] == value)
                )
                .scalars()
                .all()
            )
            if not found:
                continue
            if _is_link_sheet(other) and col.name in other.key and s.name != "Accounts":
                for row_key in found:
                    row = _load(conn, other, row_key)
                    assert row is not None
                    cascade.append((other.name, row_key, row))
                continue
            names = [_key_text(other, r) for r in _rows_by_key(conn, other, found)]
            listed = ", ".join(names[:10]) + (" …" if len(names) > 10 else "")
            problems.append(
                Problem(
                    f"{value!r} is still named in column {col.name} of {other.name} "
                    f"({listed}); change those rows first",
                    s.name,
                    None,
                    id_col,
                    str(value),
                    f"a {s.name} row that no {other.name} row names",
                )
            )
    return cascade


def _rows_by_key(conn: Connection, s: Sheet, row_keys: Iterable[str]) -> list[Row]:
    rows = [_load(conn, s, rk) for rk in row_keys]
    return sorted((r for r in rows if r is not None), key=lambda r: _key_text(s, r))


def _current(
    conn: Connection,
    principal: Principal,
    s: Sheet,
    key: Mapping[str, object],
    version: str,
) -> Row:
    row = _load(conn, s, _row_key(s, key), lock=True)
    if row is None:
        raise NotFoundError(f"there is no {s.name} row {_key_text(s, key)}")
    current = row_version(row)
    if current != version:
        # Access first, so a stale edit does not show another account's values.
        _, ref_accounts = _ref_targets(conn, s, row, None)
        _require(conn, principal, _accounts_of(s, row, ref_accounts))
        shown_row = {**(_json_row(row) or {}), "version": current}
        raise ConflictError(
            f"{s.name} {_key_text(s, key)} was changed by someone else since you "
            "opened it; its current values are shown",
            shown_row,
        )
    return row


def _raise(s: Sheet, action: str, problems: list[Problem]) -> None:
    if problems:
        n = len(problems)
        raise EditError(
            f"the {action} of a {s.name} row was refused: "
            f"{n} problem{'s' if n != 1 else ''}",
            problems,
        )


def _stored(
    s: Sheet, key: Mapping[str, object], row: Mapping[str, object]
) -> dict[str, Any]:
    values: dict[str, Any] = {ROW_KEY: _row_key(s, key)}
    for name in _columns(s):
        values[name] = dump_extra(row.get(EXTRA)) if name == EXTRA else row.get(name)
    return values


def _finish(
    conn: Connection,
    principal: Principal,
    s: Sheet,
    action: str,
    key: dict[str, object],
    before: Row | None,
    after: Row | None,
    data_version: int,
    cascaded: list[tuple[str, Row]] | None = None,
) -> EditResult:
    version = data_version + 1
    conn.execute(
        meta.update().where(meta.c.key == DATA_VERSION).values(value=str(version))
    )
    gone = cascaded or []
    record(
        conn,
        f"edit.{action}",
        user_id=principal.user_id,
        target=f"{s.name} {_key_text(s, key)}",
        detail={
            "sheet": s.name,
            "key": _json_row(key),
            "before": _json_row(before),
            "after": _json_row(after),
            "cascaded": [{"sheet": n, "row": _json_row(r)} for n, r in gone],
        },
    )
    return EditResult(
        s.name,
        action,
        key,
        before,
        after,
        None if after is None else row_version(after),
        version,
        gone,
    )
