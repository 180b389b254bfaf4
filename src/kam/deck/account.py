"""The account deck's slides: profile, revenue and MRR history, class history.

Later tools add sections with :func:`account_section`; each builder receives the
deck, the account id and the engine's tables already restricted to the readable
accounts, so it never decides access.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

import ibis

from kam.analysis.result import AnalysisResult
from kam.deck.charts import add_column_chart, add_line_chart
from kam.deck.layout import BODY, Deck
from kam.render import cell_text

__all__ = [
    "ACCOUNT_SECTIONS",
    "AccountContext",
    "account_section",
    "class_history",
    "mrr_history",
    "revenue_history",
]

Tables = Mapping[str, ibis.Table]


class AccountContext:
    """One account's data for the deck: its profile row, tables and ABC result."""

    def __init__(
        self,
        account_id: str,
        profile: dict[str, object],
        tables: Tables,
        abc: AnalysisResult | None,
    ) -> None:
        self.account_id = account_id
        self.profile = profile
        self.tables = tables
        self.abc = abc

    @property
    def name(self) -> str:
        """The account's name, else its id."""
        return str(self.profile.get("name") or self.account_id)


AccountSection = Callable[[Deck, AccountContext], None]
#: Sections of the account deck in order, by name.
ACCOUNT_SECTIONS: dict[str, AccountSection] = {}


def account_section(name: str) -> Callable[[AccountSection], AccountSection]:
    """Register the decorated function as a section of the account deck."""

    def register(fn: AccountSection) -> AccountSection:
        ACCOUNT_SECTIONS[name] = fn
        return fn

    return register


def revenue_history(tables: Tables, account_id: str) -> list[tuple[str, Decimal]]:
    """``(year, amount)`` of one account, years from the period's first four chars."""
    if "Revenue" not in tables:
        return []
    t = tables["Revenue"]
    t = t.filter(t["account_id"] == account_id)
    out = (
        t.mutate(year=t["period"].substr(0, 4))
        .group_by("year")
        .agg(amount=lambda x: x["amount"].sum())
        .order_by("year")
        .to_pyarrow()
        .to_pylist()
    )
    return [(str(r["year"]), Decimal(str(r["amount"]))) for r in out]


def mrr_history(tables: Tables, account_id: str) -> list[tuple[str, Decimal]]:
    """``(month, mrr)`` of one account over every plan, by month."""
    if "MRR" not in tables:
        return []
    t = tables["MRR"]
    out = (
        t.filter(t["account_id"] == account_id)
        .group_by("month")
        .agg(mrr=lambda x: x["mrr"].sum())
        .order_by("month")
        .to_pyarrow()
        .to_pylist()
    )
    return [(str(r["month"]), Decimal(str(r["mrr"]))) for r in out]


def class_history(abc: AnalysisResult | None, account_id: str) -> list[dict[str, Any]]:
    """The account's ABC rows (period, rank, value, share, class) in period order."""
    if abc is None:
        return []
    return [r for r in abc.rows if r["account_id"] == account_id]


@account_section("profile")
def profile_slide(deck: Deck, ctx: AccountContext) -> None:
    """The account's profile as a two-column table."""
    rows = [
        [key, cell_text(key, value)]
        for key, value in ctx.profile.items()
        if value not in (None, "") and key != "__extra__"
    ]
    deck.table(
        f"{ctx.name}: profile",
        f"The account record of {ctx.name} ({ctx.account_id}) as the Accounts sheet "
        "holds it.",
        ["field", "value"],
        rows,
    )


@account_section("history")
def history_slides(deck: Deck, ctx: AccountContext) -> None:
    """Revenue per year (columns) and MRR per month (line)."""
    revenue = revenue_history(ctx.tables, ctx.account_id)
    if revenue:
        text = ", ".join(f"{y}: {cell_text('value', v)}" for y, v in revenue)
        slide = deck.slide(
            f"{ctx.name}: revenue per year",
            f"How to read: one column per calendar year, the account's revenue over "
            f"every product. The numbers: {text}.",
        )
        add_column_chart(
            slide.shapes,
            BODY,
            [y for y, _ in revenue],
            [("revenue", [float(v) for _, v in revenue])],
            theme=deck.theme,
        )
    mrr = mrr_history(ctx.tables, ctx.account_id)
    if mrr:
        first, last = mrr[0], mrr[-1]
        slide = deck.slide(
            f"{ctx.name}: MRR per month",
            f"How to read: monthly recurring revenue over every plan. The numbers: "
            f"{cell_text('value', first[1])} in {first[0]}, "
            f"{cell_text('value', last[1])} in {last[0]}.",
        )
        add_line_chart(
            slide.shapes,
            BODY,
            [m for m, _ in mrr],
            [("MRR", [float(v) for _, v in mrr])],
            theme=deck.theme,
        )


@account_section("classes")
def class_slide(deck: Deck, ctx: AccountContext) -> None:
    """The account's ABC class, rank and share per period."""
    rows = class_history(ctx.abc, ctx.account_id)
    if not rows:
        return
    moves = "; ".join(
        f"{r['period']}: {r['class']}" for r in rows if r["period"] != "pooled"
    )
    deck.table(
        f"{ctx.name}: ABC class history",
        "How to read: the account's class in each period of the ABC analysis over "
        f"the accounts in this deck's scope, with its rank and share. The numbers: "
        f"{moves}.",
        ["period", "class", "rank", "value", "share"],
        [
            [
                str(r["period"]),
                str(r["class"]),
                str(r["rank"]),
                cell_text("value", r["value"]),
                cell_text("share", r["share"]),
            ]
            for r in rows
        ],
    )
