"""The registry: parameters from text, settings as defaults, needed sheets, results."""

from __future__ import annotations

import json
from datetime import date

import ibis
import pytest

from kam.analysis.registry import REGISTRY, get, run
from kam.errors import MissingDataError, NotFoundError, ParameterError
from tests.analysis.golden import make_table

CON = ibis.duckdb.connect()
WORKED = [400, 250, 120, 80, 50, 40, 25, 20, 10, 5]


@pytest.fixture(scope="module")
def tables() -> dict[str, ibis.Table]:
    revenue = [(f"A{i:02d}", "2024", "P1", v) for i, v in enumerate(WORKED, 1)]
    accounts = [(f"A{i:02d}", f"Account {i}", "active") for i in range(1, 11)]
    return {
        "revenue": make_table(CON, "revenue", revenue),
        "accounts": make_table(CON, "accounts", accounts),
    }


def param(analysis: str, name: str):  # type: ignore[no-untyped-def]
    return REGISTRY[analysis].parameter(name)


def test_pareto_and_abc_are_registered() -> None:
    assert set(REGISTRY) >= {"pareto", "abc"}
    assert get("abc").title == "ABC (multi-year)"


def test_an_unknown_analysis_lists_the_known_ones() -> None:
    # The known names come sorted: abc first, pareto among them.
    with pytest.raises(NotFoundError, match=r"known: abc, (\w+, )*pareto, "):
        get("paretto")


@pytest.mark.parametrize(
    ("analysis", "name", "text", "value"),
    [
        ("pareto", "threshold", "0.9", 0.9),
        ("pareto", "threshold", " 0.5 ", 0.5),
        ("pareto", "include_zero", "no", False),
        ("pareto", "include_zero", "Yes", True),
        ("pareto", "metric", "MRR", "mrr"),
        ("pareto", "period_from", "2024-q1", "2024-Q1"),
        ("pareto", "as_of", "2024-12-31", date(2024, 12, 31)),
        ("pareto", "fiscal_year_start", "7", 7),
        ("abc", "cutoffs", "0.7, 0.9", (0.7, 0.9)),
        ("abc", "cutoffs", [0.6, 0.9], (0.6, 0.9)),
        ("abc", "grain", "quarter", "quarter"),
    ],
)
def test_parameters_parse_text_and_values(
    analysis: str, name: str, text: object, value: object
) -> None:
    assert param(analysis, name).parse(text) == value


@pytest.mark.parametrize(
    ("analysis", "name", "text", "message"),
    [
        (
            "pareto",
            "threshold",
            "1.5",
            r"parameter threshold: '1.5' is outside .*\(0, 1\)",
        ),
        ("pareto", "threshold", "0", r"parameter threshold: .*\(0, 1\)"),
        ("pareto", "threshold", "much", "parameter threshold: 'much' is not a number"),
        ("pareto", "include_zero", "maybe", "parameter include_zero: .*true or false"),
        ("pareto", "metric", "margin", "parameter metric: .*one of revenue, mrr"),
        ("pareto", "fiscal_year_start", "13", "parameter fiscal_year_start: .*1 to 12"),
        ("pareto", "fiscal_year_start", "6.5", "parameter fiscal_year_start"),
        ("pareto", "as_of", "31/12/2024", r"parameter as_of: .*YYYY-MM-DD"),
        ("pareto", "period_to", "2024-13", "parameter period_to: .*YYYY-Qn"),
        ("abc", "cutoffs", "0.95,0.8", "parameter cutoffs: .*must increase"),
        ("abc", "cutoffs", "0.8", "parameter cutoffs: .*2 numbers"),
        ("abc", "cutoffs", "0.8,1", r"parameter cutoffs: .*\(0, 1\)"),
        ("abc", "boundary", "lower", "parameter boundary: .*upper, strict"),
    ],
)
def test_bad_parameters_name_the_parameter_and_accepted_range(
    analysis: str, name: str, text: str, message: str
) -> None:
    with pytest.raises(ParameterError, match=message):
        param(analysis, name).parse(text)


def test_run_uses_built_in_defaults(tables: dict[str, ibis.Table]) -> None:
    result = run("pareto", tables, {})
    assert result.parameters["threshold"] == 0.80
    assert result.summary["k"] == 4


def test_workbook_settings_become_defaults_and_parameters_win(
    tables: dict[str, ibis.Table],
) -> None:
    settings = {"pareto_threshold": "0.9", "company": "ignored", "as_of": ""}
    from_settings = run("pareto", tables, {}, defaults=settings)
    assert from_settings.parameters["threshold"] == 0.9
    # Cumulative shares .85 then .90: k = 5 at 90 %.
    assert from_settings.summary["k"] == 5
    given = run("pareto", tables, {"threshold": "0.7"}, defaults=settings)
    assert given.summary["k"] == 3


def test_abc_cut_offs_come_from_the_settings(tables: dict[str, ibis.Table]) -> None:
    result = run("abc", tables, {}, defaults={"abc_cutoffs": "0.5,0.9"})
    # Before-shares 0, .40, .65, .77, .85, .90: A while < .5, B while < .9.
    assert result.summary["classes"] == {"A": 2, "B": 3, "C": 5}


def test_an_unknown_parameter_is_a_parameter_error(
    tables: dict[str, ibis.Table],
) -> None:
    with pytest.raises(ParameterError, match="pareto has no such parameter"):
        run("pareto", tables, {"treshold": "0.9"})


def test_a_missing_sheet_is_named_with_the_metric(
    tables: dict[str, ibis.Table],
) -> None:
    with pytest.raises(MissingDataError) as info:
        run("pareto", {"accounts": tables["accounts"]}, {})
    assert str(info.value) == "pareto needs the Revenue sheet (metric=revenue)"
    with pytest.raises(MissingDataError, match="abc needs the MRR sheet"):
        run("abc", tables, {"metric": "mrr"})


@pytest.mark.parametrize("name", ["pareto", "abc"])
def test_rows_have_exactly_the_registered_output_columns(
    name: str, tables: dict[str, ibis.Table]
) -> None:
    result = run(name, tables, {})
    columns = [c for c, _ in REGISTRY[name].output_columns]
    assert all(list(row) == columns for row in result.rows)


def test_results_are_json(tables: dict[str, ibis.Table]) -> None:
    data = json.loads(run("pareto", tables, {"as_of": "2025-01-15"}).to_json())
    assert list(data) == ["analysis", "parameters", "summary", "rows", "warnings"]
    assert data["parameters"]["as_of"] == "2025-01-15"
    assert data["summary"]["total"] == "1000.00"
    assert data["rows"][0]["value"] == "400.00"
    assert data["rows"][0]["name"] == "Account 1"


def test_every_parameter_default_parses_as_itself() -> None:
    for analysis in REGISTRY.values():
        for p in analysis.parameters:
            assert p.help
            if p.default is not None:
                assert p.parse(p.default) == p.default, (analysis.name, p.name)
