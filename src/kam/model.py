"""The canonical tables of kam: one definition for every layer.

Each sheet of the public workbook contract (``docs/workbook.md``) is a :class:`Sheet`
made of :class:`Column` s. The validators, the store tables, the template and the
exporter are all derived from :data:`SHEETS`; nothing else lists columns.

Canonical Python values per :class:`Kind` (what validation produces, what the store
holds, what analyses read):

========  ==========================================  ======================
kind      Python value                                store / Ibis type
========  ==========================================  ======================
text      ``str`` (may be empty only when optional)   TEXT / string
id        ``str``, trimmed, non-empty, case-sensitive TEXT / string
int       ``int``                                     INTEGER / int64
number    ``float``                                   FLOAT / float64
money     ``Decimal`` quantized to 0.01               NUMERIC(18,2) / decimal(18,2)
date      ``datetime.date``                           DATE / date
month     ``str`` ``YYYY-MM``                         TEXT / string
period    ``str`` ``YYYY``, ``YYYY-Qn`` or ``YYYY-MM`` TEXT / string
bool      ``bool``                                    BOOLEAN / boolean
enum      ``str``, one of ``choices`` (lower case      TEXT / string
          unless the choices are not)
========  ==========================================  ======================

A blank cell in an optional column is ``None`` ("unknown"); a column's ``default``
replaces ``None`` where the contract gives one.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from kam.errors import Problem

__all__ = [
    "EXTRA",
    "INSTRUCTIONS_SHEET",
    "MONEY_QUANTUM",
    "SETTINGS_DEFAULTS",
    "SHEETS",
    "SHEET_ORDER",
    "Column",
    "Kind",
    "Portfolio",
    "Ref",
    "Row",
    "Sheet",
    "Table",
    "sheet",
    "store_columns",
]

#: A canonical row: every column of its sheet (``None`` when blank) plus
#: :data:`EXTRA`, a ``dict[str, str]`` of the extra columns the user kept (header ->
#: cell text). Rows of a wide sheet are long: its fixed columns, then ``wide_name``
#: and ``wide_value.name`` (an activity without any code gets one row with role ``""``
#: and code ``None``, so nothing is lost).
Row = dict[str, object]

#: Name of the row entry that carries the user's extra columns.
EXTRA = "extra"


class Kind(StrEnum):
    TEXT = "text"
    ID = "id"
    INT = "int"
    NUMBER = "number"
    MONEY = "money"
    DATE = "date"
    MONTH = "month"
    PERIOD = "period"
    BOOL = "bool"
    ENUM = "enum"


@dataclass(frozen=True)
class Ref:
    """A reference to the id column of another sheet.

    ``when_present``: only checked when the target sheet is part of the portfolio
    (``Revenue.product`` must be a ``Products.product`` only if Products exists).
    """

    sheet: str
    column: str
    when_present: bool = False


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind
    required: bool = False
    description: str = ""
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    default: object = None
    ref: Ref | None = None

    @property
    def expected(self) -> str:
        """What a valid cell looks like, in the user's words."""
        if self.kind is Kind.ENUM:
            return "one of " + ", ".join(self.choices)
        words = {
            Kind.TEXT: "text",
            Kind.ID: "a non-empty id",
            Kind.INT: "a whole number",
            Kind.NUMBER: "a number",
            Kind.MONEY: "an amount with at most 2 decimals",
            Kind.DATE: "a date (YYYY-MM-DD)",
            Kind.MONTH: "a month (YYYY-MM)",
            Kind.PERIOD: "a period (YYYY, YYYY-Qn or YYYY-MM)",
            Kind.BOOL: "yes/no, true/false, 1/0 or x/blank",
        }
        text = words[self.kind]
        if self.minimum is not None and self.maximum is not None:
            text += f" from {_num(self.minimum)} to {_num(self.maximum)}"
        elif self.minimum is not None:
            text += f" ≥ {_num(self.minimum)}"
        elif self.maximum is not None:
            text += f" ≤ {_num(self.maximum)}"
        return text


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


@dataclass(frozen=True)
class Sheet:
    """One sheet of the workbook contract and its store table.

    ``key``: the columns that identify a row (upsert key). ``None`` means the sheet
    has no natural key: identical rows are distinct (a multiset) and each row is
    identified by its whole content and its occurrence number.
    ``sum_duplicates``: rows with the same key are summed over ``sum_columns``
    (with a notice) instead of being an error.
    ``wide``: the sheet has, after its fixed columns, one column per role whose
    cells are codes (the RACI matrix); stored long as (``wide_name``, ``wide_value``).
    """

    name: str
    table: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] | None
    description: str
    account_scoped: bool = False
    sum_duplicates: bool = False
    sum_columns: tuple[str, ...] = ()
    wide: bool = False
    wide_name: str = ""
    wide_value: Column | None = None
    checks: tuple[str, ...] = field(default=())

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.name} has no column {name}")

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def required_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)


def _c(
    name: str,
    kind: Kind,
    required: bool = False,
    description: str = "",
    **kw: object,
) -> Column:
    return Column(name, kind, required, description, **kw)  # type: ignore[arg-type]


ACCOUNT = Ref("Accounts", "account_id")
MEMBER = Ref("Team", "member_id")
STAKEHOLDER = Ref("Stakeholders", "stakeholder_id")
UNIT = Ref("Units", "unit_id")
PRODUCT_IF = Ref("Products", "product", when_present=True)

MONEY0 = 0.0

_SHEETS: tuple[Sheet, ...] = (
    Sheet(
        "Settings",
        "settings",
        (
            _c("key", Kind.ID, True, "setting name (company, currency, ...)"),
            _c("value", Kind.TEXT, True, "setting value"),
        ),
        key=("key",),
        description="Workspace settings: company, currency, fiscal year start, "
        "Pareto threshold, ABC cut-offs, renewal window, as-of date.",
    ),
    Sheet(
        "Accounts",
        "accounts",
        (
            _c("account_id", Kind.ID, True, "unique id of the account"),
            _c("name", Kind.TEXT, True, "account name"),
            _c(
                "parent_account_id",
                Kind.ID,
                description="parent account (an account of this sheet; no cycles)",
                ref=ACCOUNT,
            ),
            _c("industry", Kind.TEXT, description="industry"),
            _c("segment", Kind.TEXT, description="segment"),
            _c("region", Kind.TEXT, description="region"),
            _c(
                "owner",
                Kind.ID,
                description="owning KAM (a Team.member_id)",
                ref=MEMBER,
            ),
            _c("key_account", Kind.BOOL, description="is a key account"),
            _c("customer_since", Kind.DATE, description="first contract date"),
            _c(
                "status",
                Kind.ENUM,
                description="account status",
                choices=("active", "churned", "prospect"),
                default="active",
            ),
            _c("renewal_date", Kind.DATE, description="next renewal date"),
            _c(
                "currency",
                Kind.TEXT,
                description="must equal the workspace currency when given",
            ),
        ),
        key=("account_id",),
        description="One row per customer account (the only required sheet).",
        checks=("account_tree", "currency"),
    ),
    Sheet(
        "Revenue",
        "revenue",
        (
            _c("account_id", Kind.ID, True, "the account", ref=ACCOUNT),
            _c("period", Kind.PERIOD, True, "YYYY, YYYY-Qn or YYYY-MM"),
            _c(
                "product",
                Kind.TEXT,
                description="product (a Products.product)",
                ref=PRODUCT_IF,
            ),
            _c(
                "amount",
                Kind.MONEY,
                True,
                "revenue (≥ 0; net credit notes first)",
                minimum=MONEY0,
            ),
            _c("currency", Kind.TEXT, description="must equal the workspace currency"),
        ),
        key=("account_id", "period", "product"),
        description="Invoiced revenue per account, period and product.",
        account_scoped=True,
        sum_duplicates=True,
        sum_columns=("amount",),
        checks=("currency",),
    ),
    Sheet(
        "Products",
        "products",
        (
            _c("product", Kind.ID, True, "product id"),
            _c("family", Kind.TEXT, description="product family"),
            _c(
                "kind",
                Kind.ENUM,
                description="plan, addon, service or product",
                choices=("plan", "addon", "service", "product"),
                default="product",
            ),
            _c("tier", Kind.INT, description="order of plans, 1 = entry", minimum=1),
            _c("premium", Kind.BOOL, description="the premium upsell offer"),
        ),
        key=("product",),
        description="Products and plans we sell.",
    ),
    Sheet(
        "MRR",
        "mrr",
        (
            _c("account_id", Kind.ID, True, "the account", ref=ACCOUNT),
            _c("month", Kind.MONTH, True, "YYYY-MM or a date (taken as its month)"),
            _c("plan", Kind.TEXT, True, "plan (a Products.product)", ref=PRODUCT_IF),
            _c(
                "mrr",
                Kind.MONEY,
                True,
                "monthly recurring revenue (≥ 0)",
                minimum=MONEY0,
            ),
        ),
        key=("account_id", "month", "plan"),
        description="Monthly recurring revenue per account, month and plan.",
        account_scoped=True,
    ),
    Sheet(
        "Profit",
        "profit",
        (
            _c("account_id", Kind.ID, True, "the account", ref=ACCOUNT),
            _c("period", Kind.PERIOD, True, "YYYY, YYYY-Qn or YYYY-MM"),
            _c("product", Kind.TEXT, description="product", ref=PRODUCT_IF),
            _c(
                "list_revenue",
                Kind.MONEY,
                description="revenue at list price",
                minimum=MONEY0,
            ),
            _c("net_revenue", Kind.MONEY, True, "revenue after discounts"),
            _c("cogs", Kind.MONEY, description="cost of goods sold"),
            _c("cost_to_serve", Kind.MONEY, description="total cost to serve"),
            _c("cts_presale", Kind.MONEY, description="cost to serve: pre-sale"),
            _c("cts_production", Kind.MONEY, description="cost to serve: production"),
            _c(
                "cts_distribution",
                Kind.MONEY,
                description="cost to serve: distribution",
            ),
            _c("cts_postsale", Kind.MONEY, description="cost to serve: post-sale"),
        ),
        key=("account_id", "period", "product"),
        description="Revenue, costs and cost to serve per account (and product).",
        account_scoped=True,
        checks=("cts_parts",),
    ),
    Sheet(
        "Criteria",
        "criteria",
        (
            _c("criterion_id", Kind.ID, True, "criterion id"),
            _c(
                "section",
                Kind.ENUM,
                True,
                "growth, harmony or value_creation",
                choices=("growth", "harmony", "value_creation"),
            ),
            _c("name", Kind.TEXT, True, "criterion name"),
            _c(
                "weight",
                Kind.NUMBER,
                True,
                "weight (a section's sum to 1 or 100)",
                minimum=0,
            ),
            _c("description", Kind.TEXT, description="the scale raters use"),
        ),
        key=("criterion_id",),
        description="Scoring criteria and their weights.",
        checks=("weights",),
    ),
    Sheet(
        "Scores",
        "scores",
        (
            _c("account_id", Kind.ID, True, "the account", ref=ACCOUNT),
            _c(
                "criterion_id",
                Kind.ID,
                True,
                "the criterion",
                ref=Ref("Criteria", "criterion_id"),
            ),
            _c("score", Kind.NUMBER, True, "score from 1 to 10", minimum=1, maximum=10),
            _c("rater", Kind.TEXT, description="who scored"),
            _c("scored_on", Kind.DATE, description="when"),
            _c("note", Kind.TEXT, description="note"),
        ),
        key=("account_id", "criterion_id", "rater"),
        description="Scores per account, criterion and rater.",
        account_scoped=True,
    ),
    Sheet(
        "Surveys",
        "surveys",
        (
            _c("account_id", Kind.ID, True, "the account", ref=ACCOUNT),
            _c("answered_on", Kind.DATE, True, "answer date"),
            _c("instrument", Kind.ENUM, True, "NPS or CSAT", choices=("NPS", "CSAT")),
            _c("score", Kind.INT, True, "NPS 0–10, CSAT 1–5", minimum=0, maximum=10),
            _c("stakeholder_id", Kind.ID, description="who answered", ref=STAKEHOLDER),
            _c("comment", Kind.TEXT, description="comment"),
        ),
        key=None,
        description="NPS and CSAT answers.",
        account_scoped=True,
        checks=("survey_scale",),
    ),
    Sheet(
        "Onboarding",
        "onboarding",
        (
            _c("account_id", Kind.ID, True, "the account", ref=ACCOUNT),
            _c(
                "stage",
                Kind.ENUM,
                True,
                "onboarding stage",
                choices=("kickoff", "setup", "first_value", "adoption", "complete"),
            ),
            _c("stage_entered_on", Kind.DATE, True, "date the stage was entered"),
            _c("target_go_live", Kind.DATE, description="planned go-live"),
            _c("owner", Kind.ID, description="owner (a Team.member_id)", ref=MEMBER),
            _c("completed_on", Kind.DATE, description="completion date"),
        ),
        key=("account_id", "stage"),
        description="Onboarding stages per account.",
        account_scoped=True,
    ),
    Sheet(
        "Signals",
        "signals",
        (
            _c("account_id", Kind.ID, True, "the account", ref=ACCOUNT),
            _c("as_of", Kind.DATE, True, "measurement date"),
            _c("signal", Kind.ID, True, "signal name (a HealthModel.signal)"),
            _c("value", Kind.NUMBER, True, "measured value"),
        ),
        key=("account_id", "as_of", "signal"),
        description="Usage and engagement measures per account.",
        account_scoped=True,
    ),
    Sheet(
        "HealthModel",
        "health_model",
        (
            _c("signal", Kind.ID, True, "signal name"),
            _c("weight", Kind.NUMBER, True, "weight", minimum=0),
            _c("good", Kind.NUMBER, True, "value scored 100"),
            _c("poor", Kind.NUMBER, True, "value scored 0"),
        ),
        key=("signal",),
        description="How signals make the health score.",
        checks=("good_poor",),
    ),
    Sheet(
        "Risks",
        "risks",
        (
            _c("account_id", Kind.ID, True, "the account", ref=ACCOUNT),
            _c("flagged_on", Kind.DATE, True, "date flagged"),
            _c(
                "level",
                Kind.ENUM,
                True,
                "watch, at_risk or critical",
                choices=("watch", "at_risk", "critical"),
            ),
            _c("reason", Kind.TEXT, True, "why"),
            _c("owner", Kind.ID, description="owner (a Team.member_id)", ref=MEMBER),
            _c("resolved_on", Kind.DATE, description="resolution date"),
        ),
        key=("account_id", "flagged_on", "reason"),
        description="The risk register.",
        account_scoped=True,
    ),
    Sheet(
        "Team",
        "team",
        (
            _c("member_id", Kind.ID, True, "team member id"),
            _c("name", Kind.TEXT, True, "name"),
            _c("role", Kind.TEXT, description="KAM, solution architect, sponsor, ..."),
            _c("email", Kind.TEXT, description="e-mail (links an app user)"),
        ),
        key=("member_id",),
        description="Our team.",
    ),
    Sheet(
        "AccountTeam",
        "account_team",
        (
            _c("account_id", Kind.ID, True, "the account", ref=ACCOUNT),
            _c("member_id", Kind.ID, True, "the team member", ref=MEMBER),
            _c("role", Kind.TEXT, description="role on this account"),
            _c(
                "access",
                Kind.ENUM,
                description="edit or read",
                choices=("edit", "read"),
                default="edit",
            ),
        ),
        key=("account_id", "member_id"),
        description="Who on our side works each account.",
        account_scoped=True,
    ),
    Sheet(
        "Stakeholders",
        "stakeholders",
        (
            _c("stakeholder_id", Kind.ID, True, "stakeholder id"),
            _c("account_id", Kind.ID, True, "the account", ref=ACCOUNT),
            _c("name", Kind.TEXT, True, "name"),
            _c("title", Kind.TEXT, description="job title"),
            _c(
                "organisation",
                Kind.TEXT,
                description="blank = the account; else a third party",
            ),
            _c("unit_id", Kind.ID, description="the customer unit", ref=UNIT),
            _c(
                "reports_to",
                Kind.ID,
                description="manager (a stakeholder)",
                ref=STAKEHOLDER,
            ),
            _c("decision_power", Kind.INT, True, "1–5", minimum=1, maximum=5),
            _c("interest", Kind.INT, description="1–5", minimum=1, maximum=5),
            _c(
                "attitude",
                Kind.INT,
                True,
                "−2 hostile … +2 champion",
                minimum=-2,
                maximum=2,
            ),
            _c(
                "buying_role",
                Kind.ENUM,
                description="role in the buying decision",
                choices=(
                    "decision_maker",
                    "economic_buyer",
                    "technical_buyer",
                    "user",
                    "influencer",
                    "gatekeeper",
                    "coach",
                ),
            ),
            _c("email", Kind.TEXT, description="e-mail"),
            _c("phone", Kind.TEXT, description="phone"),
        ),
        key=("stakeholder_id",),
        description="The customer's people (and third parties such as consultants).",
        account_scoped=True,
        checks=("reports_to_forest",),
    ),
    Sheet(
        "Influences",
        "influences",
        (
            _c("from_id", Kind.ID, True, "who influences", ref=STAKEHOLDER),
            _c("to_id", Kind.ID, True, "who is influenced", ref=STAKEHOLDER),
            _c("strength", Kind.INT, True, "1–3", minimum=1, maximum=3),
            _c(
                "sentiment",
                Kind.ENUM,
                True,
                "positive, neutral or negative",
                choices=("positive", "neutral", "negative"),
            ),
            _c("note", Kind.TEXT, description="note"),
        ),
        key=("from_id", "to_id"),
        description="Dotted-line influence between stakeholders.",
    ),
    Sheet(
        "Touchpoints",
        "touchpoints",
        (
            _c("member_id", Kind.ID, True, "our team member", ref=MEMBER),
            _c("stakeholder_id", Kind.ID, True, "their stakeholder", ref=STAKEHOLDER),
            _c("strength", Kind.INT, True, "1–3", minimum=1, maximum=3),
            _c("last_contact_on", Kind.DATE, description="last contact"),
            _c("key", Kind.BOOL, description="a main touchpoint"),
        ),
        key=("member_id", "stakeholder_id"),
        description="Who on our side knows whom.",
    ),
    Sheet(
        "Units",
        "units",
        (
            _c("unit_id", Kind.ID, True, "unit id"),
            _c("account_id", Kind.ID, True, "the account", ref=ACCOUNT),
            _c("name", Kind.TEXT, True, "unit name"),
            _c("parent_unit_id", Kind.ID, description="parent unit", ref=UNIT),
            _c(
                "kind",
                Kind.ENUM,
                description="kind of unit",
                choices=("division", "business_unit", "region", "site", "subsidiary"),
            ),
        ),
        key=("unit_id",),
        description="The customer's divisions.",
        account_scoped=True,
        checks=("unit_tree",),
    ),
    Sheet(
        "Coverage",
        "coverage",
        (
            _c("unit_id", Kind.ID, True, "the unit", ref=UNIT),
            _c("product", Kind.ID, True, "the product", ref=PRODUCT_IF),
            _c(
                "status",
                Kind.ENUM,
                True,
                "coverage status",
                choices=(
                    "owned",
                    "pipeline",
                    "whitespace",
                    "not_eligible",
                    "competitor",
                ),
            ),
            _c(
                "current_revenue",
                Kind.MONEY,
                description="current revenue",
                minimum=MONEY0,
            ),
            _c(
                "potential_revenue",
                Kind.MONEY,
                description="potential revenue",
                minimum=MONEY0,
            ),
            _c("competitor", Kind.TEXT, description="competitor"),
            _c("probability", Kind.NUMBER, description="0–1", minimum=0, maximum=1),
            _c("owner", Kind.ID, description="owner (a Team.member_id)", ref=MEMBER),
        ),
        key=("unit_id", "product"),
        description="The division map: unit × product.",
    ),
    Sheet(
        "Tasks",
        "tasks",
        (
            _c("task_id", Kind.ID, True, "task id"),
            _c(
                "account_id",
                Kind.ID,
                description="blank = the KAM programme",
                ref=ACCOUNT,
            ),
            _c("name", Kind.TEXT, True, "task name"),
            _c("phase", Kind.TEXT, description="phase"),
            _c("owner", Kind.ID, description="owner (a Team.member_id)", ref=MEMBER),
            _c("start", Kind.DATE, description="fixed or not-before start"),
            _c(
                "duration_days",
                Kind.INT,
                True,
                "working days (0 = milestone)",
                minimum=0,
            ),
            _c("predecessors", Kind.TEXT, description="e.g. T1; T2 SS-1; T3 FF+2"),
            _c(
                "percent_complete",
                Kind.NUMBER,
                description="0–100",
                minimum=0,
                maximum=100,
            ),
            _c("baseline_finish", Kind.DATE, description="baseline finish"),
        ),
        key=("task_id",),
        description="The implementation timeline.",
        account_scoped=True,
        checks=("predecessors",),
    ),
    Sheet(
        "Responsibilities",
        "responsibilities",
        (
            _c("activity", Kind.TEXT, True, "activity"),
            _c("account_id", Kind.ID, description="blank = programme", ref=ACCOUNT),
        ),
        key=("account_id", "activity", "role"),
        description="The RACI matrix: one column per role or member.",
        account_scoped=True,
        wide=True,
        wide_name="role",
        wide_value=_c(
            "code",
            Kind.ENUM,
            description="R, A, C, I or A/R",
            choices=("R", "A", "C", "I", "A/R"),
        ),
    ),
    Sheet(
        "Charter",
        "charter",
        (
            _c(
                "account_id",
                Kind.ID,
                description="blank = programme charter",
                ref=ACCOUNT,
            ),
            _c("section", Kind.ID, True, "section"),
            _c("field", Kind.ID, True, "field"),
            _c("value", Kind.TEXT, description="value"),
            _c("owner", Kind.ID, description="owner (a Team.member_id)", ref=MEMBER),
            _c("reviewed_on", Kind.DATE, description="last review"),
        ),
        key=("account_id", "section", "field"),
        description="The KAM charter and account plans, one row per field.",
        account_scoped=True,
    ),
    Sheet(
        "Objectives",
        "objectives",
        (
            _c("objective_id", Kind.ID, True, "objective id"),
            _c("account_id", Kind.ID, description="the account", ref=ACCOUNT),
            _c("objective", Kind.TEXT, True, "objective"),
            _c("metric", Kind.TEXT, description="metric"),
            _c("target", Kind.NUMBER, description="target value"),
            _c("due", Kind.DATE, description="due date"),
            _c("owner", Kind.ID, description="owner (a Team.member_id)", ref=MEMBER),
            _c(
                "status",
                Kind.ENUM,
                description="status",
                choices=("open", "on_track", "at_risk", "done", "dropped"),
            ),
        ),
        key=("objective_id",),
        description="Objectives of the programme and of each account.",
        account_scoped=True,
    ),
)

#: Sheets by name, in contract order (referenced sheets before referencing ones is
#: not guaranteed; use :data:`SHEET_ORDER` for writes).
SHEETS: dict[str, Sheet] = {s.name: s for s in _SHEETS}

#: An order in which every referenced sheet comes before the sheets that refer to it
#: (self-references aside): insert in this order, delete in reverse.
SHEET_ORDER: tuple[str, ...] = (
    "Settings",
    "Team",
    "Products",
    "Accounts",
    "Criteria",
    "HealthModel",
    "Units",
    "Stakeholders",
    "Revenue",
    "MRR",
    "Profit",
    "Scores",
    "Surveys",
    "Onboarding",
    "Signals",
    "Risks",
    "AccountTeam",
    "Influences",
    "Touchpoints",
    "Coverage",
    "Tasks",
    "Responsibilities",
    "Charter",
    "Objectives",
)

#: Known keys of the Settings sheet and their defaults (as text, as in the sheet).
SETTINGS_DEFAULTS: dict[str, str] = {
    "company": "",
    "currency": "USD",
    "fiscal_year_start": "1",
    "pareto_threshold": "0.80",
    "abc_cutoffs": "0.80,0.95",
    "renewal_window_days": "90",
    "as_of": "",
}

MONEY_QUANTUM = Decimal("0.01")

#: The template's explanation sheet: written by the template, skipped on import.
INSTRUCTIONS_SHEET = "Instructions"


class Table:
    """The canonical rows of one sheet, held column by column.

    Columnar so that millions of MRR rows fit in memory (equal values can share one
    object). ``columns`` are the store columns of the sheet (:func:`store_columns`),
    :data:`EXTRA` last.
    """

    __slots__ = ("columns", "data")

    def __init__(
        self,
        columns: Sequence[str],
        data: Mapping[str, list[object]] | None = None,
    ) -> None:
        self.columns: tuple[str, ...] = tuple(columns)
        self.data: dict[str, list[object]] = {c: [] for c in self.columns}
        if data is not None:
            lengths = {len(data[c]) for c in self.columns}
            if len(lengths) > 1:
                raise ValueError("columns of a Table must have equal lengths")
            self.data = {c: list(data[c]) for c in self.columns}

    @classmethod
    def for_sheet(cls, sheet_name: str) -> Table:
        return cls(store_columns(SHEETS[sheet_name]))

    @classmethod
    def from_rows(
        cls, columns: Sequence[str], rows: Iterable[Mapping[str, object]]
    ) -> Table:
        t = cls(columns)
        for r in rows:
            t.append(r)
        return t

    def __len__(self) -> int:
        return len(self.data[self.columns[0]]) if self.columns else 0

    def append(self, row: Mapping[str, object]) -> None:
        """Add one row; a missing column is ``None`` (``{}`` for :data:`EXTRA`)."""
        for c in self.columns:
            self.data[c].append(row.get(c, {} if c == EXTRA else None))

    def column(self, name: str) -> list[object]:
        return self.data[name]

    def rows(self) -> Iterator[Row]:
        cols = [self.data[c] for c in self.columns]
        for values in zip(*cols, strict=True):
            yield dict(zip(self.columns, values, strict=True))

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Table)
            and self.columns == other.columns
            and self.data == other.data
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Table({len(self)} rows, columns={list(self.columns)})"


def store_columns(s: Sheet) -> tuple[str, ...]:
    """Canonical columns of a sheet's rows: long form for wide sheets, then extra."""
    names = list(s.column_names)
    if s.wide and s.wide_value is not None:
        names += [s.wide_name, s.wide_value.name]
    return (*names, EXTRA)


@dataclass
class Portfolio:
    """A validated portfolio: one :class:`Table` per sheet name.

    A sheet is present in the file when its name is a key of ``tables`` (it may have
    no rows). ``warnings`` are notices that did not block (summed duplicates,
    ignored sheets, rounded money).
    """

    tables: dict[str, Table] = field(default_factory=dict)
    warnings: list[Problem] = field(default_factory=list)

    def table(self, sheet_name: str) -> Table:
        """The sheet's table (an empty one when the sheet is absent)."""
        found = self.tables.get(sheet_name)
        return found if found is not None else Table.for_sheet(sheet_name)

    def rows(self, sheet_name: str) -> Iterator[Row]:
        return self.table(sheet_name).rows()

    def __contains__(self, sheet_name: object) -> bool:
        return sheet_name in self.tables


def sheet(name: str) -> Sheet:
    """The sheet called ``name`` (matching ignores case and surrounding spaces)."""
    wanted = name.strip().casefold()
    for s in _SHEETS:
        if s.name.casefold() == wanted:
            return s
    raise KeyError(name)


assert set(SHEET_ORDER) == set(SHEETS), "SHEET_ORDER must list every sheet"
