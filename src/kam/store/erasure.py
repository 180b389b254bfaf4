"""Personal data of one stakeholder: export everything about them, or erase it.

:func:`export_person` gathers, in one read transaction, the stakeholder's row, the
influences from or to them, the touchpoints and survey answers that name them, and
the audit entries that mention them (by id, name, e-mail or phone).

:func:`erase_person` removes the name, e-mail and phone in one write transaction:

- the stakeholder row keeps its id, place in the org chart and scores (the map keeps
  its shape); its name becomes ``Erased person <n>`` (``n`` counts the erasures of
  the store), its e-mail and phone are blanked;
- every other occurrence of the name, e-mail or phone (matched whole, ignoring case)
  is replaced in every text column of every data table (notes, comments, extra
  columns, key columns with their ``row_key``) and in the audit log's ``target`` and
  ``detail`` (JSON, walked value by value, so the before/after rows that the map
  editor records are scrubbed too) and in the import log;
- an audit entry ``person.erase`` names the stakeholder id and the placeholder, never
  the erased values; the data version goes up, so every cache keyed by it (results,
  the engine's Parquet snapshot) is rebuilt without them.

The users and sessions tables are left alone: they hold our own users, not the
customer's people, and rewriting a user's e-mail would lock them out.

Import snapshots (SQLite stores keep copies of the whole store, see
:mod:`kam.store.snapshots`) would defeat the erasure, so the same scrub runs on each
snapshot file after the store commits, followed by ``VACUUM`` so that no freed page
keeps the old text; a snapshot stays restorable and restoring it does not bring the
person back. The main SQLite file runs with ``secure_delete`` for the erasure and is
checkpointed afterwards. PostgreSQL keeps dead row versions until ``VACUUM`` and its
backups are the operator's (``pg_dump`` files): both are outside kam's reach and
named in ``docs/cli.md``.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable, Iterable, Mapping
from contextlib import closing
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from kam.errors import NotFoundError, StoreError
from kam.model import EXTRA, SHEETS
from kam.store.auth_tables import audit
from kam.store.db import read_connection, translate_errors, write_connection
from kam.store.repository import DATA_VERSION, Store
from kam.store.tables import (
    KEY_SEPARATOR,
    ROW_KEY,
    data_table,
    encode_part,
    imports,
    meta,
)

__all__ = ["ERASED_EMAIL", "ERASED_PHONE", "Erasure", "erase_person", "export_person"]

PLACEHOLDER = "Erased person {n}"
ERASED_EMAIL = "[erased e-mail]"
ERASED_PHONE = "[erased phone]"
ERASE_ACTION = "person.erase"
_PLACEHOLDER_RE = re.compile(r"^Erased person (\d+)$")
#: Tables never scrubbed: our own users and their sessions, and bookkeeping.
_SKIP = {"kam_users", "kam_sessions", "kam_meta", "alembic_version"}
_STAKEHOLDERS = "Stakeholders"


@dataclass
class Erasure:
    """What :func:`erase_person` changed."""

    stakeholder_id: str
    placeholder: str
    data_version: int
    #: ``table.column`` → cells rewritten in the store (the stakeholder row apart).
    cells: dict[str, int] = field(default_factory=dict)
    #: Snapshot files scrubbed.
    snapshots: list[str] = field(default_factory=list)


# -- matching -----------------------------------------------------------------------


def _pattern(values: Iterable[str]) -> re.Pattern[str] | None:
    terms = sorted(
        {v.strip() for v in values if v and v.strip()}, key=len, reverse=True
    )
    if not terms:
        return None
    alternatives = "|".join(re.escape(t) for t in terms)
    # Whole matches only: erasing "Ann" must not turn "Annual" into "<x>ual".
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


def _replacer(
    name: str | None, email: str | None, phone: str | None, placeholder: str
) -> Callable[[str], str]:
    subs = [
        (p, r)
        for p, r in (
            (_pattern([email or ""]), ERASED_EMAIL),
            (_pattern([phone or ""]), ERASED_PHONE),
            (_pattern([name or ""]), placeholder),
        )
        if p is not None
    ]

    def scrub(text: str) -> str:
        for p, r in subs:
            text = p.sub(r, text)
        return text

    return scrub


def _walk(value: Any, scrub: Callable[[str], str]) -> Any:
    """``value`` (decoded JSON) with every string scrubbed, keys included."""
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, list):
        return [_walk(v, scrub) for v in value]
    if isinstance(value, dict):
        return {scrub(str(k)): _walk(v, scrub) for k, v in value.items()}
    return value


def _scrub_json_text(text: str, scrub: Callable[[str], str]) -> str:
    try:
        decoded = json.loads(text)
    except ValueError:
        return scrub(text)
    return json.dumps(_walk(decoded, scrub), sort_keys=True, ensure_ascii=False)


# -- export -------------------------------------------------------------------------


def _plain(value: object) -> object:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _rows(conn: Connection, query: sa.Select[Any]) -> list[dict[str, object]]:
    out = []
    for row in conn.execute(query).mappings():
        item = {k: _plain(v) for k, v in row.items() if k != ROW_KEY}
        if isinstance(item.get(EXTRA), str):
            item[EXTRA] = json.loads(str(item[EXTRA]))
        out.append(item)
    return out


def _stakeholder(conn: Connection, stakeholder_id: str) -> dict[str, Any]:
    t = data_table(_STAKEHOLDERS)
    row = conn.execute(sa.select(t).where(t.c.stakeholder_id == stakeholder_id))
    found = row.mappings().first()
    if found is None:
        raise NotFoundError(f"no stakeholder with id {stakeholder_id!r}")
    return dict(found)


def export_person(store: Store, stakeholder_id: str) -> dict[str, object]:
    """Everything the store holds about one stakeholder, as JSON-ready data.

    Keys: ``stakeholder`` (their row), ``influences`` (from or to them),
    ``touchpoints``, ``surveys`` (answered by them), ``audit`` (entries whose target
    or detail mentions their id, name, e-mail or phone).
    """
    with (
        translate_errors("cannot export the person"),
        read_connection(store.engine) as conn,
    ):
        person = _stakeholder(conn, stakeholder_id)
        sid = stakeholder_id
        inf, tp, sv = (data_table(n) for n in ("Influences", "Touchpoints", "Surveys"))
        mention = _pattern(
            [
                sid,
                str(person["name"] or ""),
                person["email"] or "",
                person["phone"] or "",
            ]
        )
        entries = []
        for row in conn.execute(sa.select(audit).order_by(audit.c.id)).mappings():
            text = json.dumps(
                [row["target"], row["detail"]], ensure_ascii=False, default=str
            )
            if mention is not None and mention.search(text):
                entries.append({k: _plain(v) for k, v in row.items()})
        return {
            "stakeholder": _rows(
                conn,
                sa.select(data_table(_STAKEHOLDERS)).where(
                    data_table(_STAKEHOLDERS).c.stakeholder_id == sid
                ),
            )[0],
            "influences": _rows(
                conn,
                sa.select(inf)
                .where(sa.or_(inf.c.from_id == sid, inf.c.to_id == sid))
                .order_by(inf.c[ROW_KEY]),
            ),
            "touchpoints": _rows(
                conn,
                sa.select(tp).where(tp.c.stakeholder_id == sid).order_by(tp.c[ROW_KEY]),
            ),
            "surveys": _rows(
                conn,
                sa.select(sv).where(sv.c.stakeholder_id == sid).order_by(sv.c[ROW_KEY]),
            ),
            "audit": entries,
        }


# -- erasure ------------------------------------------------------------------------


def _text_columns(table: sa.Table) -> list[sa.Column[Any]]:
    return [
        c
        for c in table.columns
        if isinstance(c.type, sa.String | sa.Text | sa.JSON) and c.name != ROW_KEY
    ]


def _is_json(column: sa.Column[Any]) -> bool:
    return column.name in (EXTRA, "detail", "summary") or isinstance(
        column.type, sa.JSON
    )


def _new_row_key(sheet_name: str | None, row: Mapping[str, Any]) -> str | None:
    s = SHEETS.get(sheet_name) if sheet_name else None
    if s is None or s.key is None:
        # Keyless rows are keyed by a hash, which holds no text to erase.
        return None
    return KEY_SEPARATOR.join(encode_part(row[k]) for k in s.key)


def _scrub_table(
    conn: Connection,
    table: sa.Table,
    scrub: Callable[[str], str],
    terms: list[str],
    sheet_name: str | None,
) -> dict[str, int]:
    """Rewrite the cells of ``table`` that hold a term; counts per column."""
    columns = _text_columns(table)
    pk = list(table.primary_key.columns)
    if not columns or not pk:
        return {}
    sqlite = conn.dialect.name == "sqlite"
    if sqlite:
        # SQLite's LIKE and lower() fold ASCII only: "ØDEGÅRD" would slip through.
        conn.connection.driver_connection.create_function(  # type: ignore[union-attr]
            "kam_fold", 1, _fold, deterministic=True
        )
    like = []
    for c in columns:
        # JSON columns may hold the term escaped; compare their text form, and
        # match a fragment too, so that the JSON-escaped spelling is caught.
        text: Any = sa.cast(c, sa.Text) if isinstance(c.type, sa.JSON) else c
        for t in terms:
            for form in {t, json.dumps(t)[1:-1]}:
                if sqlite:
                    folded = sa.func.kam_fold(text, type_=sa.Text)
                    like.append(folded.contains(_fold(form), autoescape=True))
                else:
                    like.append(text.icontains(form, autoescape=True))
    counts: dict[str, int] = {}
    query = sa.select(table).where(sa.or_(*like))
    for row in conn.execute(query).mappings().all():
        changes: dict[str, Any] = {}
        for c in columns:
            value = row[c.name]
            if value is None:
                continue
            if isinstance(c.type, sa.JSON):
                new: Any = _walk(value, scrub)
            elif isinstance(value, str) and _is_json(c):
                new = _scrub_json_text(value, scrub)
                if json.loads(new) == _maybe_json(value):
                    new = value
            else:
                new = scrub(str(value))
            if new != value:
                changes[c.name] = new
                key = f"{table.name}.{c.name}"
                counts[key] = counts.get(key, 0) + 1
        if not changes:
            continue
        if ROW_KEY in table.c:
            key_value = _new_row_key(sheet_name, {**row, **changes})
            if key_value is not None and key_value != row[ROW_KEY]:
                changes[ROW_KEY] = key_value
        where = sa.and_(*(c == row[c.name] for c in pk))
        conn.execute(table.update().where(where).values(**changes))
    return counts


def _fold(text: str | None) -> str | None:
    return None if text is None else str(text).casefold()


def _maybe_json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def _scrub_all(
    conn: Connection,
    tables: Iterable[tuple[sa.Table, str | None]],
    scrub: Callable[[str], str],
    terms: list[str],
) -> dict[str, int]:
    counts: dict[str, int] = {}
    for table, sheet_name in tables:
        if table.name in _SKIP:
            continue
        counts.update(_scrub_table(conn, table, scrub, terms, sheet_name))
    return counts


def _store_tables() -> list[tuple[sa.Table, str | None]]:
    out: list[tuple[sa.Table, str | None]] = [
        (data_table(name), name) for name in SHEETS
    ]
    return [*out, (audit, None), (imports, None)]


def _next_placeholder(conn: Connection) -> str:
    t = data_table(_STAKEHOLDERS)
    rows = conn.execute(
        sa.select(t.c.name).where(t.c.name.like("Erased person %"))
    ).scalars()
    numbers = [int(m.group(1)) for v in rows if (m := _PLACEHOLDER_RE.match(v or ""))]
    return PLACEHOLDER.format(n=max(numbers, default=0) + 1)


def _erase_row(conn: Connection, table: sa.Table, sid: str, placeholder: str) -> None:
    conn.execute(
        table.update()
        .where(table.c.stakeholder_id == sid)
        .values(name=placeholder, email=None, phone=None)
    )


def erase_person(
    store: Store, stakeholder_id: str, *, by: int | None = None
) -> Erasure:
    """Erase one stakeholder's name, e-mail and phone (see the module doc).

    ``by`` is the user id recorded in the audit entry. Raises NotFoundError for an
    unknown id; StoreError when a snapshot cannot be scrubbed (the store itself is
    then already erased; run the erasure again to finish the snapshots).
    """
    with (
        translate_errors("the erasure was rolled back"),
        write_connection(store.engine) as conn,
    ):
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA secure_delete=ON")
        version_query = sa.select(meta.c.value).where(meta.c.key == DATA_VERSION)
        current = int(conn.execute(version_query.with_for_update()).scalar_one())
        person = _stakeholder(conn, stakeholder_id)
        name, email, phone = person["name"], person["email"], person["phone"]
        already = _PLACEHOLDER_RE.match(str(name or ""))
        placeholder = str(name) if already else _next_placeholder(conn)
        scrub = _replacer(None if already else name, email, phone, placeholder)
        terms = [
            str(v).strip()
            for v in ((None if already else name), email, phone)
            if v and str(v).strip()
        ]
        _erase_row(conn, data_table(_STAKEHOLDERS), stakeholder_id, placeholder)
        counts = _scrub_all(conn, _store_tables(), scrub, terms) if terms else {}
        version = current + 1
        conn.execute(
            meta.update().where(meta.c.key == DATA_VERSION).values(value=str(version))
        )
        conn.execute(
            audit.insert().values(
                at=datetime.now().astimezone(),
                user_id=by,
                action=ERASE_ACTION,
                target=f"stakeholder:{stakeholder_id}",
                detail={
                    "account_id": person["account_id"],
                    "placeholder": placeholder,
                    "cells": counts,
                },
            )
        )
    result = Erasure(stakeholder_id, placeholder, version, counts)
    if store.db_path is not None:
        _checkpoint(store.db_path)
    for info in store.list_snapshots():
        assert store.snapshot_dir is not None
        path = store.snapshot_dir / info.name
        _scrub_snapshot(path, stakeholder_id, placeholder, scrub, terms)
        result.snapshots.append(info.name)
    return result


def _checkpoint(db: Path) -> None:
    # Best effort: fold the WAL into the file so that the old page versions are
    # overwritten; a reader holding an old snapshot may delay it.
    try:
        with closing(sqlite3.connect(db, timeout=10)) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except sqlite3.Error:
        pass


def _scrub_snapshot(
    path: Path,
    stakeholder_id: str,
    placeholder: str,
    scrub: Callable[[str], str],
    terms: list[str],
) -> None:
    """The store's erasure applied to one snapshot file, then VACUUM."""
    engine = sa.create_engine(f"sqlite:///{path}")
    try:
        with translate_errors(f"cannot erase the person from snapshot {path.name}"):
            reflected = sa.MetaData()
            with engine.begin() as conn:
                reflected.reflect(conn)
                by_table = {SHEETS[n].table: n for n in SHEETS}
                stakeholders = reflected.tables.get(SHEETS[_STAKEHOLDERS].table)
                if stakeholders is not None:
                    _erase_row(conn, stakeholders, stakeholder_id, placeholder)
                if terms:
                    _scrub_all(
                        conn,
                        ((t, by_table.get(t.name)) for t in reflected.sorted_tables),
                        scrub,
                        terms,
                    )
            with engine.connect() as conn:
                conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
                    "VACUUM"
                )
    except sqlite3.Error as e:
        raise StoreError(
            f"cannot erase the person from snapshot {path.name}: {e}"
        ) from e
    finally:
        engine.dispose()


def drop_engine_snapshots(database_url: str, *, below: int) -> int:
    """Remove the engine's Parquet copies of the store older than version ``below``.

    They hold the data as it was before the erasure; the engine rebuilds the
    current version on its next read. Returns how many version folders went.
    """
    import shutil

    from kam.engine.sources import SnapshotSource, store_source

    source = store_source(database_url)
    if not isinstance(source, SnapshotSource):
        return 0
    gone = 0
    for version in source.cache.versions():
        if version < below:
            shutil.rmtree(source.cache.folder(version), ignore_errors=True)
            gone += 1
    return gone
