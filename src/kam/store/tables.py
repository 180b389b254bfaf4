"""The store's tables, derived from :data:`kam.model.SHEETS` (no column is listed here).

Every sheet becomes one table named ``Sheet.table``: a ``row_key`` text primary key,
the sheet's store columns (:func:`kam.model.store_columns`; the wide Responsibilities
sheet is stored long) typed per :class:`kam.model.Kind` (see
:func:`kam.store.types.sql_type`)
and ``extra``, the user's extra columns as sorted JSON (NULL when there are none).

``row_key`` identifies a row across imports:

* keyed sheets: the key values, each encoded by :func:`encode_part` and joined with
  ``\\x1f``. A plain printable id is kept as it is (``A1``), so one-column keys read
  naturally; anything else is JSON-quoted; ``None`` is ``\\x1e``, which no encoded
  real value can be.
* keyless sheets (``Sheet.key is None``, e.g. Surveys): a hash of the whole canonical
  row plus its occurrence number among identical rows, so two identical answers stay
  two rows and re-importing them changes nothing.

Foreign keys: only ``account_id`` of the account-scoped sheets references
``accounts.account_id`` in the database, DEFERRABLE INITIALLY DEFERRED so that the
order of writes inside the import transaction does not matter. Every other reference
of the workbook contract stays a validation-level check, because they are softer than
a database constraint can express: ``Products`` references apply only when that sheet
exists (``Ref.when_present``), trees (parent account, parent unit, reports_to) refer
to rows of the same sheet, and owners may name team members that a partial import
has not brought yet. The account is the unit of access control, so its integrity is
the one the database guards. (The import checks these references itself, set-based,
and writes with SQLite's per-row check switched off: see
:func:`kam.store.db.write_connection`.)

Indexes are kept to what is needed: the ``row_key`` primary key (the upsert target),
the unique ``accounts.account_id`` the foreign keys point at, and ``account_id`` on
the account-scoped tables, without which removing an account would make the
database scan every referencing table for each removed account (and which the
per-account pages use). Each extra index slows the import of a big ledger.

Every constraint and index has an explicit name (``metadata.naming_convention``) so
that Alembic's batch mode can rebuild SQLite tables.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.schema import SchemaItem

from kam.model import EXTRA, SHEETS, Kind, Sheet, Table, store_columns
from kam.store.types import dump_extra, sql_type

__all__ = [
    "ROW_KEY",
    "column_kinds",
    "data_table",
    "encode_part",
    "imports",
    "meta",
    "metadata",
    "row_keys",
]

ROW_KEY = "row_key"
NULL_PART = "\x1e"
KEY_SEPARATOR = "\x1f"

NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


def column_kinds(s: Sheet) -> list[tuple[str, Kind | None]]:
    """The store columns of ``s`` (``extra`` last, kind None) with their kinds."""
    kinds: dict[str, Kind] = {c.name: c.kind for c in s.columns}
    if s.wide and s.wide_value is not None:
        kinds[s.wide_name] = Kind.TEXT
        kinds[s.wide_value.name] = s.wide_value.kind
    return [(name, None if name == EXTRA else kinds[name]) for name in store_columns(s)]


def _required(s: Sheet, name: str) -> bool:
    return any(c.name == name and c.required for c in s.columns)


def _build(s: Sheet) -> sa.Table:
    cols: list[SchemaItem] = [sa.Column(ROW_KEY, sa.Text(), primary_key=True)]
    for name, kind in column_kinds(s):
        if kind is None:
            cols.append(sa.Column(EXTRA, sa.Text(), nullable=True))
            continue
        col_args: list[SchemaItem] = []
        if s.account_scoped and name == "account_id":
            col_args.append(
                sa.ForeignKey(
                    "accounts.account_id", deferrable=True, initially="DEFERRED"
                )
            )
        cols.append(
            sa.Column(
                name,
                sql_type(kind),
                *col_args,
                nullable=not _required(s, name),
                index=s.account_scoped and name == "account_id",
            )
        )
    if s.name == "Accounts":
        cols.append(sa.UniqueConstraint("account_id"))
    return sa.Table(s.table, metadata, *cols)


_DATA_TABLES: dict[str, sa.Table] = {name: _build(s) for name, s in SHEETS.items()}

#: ``key``/``value`` pairs: ``data_version`` (bumped by every import that changed
#: data) and ``schema``.
meta = sa.Table(
    "kam_meta",
    metadata,
    sa.Column("key", sa.Text(), primary_key=True),
    sa.Column("value", sa.Text(), nullable=False),
)

#: One row per import: when (UTC), from where, replace or not, per-sheet counts.
imports = sa.Table(
    "kam_imports",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("source", sa.Text(), nullable=True),
    sa.Column("replace", sa.Boolean(), nullable=False),
    sa.Column("summary", sa.Text(), nullable=False),
    sa.Column("data_version", sa.Integer(), nullable=False),
)


def data_table(sheet_name: str) -> sa.Table:
    """The table holding the rows of sheet ``sheet_name``."""
    return _DATA_TABLES[sheet_name]


def encode_part(value: object) -> str:
    """One key value as text; injective over the canonical values of key columns."""
    if value is None:
        return NULL_PART
    if isinstance(value, str):
        if value.isprintable() and not value.startswith('"'):
            return value
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, date):
        return value.isoformat()
    # Non-text keys do not occur in the contract today; encode them stably anyway,
    # marked so they never equal the text of a string key.
    return "\x1d" + repr(value)


def _encoder(values: list[object]) -> Callable[[object], str]:
    # Key columns repeat a lot (an account has a row per month and plan): encode
    # each distinct value once and look the rest up at C speed.
    return {v: encode_part(v) for v in set(values)}.__getitem__


def _canonical(value: object) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"unexpected value {value!r}")


def _row_hash(values: Sequence[object]) -> str:
    parts = [dump_extra(v) if isinstance(v, dict) else v for v in values]
    text = json.dumps(parts, ensure_ascii=False, default=_canonical)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def row_keys(s: Sheet, table: Table) -> Iterator[str]:
    """The ``row_key`` of every row of ``table`` (a Table of sheet ``s``), in order."""
    if s.key is None:
        seen: Counter[str] = Counter()
        columns = [table.data[c] for c in table.columns]
        for values in zip(*columns, strict=True):
            digest = _row_hash(values)
            seen[digest] += 1
            yield f"{digest}#{seen[digest]}"
        return
    parts = [map(_encoder(table.data[k]), table.data[k]) for k in s.key]
    if len(parts) == 1:
        yield from parts[0]
    else:
        yield from map(KEY_SEPARATOR.join, zip(*parts, strict=True))


# The users, sessions and audit tables share this metadata (one schema, one Alembic
# history); imported last because that module imports ``metadata`` from here.
from kam.store import auth_tables as _auth_tables  # noqa: E402, F401
