"""`kam people export` and `kam people erase` end to end on a SQLite store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kam.cli import main
from kam.store.repository import Store
from tests.store.helpers import accounts, portfolio


def _store(url: str) -> None:
    store = Store(url)
    store.upgrade()
    store.import_portfolio(
        portfolio(
            Accounts=accounts("A1"),
            Stakeholders=[
                {
                    "stakeholder_id": "S1",
                    "account_id": "A1",
                    "name": "Rosa Quill",
                    "decision_power": 4,
                    "attitude": 0,
                    "email": "rosa@quill.example",
                    "phone": "555-0199",
                }
            ],
        )
    )
    store.dispose()


def test_export_prints_the_row_and_erase_needs_yes(
    tmp_path: Path, sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _store(sqlite_url)
    assert main(["people", "export", "S1", "-d", sqlite_url]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["stakeholder"]["email"] == "rosa@quill.example"

    assert main(["people", "erase", "S1", "-d", sqlite_url]) == 1
    assert "--yes" in capsys.readouterr().err
    assert main(["people", "export", "S1", "-d", sqlite_url]) == 0
    assert "Rosa Quill" in capsys.readouterr().out

    assert main(["people", "erase", "S1", "--yes", "-d", sqlite_url]) == 0
    assert "Erased person 1" in capsys.readouterr().out
    assert main(["people", "export", "S1", "-d", sqlite_url]) == 0
    after = json.loads(capsys.readouterr().out)
    assert after["stakeholder"]["name"] == "Erased person 1"
    assert after["stakeholder"]["email"] is None
    assert after["stakeholder"]["phone"] is None
    assert main(["people", "erase", "S9", "--yes", "-d", sqlite_url]) == 1
