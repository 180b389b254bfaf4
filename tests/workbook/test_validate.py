"""Validation rules, each with the exact problems it must report."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

import pytest

from kam.errors import Problem, WorkbookError
from kam.model import Portfolio
from kam.workbook.read import RawBook, RawSheet
from kam.workbook.validate import validate

ACCOUNTS = [["account_id", "name"], ["A1", "Acme"], ["A2", "Globex"]]


def book(ignored: Sequence[str] = (), **sheets: list[list[object]]) -> RawBook:
    raw = {
        name: RawSheet(name, [str(h) for h in rows[0]], rows[1:])
        for name, rows in sheets.items()
    }
    return RawBook("test.xlsx", raw, ignored)


def errors(raw: RawBook, **kw: object) -> list[Problem]:
    with pytest.raises(WorkbookError) as info:
        validate(raw, **kw)  # type: ignore[arg-type]
    return info.value.problems


def where(problems: list[Problem]) -> list[tuple[str | None, int | None, str | None]]:
    return [(p.sheet, p.row, p.column) for p in problems]


def test_a_valid_book_gives_canonical_tables() -> None:
    p = validate(
        book(
            Accounts=[
                ["Account_ID ", "name", "status", "key_account", "customer_since"],
                ["A1", "Acme", "", "x", dt.datetime(2020, 5, 1)],
                ["A2", "Globex", "Churned", "no", "2019-01-31"],
            ]
        )
    )
    rows = list(p.rows("Accounts"))
    assert rows[0]["account_id"] == "A1"
    assert rows[0]["status"] == "active"
    assert rows[0]["key_account"] is True
    assert rows[0]["customer_since"] == dt.date(2020, 5, 1)
    assert rows[1]["status"] == "churned"
    assert rows[1]["industry"] is None
    assert rows[1]["extra"] == {}
    assert p.warnings == []


def test_accounts_sheet_is_required() -> None:
    problems = errors(book(Products=[["product"], ["P1"]]))
    assert where(problems) == [("Accounts", None, None)]
    assert problems[0].message == "the Accounts sheet is required"


def test_accounts_sheet_may_be_absent_when_the_store_has_accounts() -> None:
    raw = book(
        MRR=[["account_id", "month", "plan", "mrr"], ["A1", "2024-01", "pro", 10]]
    )
    p = validate(raw, known={("Accounts", "account_id"): {"A1"}})
    assert p.table("MRR").column("mrr") == [Decimal("10.00")]


def test_missing_required_column_is_reported_on_the_header_row() -> None:
    problems = errors(book(Accounts=[["account_id"], ["A1"]]))
    assert where(problems) == [("Accounts", 1, "name")]
    assert problems[0].message == "the required column 'name' is missing"


def test_duplicate_header_is_an_error_even_in_another_case() -> None:
    problems = errors(
        book(Accounts=[["account_id", "name", "Name "], ["A1", "x", "y"]])
    )
    assert where(problems) == [("Accounts", 1, "Name")]
    assert problems[0].message == "duplicate header 'Name' (also column B)"


def test_extra_columns_are_kept_as_text_without_validation() -> None:
    p = validate(
        book(
            Accounts=[
                ["account_id", "name", "CRM id", "Note"],
                ["A1", "Acme", 1234.0, ""],
                ["A2", "Globex", "", "call back"],
            ]
        )
    )
    assert p.table("Accounts").column("extra") == [
        {"CRM id": "1234"},
        {"Note": "call back"},
    ]


def test_whitespace_variants_of_an_id_are_duplicates() -> None:
    problems = errors(
        book(Accounts=[["account_id", "name"], ["A1", "x"], [" A1 ", "y"]])
    )
    assert [str(p) for p in problems] == [
        "Accounts, row 2, column account_id: duplicate account_id 'A1' (also in row 3)",
        "Accounts, row 3, column account_id: duplicate account_id 'A1' (also in row 2)",
    ]


def test_duplicate_revenue_rows_are_summed_with_a_warning() -> None:
    p = validate(
        book(
            Accounts=ACCOUNTS,
            Revenue=[
                ["account_id", "period", "product", "amount"],
                ["A1", "2024", "", 100.0],
                ["A2", "2024", "", 5.0],
                ["A1", 2024.0, "", "20.5"],
            ],
        )
    )
    t = p.table("Revenue")
    assert t.column("account_id") == ["A1", "A2"]
    assert t.column("amount") == [Decimal("120.50"), Decimal("5.00")]
    assert [(w.sheet, w.row, w.severity) for w in p.warnings] == [
        ("Revenue", 2, "warning")
    ]
    assert "rows 2, 4" in p.warnings[0].message
    assert "summed" in p.warnings[0].message


def test_keyless_sheet_allows_identical_rows() -> None:
    survey = ["A1", "2024-01-10", "NPS", 9.0]
    p = validate(
        book(
            Accounts=ACCOUNTS,
            Surveys=[
                ["account_id", "answered_on", "instrument", "score"],
                survey,
                survey,
            ],
        )
    )
    assert len(p.table("Surveys")) == 2


def test_dangling_reference_names_the_sheet_row_and_column() -> None:
    revenue: list[list[object]] = [["account_id", "period", "amount"]]
    revenue += [["A1", "2024", 1.0]] * 5 + [["A9", "2024-Q1", 2.0]]
    problems = errors(book(Accounts=ACCOUNTS, Revenue=revenue))
    assert [str(p) for p in problems] == [
        "Revenue, row 7, column account_id: "
        "'A9' is not an account of the Accounts sheet"
    ]


def test_references_may_point_at_stored_ids() -> None:
    raw = book(
        Accounts=ACCOUNTS,
        MRR=[["account_id", "month", "plan", "mrr"], ["A7", "2024-01", "pro", 1.0]],
    )
    p = validate(raw, known={("Accounts", "account_id"): {"A7"}})
    assert p.table("MRR").column("account_id") == ["A7"]


def test_product_reference_is_checked_only_when_products_are_in_the_file() -> None:
    mrr = [["account_id", "month", "plan", "mrr"], ["A1", "2024-01", "pro", 1.0]]
    assert len(validate(book(Accounts=ACCOUNTS, MRR=mrr)).table("MRR")) == 1
    problems = errors(
        book(Accounts=ACCOUNTS, MRR=mrr, Products=[["product"], ["basic"]])
    )
    assert where(problems) == [("MRR", 2, "plan")]
    assert problems[0].message == "'pro' is not a product of the Products sheet"


def test_a_reference_to_an_absent_sheet_is_one_problem_per_column() -> None:
    raw = book(
        Accounts=[["account_id", "name", "owner"], ["A1", "x", "M1"], ["A2", "y", "M2"]]
    )
    problems = errors(raw)
    assert where(problems) == [("Accounts", 2, "owner")]
    assert "refers to the Team sheet, which the workbook does not have" in (
        problems[0].message
    )


def test_reports_to_cycle_names_ids_and_rows() -> None:
    problems = errors(
        book(
            Accounts=ACCOUNTS,
            Stakeholders=[
                [
                    "stakeholder_id",
                    "account_id",
                    "name",
                    "reports_to",
                    "decision_power",
                    "attitude",
                ],
                ["S0", "A1", "Boss", "", 5, 0],
                ["S1", "A1", "Ann", "S2", 3, 1],
                ["S2", "A1", "Bob", "S1", 3, 1],
                ["S3", "A1", "Cy", "S1", 2, 0],
            ],
        )
    )
    assert [str(p) for p in problems] == [
        "Stakeholders, row 3, column reports_to: "
        "reports-to cycle: S1 → S2 → S1 (rows 3, 4)"
    ]


def test_account_parent_cycle_and_unit_self_parent_are_errors() -> None:
    problems = errors(
        book(
            Accounts=[
                ["account_id", "name", "parent_account_id"],
                ["A1", "x", "A3"],
                ["A2", "y", "A1"],
                ["A3", "z", "A2"],
            ],
            Units=[
                ["unit_id", "account_id", "name", "parent_unit_id"],
                ["U1", "A1", "HQ", "U1"],
            ],
        )
    )
    assert [p.message for p in problems] == [
        "parent-account cycle: A1 → A3 → A2 → A1 (rows 2, 3, 4)",
        "parent-unit cycle: U1 → U1 (row 2)",
    ]
    assert where(problems) == [
        ("Accounts", 2, "parent_account_id"),
        ("Units", 2, "parent_unit_id"),
    ]


def test_criteria_weights_of_a_section_sum_to_one_or_to_a_hundred() -> None:
    problems = errors(
        book(
            Accounts=ACCOUNTS,
            Criteria=[
                ["criterion_id", "section", "name", "weight"],
                ["G1", "growth", "size", 0.5],
                ["H1", "harmony", "fit", 60.0],
                ["G2", "growth", "share", 0.4],
                ["H2", "harmony", "trust", 40.0],
                ["V1", "value_creation", "value", 0.1],
                ["V2", "value_creation", "more value", 0.2],
                ["V3", "value_creation", "most value", 0.7],
            ],
        )
    )
    assert where(problems) == [("Criteria", 2, "weight")]
    assert problems[0].message == (
        "the weights of section growth sum to 0.9; they must sum to 1 or to 100 "
        "(rows 2, 4)"
    )


def test_scores_one_per_rater_and_in_range() -> None:
    scores: list[list[object]] = [["account_id", "criterion_id", "score", "rater"]]
    scores += [
        ["A1", "C1", 5.0, "ann"],
        ["A1", "C1", 6.0, "bob"],
        ["A2", "C1", 7.0, "ann"],
    ]
    scores += [["A2", "C1", 8.0, "ann"]]
    raw = book(
        Accounts=ACCOUNTS,
        Criteria=[
            ["criterion_id", "section", "name", "weight"],
            ["C1", "growth", "g", 1.0],
        ],
        Scores=scores,
    )
    problems = errors(raw)
    assert where(problems) == [
        ("Scores", 4, "account_id, criterion_id, rater"),
        ("Scores", 5, "account_id, criterion_id, rater"),
    ]
    assert problems[0].message == (
        "duplicate (account_id, criterion_id, rater) ('A2', 'C1', 'ann')"
        " (also in row 5)"
    )


def test_score_outside_one_to_ten_reads_as_a_sentence() -> None:
    raw = book(
        Accounts=ACCOUNTS,
        Criteria=[
            ["criterion_id", "section", "name", "weight"],
            ["C1", "growth", "g", 1.0],
        ],
    )
    raw.sheets["Scores"] = RawSheet(
        "Scores",
        ["account_id", "criterion_id", "score"],
        [["A1", "C1", 12.0]],
        [14],
    )
    problems = errors(raw)
    assert [str(p) for p in problems] == [
        "Scores, row 14, column score: 12 is outside 1–10"
    ]
    assert problems[0].value == "12"
    assert problems[0].expected == "a number from 1 to 10"


def test_predecessors_are_parsed_and_must_name_tasks() -> None:
    head = ["task_id", "name", "duration_days", "predecessors"]
    problems = errors(
        book(
            Accounts=ACCOUNTS,
            Tasks=[
                head,
                ["T1", "kick-off", 0, ""],
                ["T2", "design", 5, "T1"],
                ["T3", "build", 10, "T1 FS+2; T2 ss-1"],
                ["T4", "test", 3, "T2 FF, T3 SF+0"],
                ["T5", "go", 0, "T9"],
                ["T6", "bad", 1, "T1 XY"],
                ["T7", "bad lag", 1, "T1 FS+1.5"],
            ],
        )
    )
    assert where(problems) == [
        ("Tasks", 6, "predecessors"),
        ("Tasks", 7, "predecessors"),
        ("Tasks", 8, "predecessors"),
    ]
    assert problems[0].message == "'T9' is not a task of the Tasks sheet"


def test_cost_to_serve_is_the_sum_of_its_parts() -> None:
    head = [
        "account_id",
        "period",
        "net_revenue",
        "cost_to_serve",
        "cts_presale",
        "cts_postsale",
    ]
    p = validate(
        book(
            Accounts=ACCOUNTS,
            Profit=[
                head,
                ["A1", "2024", 100.0, "", 10.0, 2.5],
                ["A2", "2024", 50.0, 7.0, "", ""],
            ],
        )
    )
    assert p.table("Profit").column("cost_to_serve") == [
        Decimal("12.50"),
        Decimal("7.00"),
    ]
    problems = errors(
        book(Accounts=ACCOUNTS, Profit=[head, ["A1", "2024", 100.0, 13.0, 10.0, 2.5]])
    )
    assert where(problems) == [("Profit", 2, "cost_to_serve")]
    assert (
        problems[0].message
        == "cost_to_serve 13.00 differs from the sum of its parts, 12.50"
    )


def test_survey_scales_depend_on_the_instrument() -> None:
    head = ["account_id", "answered_on", "instrument", "score"]
    problems = errors(
        book(
            Accounts=ACCOUNTS,
            Surveys=[
                head,
                ["A1", "2024-01-01", "NPS", 0.0],
                ["A1", "2024-01-01", "NPS", 10.0],
                ["A1", "2024-01-01", "CSAT", 5.0],
                ["A1", "2024-01-01", "CSAT", 6.0],
                ["A1", "2024-01-01", "nps", 11.0],
                ["A1", "2024-01-01", "CSAT", 0.0],
            ],
        )
    )
    assert [(p.row, p.message) for p in problems] == [
        (5, "6 is outside 1–5 (CSAT)"),
        (6, "11 is outside 0–10"),
        (7, "0 is outside 1–5 (CSAT)"),
    ]


def test_health_model_good_and_poor_must_differ() -> None:
    problems = errors(
        book(
            Accounts=ACCOUNTS,
            HealthModel=[
                ["signal", "weight", "good", "poor"],
                ["logins", 1.0, 100.0, 0.0],
                ["tickets", 1.0, 5.0, 5.0],
            ],
        )
    )
    assert where(problems) == [("HealthModel", 3, "good")]


def test_row_currency_must_be_the_workspace_currency() -> None:
    accounts = [
        ["account_id", "name", "currency"],
        ["A1", "x", "usd"],
        ["A2", "y", "EUR"],
    ]
    problems = errors(book(Accounts=accounts))
    assert [str(p) for p in problems] == [
        "Accounts, row 3, column currency: "
        "'EUR' differs from the workspace currency USD"
    ]
    eur = errors(book(Accounts=accounts), currency="EUR")
    assert where(eur) == [("Accounts", 2, "currency")]
    settings = [["key", "value"], ["currency", "EUR"]]
    via_settings = errors(book(Accounts=accounts, Settings=settings))
    assert where(via_settings) == [("Accounts", 2, "currency")]


def test_settings_values_are_checked_and_unknown_keys_warned() -> None:
    problems = errors(
        book(
            Accounts=ACCOUNTS,
            Settings=[
                ["key", "value"],
                ["currency", "US"],
                ["fiscal_year_start", 13.0],
                ["pareto_threshold", "1"],
                ["abc_cutoffs", "0.95,0.80"],
                ["renewal_window_days", "-1"],
                ["as_of", "2024-02-30"],
                ["colour", "blue"],
            ],
        )
    )
    assert where(problems) == [("Settings", r, "value") for r in range(2, 8)]
    assert problems[3].message == (
        "setting abc_cutoffs: '0.95,0.80' is not two increasing numbers between 0 and 1"
    )


def test_good_settings_become_canonical_text() -> None:
    p = validate(
        book(
            Accounts=ACCOUNTS,
            Settings=[
                ["key", "value"],
                ["Currency", "eur"],
                ["fiscal_year_start", 4.0],
                ["as_of", dt.datetime(2024, 3, 31)],
                ["colour", "blue"],
            ],
        ),
    )
    t = p.table("Settings")
    assert t.column("key") == ["currency", "fiscal_year_start", "as_of", "colour"]
    assert t.column("value") == ["EUR", "4", "2024-03-31", "blue"]
    assert [(w.row, w.column) for w in p.warnings] == [(5, "key")]


def test_ignored_sheets_are_warnings() -> None:
    p = validate(book(ignored=["Notes"], Accounts=ACCOUNTS))
    assert [w.message for w in p.warnings] == [
        "sheet 'Notes' is not part of the kam workbook; it was ignored"
    ]


def test_money_rounding_is_one_warning_per_column() -> None:
    p = validate(
        book(
            Accounts=ACCOUNTS,
            Revenue=[
                ["account_id", "period", "amount"],
                ["A1", "2024-01", 1.005],
                ["A1", "2024-02", "2.001"],
                ["A1", "2024-03", 3.0],
            ],
        )
    )
    assert [(w.sheet, w.row, w.column) for w in p.warnings] == [
        ("Revenue", 2, "amount")
    ]
    assert p.warnings[0].message.startswith("2 amounts had more than 2 decimals")


def test_responsibilities_matrix_becomes_long_rows() -> None:
    p = validate(
        book(
            Accounts=ACCOUNTS,
            Responsibilities=[
                ["Activity", "account_id", "KAM", "Sponsor", "Legal"],
                ["account plan", "A1", "a/r", "C", ""],
                ["QBR", "", "r", "R/A", "i"],
                ["charter", "", "", "", ""],
            ],
        )
    )
    rows = [
        (r["activity"], r["account_id"], r["role"], r["code"])
        for r in p.rows("Responsibilities")
    ]
    assert rows == [
        ("account plan", "A1", "KAM", "A/R"),
        ("account plan", "A1", "Sponsor", "C"),
        ("QBR", None, "KAM", "R"),
        ("QBR", None, "Sponsor", "A/R"),
        ("QBR", None, "Legal", "I"),
        ("charter", None, "", None),
    ]


def test_responsibilities_codes_and_duplicate_activities_are_checked() -> None:
    problems = errors(
        book(
            Accounts=ACCOUNTS,
            Responsibilities=[
                ["activity", "account_id", "KAM"],
                ["QBR", "A1", "X"],
                ["QBR", "A1", "R"],
                ["QBR", "", "R"],
            ],
        )
    )
    assert where(problems) == [
        ("Responsibilities", 2, "KAM"),
        ("Responsibilities", 3, "activity"),
    ]
    assert problems[0].message == "'X' is not one of R, A, C, I, A/R"
    assert (
        problems[1].message
        == "activity 'QBR' of account 'A1' appears twice (also in row 2)"
    )


def test_every_bad_cell_is_reported_at_once() -> None:
    problems = errors(
        book(
            Accounts=[
                ["account_id", "name", "status", "customer_since"],
                ["A1", "", "active", "2024-01-01"],
                ["A2", "y", "gone", "2024-13-01"],
            ]
        )
    )
    assert where(problems) == [
        ("Accounts", 2, "name"),
        ("Accounts", 3, "customer_since"),
        ("Accounts", 3, "status"),
    ]
    assert problems[2].value == "gone"
    assert problems[2].expected == "one of active, churned, prospect"


def test_problem_list_is_capped_with_a_count_of_the_rest() -> None:
    rows: list[list[object]] = [["account_id", "name"]]
    rows += [[f"A{i}", ""] for i in range(12_000)]
    with pytest.raises(WorkbookError) as info:
        validate(book(Accounts=rows))
    problems = info.value.problems
    assert len(problems) == 10_000
    assert problems[-1].message == "… and 2001 more problems, not listed"
    assert str(info.value) == "test.xlsx has 12000 errors (10000 problems)"


def test_validate_returns_a_portfolio_with_only_present_sheets() -> None:
    p = validate(book(Accounts=ACCOUNTS))
    assert isinstance(p, Portfolio)
    assert list(p.tables) == ["Accounts"]
