"""Shared fixtures: a temporary SQLite URL and, where configured, PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

POSTGRES_URL = os.environ.get("KAM_TEST_POSTGRES_URL")


@contextmanager
def postgres_backend_in_schema(prefix: str) -> Iterator[Any]:
    """An Ibis PostgreSQL connection whose tables go to a fresh schema (named
    ``prefix`` and a random suffix), dropped afterwards; skips the test when
    ``KAM_TEST_POSTGRES_URL`` is not set."""
    if not POSTGRES_URL:
        pytest.skip("KAM_TEST_POSTGRES_URL is not set")
    import ibis
    import sqlalchemy as sa

    from kam.engine.snapshot import pg_connect_kwargs

    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(
        POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://", 1)
    )
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    kwargs = pg_connect_kwargs(POSTGRES_URL)
    kwargs["database"] = kwargs.pop("dbname")
    con = ibis.postgres.connect(**kwargs, options=f"-csearch_path={schema}")
    try:
        yield con
    finally:
        con.disconnect()
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'kam.db'}"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty schema in the test PostgreSQL database, dropped afterwards."""
    if not POSTGRES_URL:
        pytest.skip("KAM_TEST_POSTGRES_URL is not set")
    import sqlalchemy as sa

    schema = f"kam_test_{uuid.uuid4().hex[:12]}"
    base = POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://", 1)
    admin = sa.create_engine(base)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base else "?"
    try:
        yield f"{base}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The same test on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'kam.db'}"
    return str(request.getfixturevalue("postgres_url"))
