"""Users, sessions and the audit log (kam.store.auth_tables).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 19:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create kam_users, kam_sessions and kam_audit."""
    op.create_table(
        "kam_users",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("email", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "role IN ('admin', 'analyst', 'executive', 'kam', 'viewer')",
            name=op.f("ck_kam_users_role"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kam_users")),
        sa.UniqueConstraint("email", name=op.f("uq_kam_users_email")),
    )
    op.create_table(
        "kam_sessions",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("csrf_token", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ip", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["kam_users.id"],
            name=op.f("fk_kam_sessions_user_id_kam_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kam_sessions")),
    )
    op.create_index(
        op.f("ix_kam_sessions_user_id"), "kam_sessions", ["user_id"], unique=False
    )
    op.create_table(
        "kam_audit",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("target", sa.Text(), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kam_audit")),
    )


def downgrade() -> None:
    """Drop the three tables."""
    op.drop_table("kam_audit")
    op.drop_index(op.f("ix_kam_sessions_user_id"), table_name="kam_sessions")
    op.drop_table("kam_sessions")
    op.drop_table("kam_users")
