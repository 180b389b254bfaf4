"""Tables of the workspace's users, their sessions and the audit log.

They live on the same :data:`kam.store.tables.metadata` as the data tables, so one
Alembic history covers both (revision ``0002``).

- ``kam_users``: one row per person who may sign in. ``role`` is one of
  :data:`ROLES`; ``password_hash`` is an argon2id hash (never the password);
  ``failed_logins``/``locked_until`` implement the per-account sign-in limit.
- ``kam_sessions``: one row per signed-in browser. ``id`` is the SHA-256 of the
  random token in the cookie, so a leaked table does not hand out live sessions.
- ``kam_audit``: who did what, when (sign-in, sign-out, user changes).
"""

from __future__ import annotations

import sqlalchemy as sa

from kam.store.tables import metadata

__all__ = ["ROLES", "audit", "sessions", "users"]

#: Every role, from the most to the least powerful (design.md §5).
ROLES: tuple[str, ...] = ("admin", "analyst", "executive", "kam", "viewer")

users = sa.Table(
    "kam_users",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("email", sa.Text(), nullable=False, unique=True),
    sa.Column("name", sa.Text(), nullable=True),
    sa.Column("role", sa.Text(), nullable=False),
    sa.Column("password_hash", sa.Text(), nullable=True),
    sa.Column("active", sa.Boolean(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("failed_logins", sa.Integer(), nullable=False),
    sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint(
        "role IN ('admin', 'analyst', 'executive', 'kam', 'viewer')", name="role"
    ),
)

sessions = sa.Table(
    "kam_sessions",
    metadata,
    sa.Column("id", sa.Text(), primary_key=True),
    sa.Column(
        "user_id",
        sa.Integer(),
        sa.ForeignKey("kam_users.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column("csrf_token", sa.Text(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("ip", sa.Text(), nullable=True),
)

audit = sa.Table(
    "kam_audit",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("user_id", sa.Integer(), nullable=True),
    sa.Column("action", sa.Text(), nullable=False),
    sa.Column("target", sa.Text(), nullable=True),
    sa.Column("detail", sa.JSON(), nullable=True),
)
