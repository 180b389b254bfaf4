"""The initial schema: every data table of kam.model.SHEETS plus kam_meta and
kam_imports.

Generated once with Alembic autogenerate from kam.store.tables.metadata and
reviewed; tests/store/test_tables.py checks that it still matches the metadata.

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-26 19:01:54.501100
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from kam.store.types import Money

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade the schema."""
    op.create_table(
        "accounts",
        sa.Column("row_key", sa.Text(), nullable=False),
        sa.Column("account_id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("parent_account_id", sa.Text(), nullable=True),
        sa.Column("industry", sa.Text(), nullable=True),
        sa.Column("segment", sa.Text(), nullable=True),
        sa.Column("region", sa.Text(), nullable=True),
        sa.Column("owner", sa.Text(), nullable=True),
        sa.Column("key_account", sa.Boolean(), nullable=True),
        sa.Column("customer_since", sa.Date(), nullable=True),
        sa.Column("status", sa.Text(), nullable=True),
        sa.Column("renewal_date", sa.Date(), nullable=True),
        sa.Column("currency", sa.Text(), nullable=True),
        sa.Column("extra", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("row_key", name=op.f("pk_accounts")),
        sa.UniqueConstraint("account_id", name=op.f("uq_accounts_account_id")),
    )
    op.create_table(
        "coverage",
        sa.Column("row_key", sa.Text(), nullable=False),
        sa.Column("unit_id", sa.Text(), nullable=False),
        sa.Column("product", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("current_revenue", Money(), nullable=True),
        sa.Column("potential_revenue", Money(), nullable=True),
        sa.Column("competitor", sa.Text(), nullable=True),
        sa.Column("probability", sa.Float(), nullable=True),
        sa.Column("owner", sa.Text(), nullable=True),
        sa.Column("extra", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("row_key", name=op.f("pk_coverage")),
    )
    op.create_table(
        "criteria",
        sa.Column("row_key", sa.Text(), nullable=False),
        sa.Column("criterion_id", sa.Text(), nullable=False),
        sa.Column("section", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("extra", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("row_key", name=op.f("pk_criteria")),
    )
    op.create_table(
        "health_model",
        sa.Column("row_key", sa.Text(), nullable=False),
        sa.Column("signal", sa.Text(), nullable=False),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.Column("good", sa.Float(), nullable=False),
        sa.Column("poor", sa.Float(), nullable=False),
        sa.Column("extra", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("row_key", name=op.f("pk_health_model")),
    )
    op.create_table(
        "influences",
        sa.Column("row_key", sa.Text(), nullable=False),
        sa.Column("from_id", sa.Text(), nullable=False),
        sa.Column("to_id", sa.Text(), nullable=False),
        sa.Column("strength", sa.Integer(), nullable=False),
        sa.Column("sentiment", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("extra", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("row_key", name=op.f("pk_influences")),
    )
    op.create_table(
        "kam_imports",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("replace", sa.Boolean(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("data_version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kam_imports")),
    )
    op.create_table(
        "kam_meta",
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_kam_meta")),
    )
    meta = sa.table(
        "kam_meta", sa.column("key", sa.Text()), sa.column("value", sa.Text())
    )
    op.bulk_insert(
        meta, [{"key": "data_version", "value": "0"}, {"key": "schema", "value": "1"}]
    )
    op.create_table(
        "products",
        sa.Column("row_key", sa.Text(), nullable=False),
        sa.Column("product", sa.Text(), nullable=False),
        sa.Column("family", sa.Text(), nullable=True),
        sa.Column("kind", sa.Text(), nullable=True),
        sa.Column("tier", sa.Integer(), nullable=True),
        sa.Column("premium", sa.Boolean(), nullable=True),
        sa.Column("extra", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("row_key", name=op.f("pk_products")),
    )
    op.create_table(
        "settings",
        sa.Column("row_key", sa.Text(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("extra", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("row_key", name=op.f("pk_settings")),
    )
    op.create_table(
        "team",
        sa.Column("row_key", sa.Text(), nullable=False),
        sa.Column("member_id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("role", sa.Text(), nullable=True),
        sa.Column("email", sa.Text(), nullable=True),
        sa.Column("extra", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("row_key", name=op.f("pk_team")),
    )
    op.create_table(
        "touchpoints",
        sa.Column("row_key", sa.Text(), nullable=False),
        sa.Column("member_id", sa.Text(), nullable=False),
        sa.Column("stakeholder_id", sa.Text(), nullable=False),
        sa.Column("strength", sa.Integer(), nullable=False),
        sa.Column("last_contact_on", sa.Date(), nullable=True),
        sa.Column("key", sa.Boolean(), nullable=True),
        sa.Column("extra", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("row_key", name=op.f("pk_touchpoints")),
    )
    op.create_table(
        "account_team",
        sa.Column("row_key", sa.Text(), nullable=False),
        sa.Column("account_id", sa.Text(), nullable=False),
        sa.Column("member_id", sa.Text(), nullable=False),
        sa.Column("role", sa.Text(), nullable=True),
        sa.Column("access", sa.Text(), nullable=True),
        sa.Column("extra", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.account_id"],
            name=op.f("fk_account_team_account_id_accounts"),
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("row_key", name=op.f("pk_account_team")),
    )
    op.create_index(
        op.f("ix_account_team_account_id"), "account_team", ["account_id"], unique=False
    )

    op.create_table(
        "charter",
        sa.Column("row_key", sa.Text(), nullable=False),
        sa.Column("account_id", sa.Text(), nullable=True),
        sa.Column("section", sa.Text(), nullable=False),
        sa.Column("field", sa.Text(), nullable=False),
        sa.Column("value", sa.Text(), nullable=True),
        sa.Column("owner", sa.Text(), nullable=True),
        sa.Column("reviewed_on", sa.Date(), nullable=True),
        sa.Column("extra", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.account_id"],
            name=op.f("fk_charter_account_id_accounts"),
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("row_key", name=op.f("pk_charter")),
    )
    op.create_index(
        op.f("ix_charter_account_id"), "charter", ["account_id"], unique=False
    )

    op.create_table(
        "mrr",
        sa.Column("row_key", sa.Text(), nullable=False),
        sa.Column("account_id", sa.Text(), nullable=False),
        sa.Column("month", sa.Text(), nullable=False),
        sa.Column("plan", sa.Text(), nullable=False),
        sa.Column("mrr", Money(), nullable=False),
        sa.Column("extra", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.account_id"],
            name=op.f("fk_mrr_account_id_accounts"),
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("row_key", name=op.f("pk_mrr")),
    )
    op.create_index(op.f("ix_mrr_account_id"), "mrr", ["account_id"], unique=False)

    op.create_table(
        "objectives",
        sa.Column("row_key", sa.Text(), nullable=False),
        sa.Column("objective_id", sa.Text(), nullable=False),
        sa.Column("account_id", sa.Text(), nullable=True),
        sa.Column("objective", sa.Text(), nullable=False),
        sa.Column("metric", sa.Text(), nullable=True),
        sa.Column("target", sa.Float(), nullable=True),
        sa.Column("due", sa.Date(), nullable=True),
        sa.Column("owner", sa.Text(), nullable=True),
        sa.Column("status", sa.Text(), nullable=True),
        sa.Column("extra", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.account_id"],
            name=op.f("fk_objectives_account_id_accounts"),
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("row_key", name=op.f("pk_objectives")),
    )
    op.create_index(
        op.f("ix_objectives_account_id"), "objectives", ["account_id"], unique=False
    )

    op.create_table(
        "onboarding",
        sa.Column("row_key", sa.Text(), nullable=False),
        sa.Column("account_id", sa.Text(), nullable=False),
        sa.Column("stage", sa.Text(), nullable=False),
        sa.Column("stage_entered_on", sa.Date(), nullable=False),
        sa.Column("target_go_live", sa.Date(), nullable=True),
        sa.Column("owner", sa.Text(), nullable=True),
        sa.Column("completed_on", sa.Date(), nullable=True),
        sa.Column("extra", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.account_id"],
            name=op.f("fk_onboarding_account_id_accounts"),
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("row_key", name=op.f("pk_onboarding")),
    )
    op.create_index(
        op.f("ix_onboarding_account_id"), "onboarding", ["account_id"], unique=False
    )

    op.create_table(
        "profit",
        sa.Column("row_key", sa.Text(), nullable=False),
        sa.Column("account_id", sa.Text(), nullable=False),
        sa.Column("period", sa.Text(), nullable=False),
        sa.Column("product", sa.Text(), nullable=True),
        sa.Column("list_revenue", Money(), nullable=True),
        sa.Column("net_revenue", Money(), nullable=False),
        sa.Column("cogs", Money(), nullable=True),
        sa.Column("cost_to_serve", Money(), nullable=True),
        sa.Column("cts_presale", Money(), nullable=True),
        sa.Column("cts_production", Money(), nullable=True),
        sa.Column("cts_distribution", Money(), nullable=True),
        sa.Column("cts_postsale", Money(), nullable=True),
        sa.Column("extra", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.account_id"],
            name=op.f("fk_profit_account_id_accounts"),
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("row_key", name=op.f("pk_profit")),
    )
    op.create_index(
        op.f("ix_profit_account_id"), "profit", ["account_id"], unique=False
    )

    op.create_table(
        "responsibilities",
        sa.Column("row_key", sa.Text(), nullable=False),
        sa.Column("activity", sa.Text(), nullable=False),
        sa.Column("account_id", sa.Text(), nullable=True),
        sa.Column("role", sa.Text(), nullable=True),
        sa.Column("code", sa.Text(), nullable=True),
        sa.Column("extra", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.account_id"],
            name=op.f("fk_responsibilities_account_id_accounts"),
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("row_key", name=op.f("pk_responsibilities")),
    )
    op.create_index(
        op.f("ix_responsibilities_account_id"),
        "responsibilities",
        ["account_id"],
        unique=False,
    )

    op.create_table(
        "revenue",
        sa.Column("row_key", sa.Text(), nullable=False),
        sa.Column("account_id", sa.Text(), nullable=False),
        sa.Column("period", sa.Text(), nullable=False),
        sa.Column("product", sa.Text(), nullable=True),
        sa.Column("amount", Money(), nullable=False),
        sa.Column("currency", sa.Text(), nullable=True),
        sa.Column("extra", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.account_id"],
            name=op.f("fk_revenue_account_id_accounts"),
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("row_key", name=op.f("pk_revenue")),
    )
    op.create_index(
        op.f("ix_revenue_account_id"), "revenue", ["account_id"], unique=False
    )

    op.create_table(
        "risks",
        sa.Column("row_key", sa.Text(), nullable=False),
        sa.Column("account_id", sa.Text(), nullable=False),
        sa.Column("flagged_on", sa.Date(), nullable=False),
        sa.Column("level", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("owner", sa.Text(), nullable=True),
        sa.Column("resolved_on", sa.Date(), nullable=True),
        sa.Column("extra", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.account_id"],
            name=op.f("fk_risks_account_id_accounts"),
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("row_key", name=op.f("pk_risks")),
    )
    op.create_index(op.f("ix_risks_account_id"), "risks", ["account_id"], unique=False)

    op.create_table(
        "scores",
        sa.Column("row_key", sa.Text(), nullable=False),
        sa.Column("account_id", sa.Text(), nullable=False),
        sa.Column("criterion_id", sa.Text(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("rater", sa.Text(), nullable=True),
        sa.Column("scored_on", sa.Date(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("extra", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.account_id"],
            name=op.f("fk_scores_account_id_accounts"),
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("row_key", name=op.f("pk_scores")),
    )
    op.create_index(
        op.f("ix_scores_account_id"), "scores", ["account_id"], unique=False
    )

    op.create_table(
        "signals",
        sa.Column("row_key", sa.Text(), nullable=False),
        sa.Column("account_id", sa.Text(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("signal", sa.Text(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("extra", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.account_id"],
            name=op.f("fk_signals_account_id_accounts"),
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("row_key", name=op.f("pk_signals")),
    )
    op.create_index(
        op.f("ix_signals_account_id"), "signals", ["account_id"], unique=False
    )

    op.create_table(
        "stakeholders",
        sa.Column("row_key", sa.Text(), nullable=False),
        sa.Column("stakeholder_id", sa.Text(), nullable=False),
        sa.Column("account_id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("organisation", sa.Text(), nullable=True),
        sa.Column("unit_id", sa.Text(), nullable=True),
        sa.Column("reports_to", sa.Text(), nullable=True),
        sa.Column("decision_power", sa.Integer(), nullable=False),
        sa.Column("interest", sa.Integer(), nullable=True),
        sa.Column("attitude", sa.Integer(), nullable=False),
        sa.Column("buying_role", sa.Text(), nullable=True),
        sa.Column("email", sa.Text(), nullable=True),
        sa.Column("phone", sa.Text(), nullable=True),
        sa.Column("extra", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.account_id"],
            name=op.f("fk_stakeholders_account_id_accounts"),
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("row_key", name=op.f("pk_stakeholders")),
    )
    op.create_index(
        op.f("ix_stakeholders_account_id"), "stakeholders", ["account_id"], unique=False
    )

    op.create_table(
        "surveys",
        sa.Column("row_key", sa.Text(), nullable=False),
        sa.Column("account_id", sa.Text(), nullable=False),
        sa.Column("answered_on", sa.Date(), nullable=False),
        sa.Column("instrument", sa.Text(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("stakeholder_id", sa.Text(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("extra", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.account_id"],
            name=op.f("fk_surveys_account_id_accounts"),
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("row_key", name=op.f("pk_surveys")),
    )
    op.create_index(
        op.f("ix_surveys_account_id"), "surveys", ["account_id"], unique=False
    )

    op.create_table(
        "tasks",
        sa.Column("row_key", sa.Text(), nullable=False),
        sa.Column("task_id", sa.Text(), nullable=False),
        sa.Column("account_id", sa.Text(), nullable=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("phase", sa.Text(), nullable=True),
        sa.Column("owner", sa.Text(), nullable=True),
        sa.Column("start", sa.Date(), nullable=True),
        sa.Column("duration_days", sa.Integer(), nullable=False),
        sa.Column("predecessors", sa.Text(), nullable=True),
        sa.Column("percent_complete", sa.Float(), nullable=True),
        sa.Column("baseline_finish", sa.Date(), nullable=True),
        sa.Column("extra", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.account_id"],
            name=op.f("fk_tasks_account_id_accounts"),
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("row_key", name=op.f("pk_tasks")),
    )
    op.create_index(op.f("ix_tasks_account_id"), "tasks", ["account_id"], unique=False)

    op.create_table(
        "units",
        sa.Column("row_key", sa.Text(), nullable=False),
        sa.Column("unit_id", sa.Text(), nullable=False),
        sa.Column("account_id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("parent_unit_id", sa.Text(), nullable=True),
        sa.Column("kind", sa.Text(), nullable=True),
        sa.Column("extra", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.account_id"],
            name=op.f("fk_units_account_id_accounts"),
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("row_key", name=op.f("pk_units")),
    )
    op.create_index(op.f("ix_units_account_id"), "units", ["account_id"], unique=False)


def downgrade() -> None:
    """Downgrade the schema."""
    op.drop_index(op.f("ix_units_account_id"), table_name="units")
    op.drop_table("units")
    op.drop_index(op.f("ix_tasks_account_id"), table_name="tasks")
    op.drop_table("tasks")
    op.drop_index(op.f("ix_surveys_account_id"), table_name="surveys")
    op.drop_table("surveys")
    op.drop_index(op.f("ix_stakeholders_account_id"), table_name="stakeholders")
    op.drop_table("stakeholders")
    op.drop_index(op.f("ix_signals_account_id"), table_name="signals")
    op.drop_table("signals")
    op.drop_index(op.f("ix_scores_account_id"), table_name="scores")
    op.drop_table("scores")
    op.drop_index(op.f("ix_risks_account_id"), table_name="risks")
    op.drop_table("risks")
    op.drop_index(op.f("ix_revenue_account_id"), table_name="revenue")
    op.drop_table("revenue")
    op.drop_index(op.f("ix_responsibilities_account_id"), table_name="responsibilities")
    op.drop_table("responsibilities")
    op.drop_index(op.f("ix_profit_account_id"), table_name="profit")
    op.drop_table("profit")
    op.drop_index(op.f("ix_onboarding_account_id"), table_name="onboarding")
    op.drop_table("onboarding")
    op.drop_index(op.f("ix_objectives_account_id"), table_name="objectives")
    op.drop_table("objectives")
    op.drop_index(op.f("ix_mrr_account_id"), table_name="mrr")
    op.drop_table("mrr")
    op.drop_index(op.f("ix_charter_account_id"), table_name="charter")
    op.drop_table("charter")
    op.drop_index(op.f("ix_account_team_account_id"), table_name="account_team")
    op.drop_table("account_team")
    op.drop_table("touchpoints")
    op.drop_table("team")
    op.drop_table("settings")
    op.drop_table("products")
    op.drop_table("kam_meta")
    op.drop_table("kam_imports")
    op.drop_table("influences")
    op.drop_table("health_model")
    op.drop_table("criteria")
    op.drop_table("coverage")
    op.drop_table("accounts")
