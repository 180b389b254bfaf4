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
