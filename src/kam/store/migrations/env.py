"""Alembic environment of the store, driven programmatically by ``Store.upgrade``.

There is no ``alembic.ini``: the caller passes an open connection (inside its
transaction) as ``config.attributes["connection"]``. ``render_as_batch`` makes new
migrations rebuild tables on SQLite, which cannot ALTER most things in place.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from kam.errors import StoreError
from kam.store.tables import metadata

connection = context.config.attributes.get("connection")
if not isinstance(connection, Connection):
    raise StoreError(
        "the store migrations run through Store.upgrade(), which passes a connection"
    )
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=True,
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
