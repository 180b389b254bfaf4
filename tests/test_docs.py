"""The public workbook contract (docs/workbook.md) documents every sheet and column."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kam.model import SETTINGS_DEFAULTS, SHEETS, Sheet

DOC = Path(__file__).resolve().parents[1] / "docs" / "workbook.md"


def _paragraphs() -> dict[str, str]:
    """Each sheet's paragraph, keyed by the bold sheet name that starts it."""
    found: dict[str, str] = {}
    for block in re.split(r"\n\s*\n", DOC.read_text(encoding="utf-8")):
        match = re.match(r"\*\*(\w+)\*\*\s+—", block.strip())
        if match:
            found[match.group(1)] = block
    return found


PARAGRAPHS = _paragraphs()


@pytest.mark.parametrize("sheet", SHEETS.values(), ids=lambda s: s.name)
def test_every_sheet_has_its_own_paragraph(sheet: Sheet) -> None:
    assert sheet.name in PARAGRAPHS


@pytest.mark.parametrize("sheet", SHEETS.values(), ids=lambda s: s.name)
def test_every_column_is_documented_in_its_sheet_with_its_required_mark(
    sheet: Sheet,
) -> None:
    text = PARAGRAPHS.get(sheet.name, "")
    for column in sheet.columns:
        star = "*" if column.required else ""
        assert f"`{column.name}{star}`" in text, (sheet.name, column.name, star)
        if not column.required:
            assert f"`{column.name}*`" not in text, (sheet.name, column.name)


@pytest.mark.parametrize("sheet", SHEETS.values(), ids=lambda s: s.name)
def test_every_allowed_value_of_an_enumeration_is_documented(sheet: Sheet) -> None:
    text = PARAGRAPHS.get(sheet.name, "")
    columns = [*sheet.columns, *([sheet.wide_value] if sheet.wide_value else [])]
    for column in columns:
        for choice in column.choices:
            assert re.search(rf"(?<![\w/]){re.escape(choice)}(?![\w/])", text), (
                sheet.name,
                column.name,
                choice,
            )


def test_every_known_setting_is_documented_with_its_default() -> None:
    text = PARAGRAPHS["Settings"]
    for key, default in SETTINGS_DEFAULTS.items():
        assert f"`{key}`" in text, key
        if default:
            assert default in text, (key, default)


def test_no_sheet_is_documented_that_the_model_does_not_have() -> None:
    assert set(PARAGRAPHS) == set(SHEETS)
