"""The command line end to end: template, demo, import, export, restore."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import xlsxwriter

from kam.cli import main
from kam.store.repository import Store


def _kam(*args: str) -> int:
    return main(list(args))


def _checksum(url: str) -> str:
    store = Store(url)
    try:
        store.upgrade()
        return store.checksum()
    finally:
        store.dispose()


def _write_book(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False})
    for name, rows in sheets.items():
        ws = wb.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value is not None:
                    ws.write(r, c, value)
    wb.close()
    return path


GOOD = {
    "Accounts": [["account_id", "name", "owner"], ["A1", "Alpha Health", None]],
    "Revenue": [
        ["account_id", "period", "amount"],
        ["A1", "2025-01", 1200.5],
        ["A1", "2025-02", 99.99],
    ],
}


def test_blank_template_checks_clean(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    book = tmp_path / "template.xlsx"
    assert _kam("template", str(book)) == 0
    assert _kam("import", "--check", str(book)) == 0
    assert "no problems" in capsys.readouterr().out


def test_import_then_reimport_changes_nothing(
    tmp_path: Path, sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    book = _write_book(tmp_path / "good.xlsx", GOOD)
    assert _kam("import", str(book), "-d", sqlite_url) == 0
    first = _checksum(sqlite_url)
    assert _kam("import", str(book), "-d", sqlite_url) == 0
    assert "unchanged" in capsys.readouterr().out
    assert _checksum(sqlite_url) == first


def test_bad_workbook_lists_every_problem_and_leaves_the_store_alone(
    tmp_path: Path, sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        _kam("import", str(_write_book(tmp_path / "g.xlsx", GOOD)), "-d", sqlite_url)
        == 0
    )
    before = _checksum(sqlite_url)
    bad = {
        "Accounts": [["account_id", "name"], ["A1", "Alpha Health"], ["A2", "Beta"]],
        "Revenue": [
            ["account_id", "period", "amount"],
            ["A1", "2025-01", -5],
            ["A9", "2025-01", 10],
            ["A2", "someday", 10],
        ],
    }
    problems = tmp_path / "problems.csv"
    code = _kam(
        "import",
        str(_write_book(tmp_path / "bad.xlsx", bad)),
        "-d",
        sqlite_url,
        "--problems",
        str(problems),
    )
    assert code == 1
    err = capsys.readouterr().err
    assert err.startswith("Error:")
    lines = problems.read_text(encoding="utf-8").splitlines()
    # header + exactly the three bad cells, each located by sheet, row and column
    assert len(lines) == 4
    located = {tuple(line.split(",")[1:4]) for line in lines[1:]}
    assert located == {
        ("Revenue", "2", "amount"),
        ("Revenue", "3", "account_id"),
        ("Revenue", "4", "period"),
    }
    assert _checksum(sqlite_url) == before


def test_export_imports_to_the_same_data(tmp_path: Path) -> None:
    first = f"sqlite:///{tmp_path / 'one.db'}"
    second = f"sqlite:///{tmp_path / 'two.db'}"
    demo_book = tmp_path / "demo.xlsx"
    assert _kam("demo", "--accounts", "60", "--out", str(demo_book)) == 0
    assert _kam("import", str(demo_book), "-d", first) == 0
    exported = tmp_path / "export.xlsx"
    assert _kam("export", str(exported), "-d", first) == 0
    assert _kam("import", str(exported), "-d", second) == 0
    assert _checksum(first) == _checksum(second)


def test_restore_brings_back_the_state_before_an_import(
    tmp_path: Path, sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        _kam("import", str(_write_book(tmp_path / "g.xlsx", GOOD)), "-d", sqlite_url)
        == 0
    )
    before = _checksum(sqlite_url)
    changed = {
        "Accounts": [["account_id", "name"], ["A1", "Alpha Health Group"]],
    }
    assert (
        _kam("import", str(_write_book(tmp_path / "c.xlsx", changed)), "-d", sqlite_url)
        == 0
    )
    assert _checksum(sqlite_url) != before
    store = Store(sqlite_url)
    try:
        snapshots = store.list_snapshots()
    finally:
        store.dispose()
    assert len(snapshots) == 1
    assert _kam("restore", snapshots[0].name, "-d", sqlite_url) == 0
    assert _checksum(sqlite_url) == before


def test_installed_command_exits_2_on_unknown_option_and_1_on_errors(
    tmp_path: Path,
) -> None:
    kam = [sys.executable, "-m", "kam.cli"]
    unknown = subprocess.run(
        [*kam, "import", "--nonsense"], capture_output=True, text=True
    )
    assert unknown.returncode == 2
    missing = subprocess.run(
        [*kam, "import", "--check", str(tmp_path / "nope.xlsx")],
        capture_output=True,
        text=True,
    )
    assert missing.returncode == 1
    assert missing.stderr.startswith("Error:")
