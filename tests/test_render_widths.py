"""Tables printed in a narrow terminal keep every number and id whole."""

from __future__ import annotations

import io
from decimal import Decimal

from rich.console import Console

from kam.analysis.result import AnalysisResult
from kam.render import print_result


def test_numbers_and_ids_are_never_cut_in_a_narrow_console() -> None:
    result = AnalysisResult(
        analysis="pareto",
        parameters={},
        summary={"headline": "1 of 1 accounts (100 %) make 100.0 % of revenue"},
        rows=[
            {
                "rank": 1,
                "account_id": "ACCOUNT-000123",
                "name": "A hospital system with a long and winding name",
                "value": Decimal("6097816.00"),
                "share": 1.0,
            }
        ],
    )
    buffer = io.StringIO()
    console = Console(file=buffer, width=60, no_color=True)
    print_result(
        result, console, columns=["rank", "account_id", "name", "value", "share"]
    )
    text = buffer.getvalue()
    assert "6,097,816.00" in text
    assert "ACCOUNT-000123" in text
    assert "100.0 %" in text


def test_columns_that_do_not_fit_are_left_out_and_named_instead_of_squeezed() -> None:
    # 12 money columns of "1,467,463.00" (12 characters, 15 with padding and border)
    # cannot all fit 100 characters: 1 + 15 (month "2026-10" is 7 + 3 = 10) ...
    # month (10) + five money columns (75) + left border (1) = 86 fits; a sixth would
    # make 101 > 100, so six columns are shown and the other seven are named.
    row: dict[str, object] = {"month": "2026-10"}
    row.update({f"m{i}": Decimal("1467463.00") for i in range(12)})
    result = AnalysisResult(
        analysis="mrr_bridge", parameters={}, summary={}, rows=[row]
    )
    buffer = io.StringIO()
    print_result(result, Console(file=buffer, width=100, no_color=True))
    text = buffer.getvalue()
    assert "2026-10" in text
    assert text.count("1,467,463.00") == 5
    assert "7 more columns do not fit this terminal: m5, m6, m7, m8, m9, m10, m11" in (
        text.replace("\n", " ")
    )


def test_shares_show_as_percents_whatever_their_suffix() -> None:
    from kam.render import cell_text

    # ABC's share of the accounts ranked before, as the other shares are shown.
    assert cell_text("cum_share_before", 0.005025) == "0.5 %"
    assert cell_text("cum_share", 0.8) == "80.0 %"
    assert cell_text("rank_pct", 0.25) == "25.0 %"
    # Money before a move stays money; other floats stay numbers.
    assert cell_text("value_before", 0.25) == "0.25"
