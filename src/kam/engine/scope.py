"""Restrict canonical tables to the accounts a user may read.

Applied to every table the engine hands out, in one place, so that every analysis
obeys the same rule:

- ``Accounts`` and every account-scoped sheet keep the rows of the given accounts;
  in the sheets where ``account_id`` is optional (Tasks, Responsibilities, Charter,
  Objectives) a blank ``account_id`` is a programme-wide row, which every reader
  keeps;
- sheets that reach an account through another sheet follow it: ``Touchpoints`` keep
  the rows whose stakeholder is kept, ``Influences`` the rows whose two ends are
  kept, ``Coverage`` the rows whose unit is kept;
- derived tables with an ``account_id`` column keep the rows of the given accounts.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

import ibis

from kam.model import SHEETS

__all__ = ["restrict", "restrict_table"]

#: Above this many ids, filter with a join against an in-memory table instead of a
#: literal IN list (SQL text of tens of thousands of literals compiles slowly).
_IN_LIST_MAX = 500


def _keep(column: ibis.Column, ids: list[str]) -> ibis.BooleanValue:
    if len(ids) <= _IN_LIST_MAX:
        return column.isin(ids)
    return column.isin(ibis.memtable({"_id": ids})["_id"])


def restrict_table(table: ibis.Table, ids: list[str], *, optional: bool) -> ibis.Table:
    """Rows of ``table`` whose ``account_id`` is in ``ids`` (or blank if optional)."""
    keep = _keep(table["account_id"], ids)
    if optional:
        keep = keep | table["account_id"].isnull()
    return table.filter(keep)


def restrict(
    tables: Mapping[str, ibis.Table], accounts: Collection[str]
) -> dict[str, ibis.Table]:
    """Every table of ``tables`` restricted to ``accounts`` (see the module doc)."""
    ids = sorted(set(accounts))
    out: dict[str, ibis.Table] = {}
    for name, table in tables.items():
        sheet = SHEETS.get(name)
        if sheet is not None and (sheet.account_scoped or name == "Accounts"):
            optional = not sheet.column("account_id").required
            out[name] = restrict_table(table, ids, optional=optional)
        elif sheet is None and "account_id" in table.columns:
            out[name] = restrict_table(table, ids, optional=False)
        else:
            out[name] = table
    stakeholders = out.get("Stakeholders")
    if stakeholders is not None:
        known = stakeholders["stakeholder_id"]
        if "Touchpoints" in out:
            t = out["Touchpoints"]
            out["Touchpoints"] = t.filter(t["stakeholder_id"].isin(known))
        if "Influences" in out:
            t = out["Influences"]
            out["Influences"] = t.filter(
                t["from_id"].isin(known) & t["to_id"].isin(known)
            )
    else:
        # Without stakeholders nothing links these rows to a readable account.
        for name in ("Touchpoints", "Influences"):
            if name in out:
                out[name] = out[name].limit(0)
    units = out.get("Units")
    if "Coverage" in out:
        t = out["Coverage"]
        out["Coverage"] = (
            t.filter(t["unit_id"].isin(units["unit_id"]))
            if units is not None
            else t.limit(0)
        )
    return out
