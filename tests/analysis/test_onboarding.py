"""Onboarding (analyses.md §4): current stage, days in stage and overdue by hand."""

from __future__ import annotations

from datetime import date

import ibis
import pytest

from kam.analysis.onboarding import onboarding_status
from kam.analysis.registry import run
from kam.errors import MissingDataError
from tests.analysis.golden import arrow_table

D = date


def _status(rows: list[tuple[object, ...]], day: date) -> dict[str, dict[str, object]]:
    result = onboarding_status(
        ibis.memtable(arrow_table("onboarding", rows)), as_of=day
    )
    return {str(r["account_id"]): r for r in result.rows}


def test_overdue_means_past_target_and_not_complete() -> None:
    target = D(2024, 3, 1)
    rows = [
        ("LATE", "setup", D(2024, 2, 1), target, "M", None),
        ("DONE", "adoption", D(2024, 2, 1), target, "M", D(2024, 3, 15)),
        ("ONTIME", "complete", D(2024, 2, 20), target, "M", D(2024, 2, 20)),
        ("TODAY", "setup", D(2024, 2, 1), D(2024, 4, 1), "M", None),
        ("NOTARGET", "setup", D(2024, 2, 1), None, "M", None),
    ]
    rows_by_id = _status(rows, D(2024, 4, 1))
    # LATE: 31 days past its target (1 March → 1 April), 60 days in setup.
    assert rows_by_id["LATE"]["overdue"] is True
    assert rows_by_id["LATE"]["days_overdue"] == 31
    assert rows_by_id["LATE"]["days_in_stage"] == 60
    # DONE: completed_on before as_of makes it complete even in adoption.
    assert rows_by_id["DONE"]["complete"] is True
    assert rows_by_id["DONE"]["overdue"] is False
    assert rows_by_id["ONTIME"]["overdue"] is False
    # A target on as_of is not yet past; no target is never overdue.
    assert rows_by_id["TODAY"]["overdue"] is False
    assert rows_by_id["NOTARGET"]["overdue"] is False
    assert rows_by_id["NOTARGET"]["days_overdue"] is None


def test_current_stage_is_the_latest_entered_by_as_of() -> None:
    rows = [
        ("X", "kickoff", D(2024, 1, 1), D(2024, 6, 1), "M1", None),
        ("X", "setup", D(2024, 1, 15), D(2024, 6, 1), "M2", None),
        ("X", "first_value", D(2024, 5, 1), D(2024, 6, 1), "M3", None),
    ]
    x = _status(rows, D(2024, 3, 1))["X"]
    # 15 January → 1 March 2024: 16 + 29 + 1 = 46 days.
    assert (x["stage"], x["days_in_stage"], x["owner"]) == ("setup", 46, "M2")
    assert _status(rows, D(2024, 5, 1))["X"]["stage"] == "first_value"
    assert _status(rows, D(2023, 12, 31)) == {}


def test_summary_and_funnel_count_accounts_per_stage() -> None:
    rows = [
        ("A", "kickoff", D(2024, 1, 1), D(2024, 2, 1), "M", None),
        ("B", "kickoff", D(2024, 1, 1), D(2024, 9, 1), "M", None),
        ("C", "complete", D(2024, 1, 1), D(2024, 2, 1), "M", D(2024, 1, 1)),
    ]
    result = onboarding_status(
        ibis.memtable(arrow_table("onboarding", rows)), as_of=D(2024, 3, 1)
    )
    assert result.summary["overdue"] == 1
    assert result.summary["complete"] == 1
    assert result.summary["in_progress"] == 2
    funnel = {
        s["stage"]: (s["accounts"], s["overdue"]) for s in result.tables["stages"]
    }
    assert funnel == {
        "kickoff": (2, 1),
        "setup": (0, 0),
        "first_value": (0, 0),
        "adoption": (0, 0),
        "complete": (1, 0),
    }
    assert [r["account_id"] for r in result.rows] == ["A", "B", "C"]


def test_onboarding_names_the_missing_sheet() -> None:
    with pytest.raises(MissingDataError, match="Onboarding"):
        run("onboarding", {})
