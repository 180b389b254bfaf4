"""Change several rows of one sheet at once: all or nothing, rules across rows too.

:func:`update_rows` is :func:`kam.store.edits.update_row` for a batch (the saved
weights of the scoring page are its first user): every row is converted, checked,
access-guarded and version-checked exactly as a single update is, and then the
sheet's *multi-row* rules, which one row cannot break alone, run over the whole
sheet as it would be after the batch — today the ``weights`` rule of the Criteria
sheet (the weights of each section sum to 1 or to 100, the import's own
:data:`kam.workbook.checks.SHEET_CHECKS` rule and message).

One transaction: any problem, stale version (:class:`~kam.errors.ConflictError`
naming the first stale row, with its stored values) or missing row refuses the
whole batch and nothing is written. ``data_version`` goes up by one for the batch.

Audit: **one** ``kam_audit`` row **per changed row**, the same ``edit.update``
action, target and detail as a single update (so the history of a row reads the
same however it was edited), with ``detail["batch"]`` = the number of rows the batch
changed. Rows given unchanged write nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from kam.access import Principal, readable_accounts
from kam.errors import Problem
from kam.model import EXTRA, Row, Sheet
from kam.store.db import translate_errors, write_connection
from kam.store.edit_rules import (
    _MULTI_ROW_RULES,
    Key,
    _accounts_of,
    _check,
    _columns,
    _convert,
    _json_row,
    _key_of,
    _key_text,
    _ref_targets,
    _require,
    _row_key,
    _sheet,
    _unknown_columns,
    _without_rows,
    row_version,
)
from kam.store.edits import EditResult, _current, _raise, _stored
from kam.store.repository import DATA_VERSION, Store, _data_version
from kam.store.tables import ROW_KEY, data_table, meta
from kam.store.types import load_extra
from kam.users import record
from kam.workbook.checks import SHEET_CHECKS, Collector, Context, SheetData

__all__ = ["Change", "update_rows"]

#: One row's change: its key, the new values (as typed or canonical) and the
#: version of the row the user saw.
Change = tuple[Key, Mapping[str, object], str]


def update_rows(
    store: Store, principal: Principal, sheet: str, changes: Sequence[Change]
) -> list[EditResult]:
    """Apply ``changes`` to rows of ``sheet`` in one transaction, or none of them.

    Raises EditError with every problem (of each row, and of the multi-row rules
    over the sheet after the batch), ConflictError for a row changed since its
    version, NotFoundError for a row that is gone or on an account the user may
    not read, PermissionDenied for one they may not edit. Returns one result per
    given row, in order.
    """
    s = _sheet(sheet)
    problems: list[Problem] = []
    planned: list[tuple[dict[str, object], Mapping[str, object], dict[str, object]]]
    planned = []
    seen: set[str] = set()
    for key, values, _version in changes:
        _unknown_columns(s, values)
        k = _key_of(s, key)
        if _row_key(s, k) in seen:
            problems.append(
                Problem(
                    f"{_key_text(s, k)} is changed twice in one batch",
                    s.name,
                    None,
                    None,
                    _key_text(s, k),
                    "each row once",
                )
            )
        seen.add(_row_key(s, k))
        planned.append((k, values, _convert(s, values, problems)))
    with (
        translate_errors("the edit was rolled back"),
        write_connection(store.engine) as conn,
    ):
        data_version = _data_version(conn, lock=True)
        readable = readable_accounts(conn, principal)
        befores: list[Row] = []
        afters: list[Row] = []
        for (k, values, converted), (_, _, version_seen) in zip(
            planned, changes, strict=True
        ):
            before = _current(conn, principal, s, k, version_seen)
            row: Row = {**before, **converted}
            ids, ref_accounts = _ref_targets(conn, s, row, readable)
            _, old_accounts = _ref_targets(conn, s, before, None)
            _require(
                conn,
                principal,
                _accounts_of(s, row, ref_accounts)
                | _accounts_of(s, before, old_accounts),
            )
            assert s.key is not None
            for name in s.key:
                if name in converted and converted[name] != before[name]:
                    problems.append(
                        Problem(
                            "a key column cannot change; delete the row and add "
                            "a new one",
                            s.name,
                            None,
                            name,
                            str(values[name]),
                            str(before[name]),
                        )
                    )
            _check(conn, s, row, values, problems, ids, ref_accounts, tree_changed=True)
            befores.append(before)
            afters.append(row)
        problems.extend(_sheet_rules(conn, s, afters))
        _raise(s, "update", problems)
        changed = [
            (k, b, a)
            for (k, _, _), b, a in zip(planned, befores, afters, strict=True)
            if a != b
        ]
        new_version = data_version + 1 if changed else data_version
        table = data_table(s.name)
        for k, before, after in changed:
            conn.execute(
                table.update()
                .where(table.c[ROW_KEY] == _row_key(s, k))
                .values(_stored(s, k, after))
            )
            record(
                conn,
                "edit.update",
                user_id=principal.user_id,
                target=f"{s.name} {_key_text(s, k)}",
                detail={
                    "sheet": s.name,
                    "key": _json_row(k),
                    "before": _json_row(before),
                    "after": _json_row(after),
                    "cascaded": [],
                    "batch": len(changed),
                },
            )
        if changed:
            conn.execute(
                meta.update()
                .where(meta.c.key == DATA_VERSION)
                .values(value=str(new_version))
            )
    return [
        EditResult(
            s.name,
            "update",
            k,
            before,
            after,
            row_version(after),
            new_version,
        )
        for (k, _, _), before, after in zip(planned, befores, afters, strict=True)
    ]


def _sheet_rules(conn: Connection, s: Sheet, afters: Sequence[Row]) -> list[Problem]:
    """The multi-row rules of ``s`` over all its stored rows, ``afters`` replacing
    the stored rows with their keys."""
    rules = [n for n in s.checks if n in _MULTI_ROW_RULES and n in SHEET_CHECKS]
    if not rules:
        return []
    names = _columns(s)
    table = data_table(s.name)
    found = conn.execute(
        sa.select(table.c[ROW_KEY], *(table.c[c] for c in names)).order_by(
            table.c[ROW_KEY]
        )
    ).all()
    rows: dict[str, Row] = {}
    for r in found:
        row = dict(zip(names, r[1:], strict=True))
        row[EXTRA] = load_extra(row[EXTRA])
        rows[str(r[0])] = row
    for after in afters:
        rows[_row_key(s, after)] = after
    listed = list(rows.values())
    columns = [c.name for c in s.columns]
    data = SheetData(
        sheet=s,
        rows=list(range(2, len(listed) + 2)),
        values={n: [r.get(n) for r in listed] for n in columns},
        raw={n: [r.get(n) for r in listed] for n in columns},
        bad={},
        extra=[{} for _ in listed],
        present=set(columns),
    )
    c = Collector()
    for name in rules:
        SHEET_CHECKS[name](data, c, Context("", {}, {}))
    return _without_rows(c.errors)
